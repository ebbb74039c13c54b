from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from xl_mailer.sandbox import ManualClock, Sandbox, SandboxConfig

TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def timed(clock: ManualClock) -> Iterator[Sandbox]:
    """A sandbox whose clock moves only when the test advances it (10 s per job state)."""
    with Sandbox(SandboxConfig(seconds_per_state=10), clock=clock) as box:
        box.set_today(TODAY)
        yield box
