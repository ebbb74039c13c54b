"""What the workers of one run share: one keep-alive connection pool, and the pause a 429 asks
for."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from xl_mailer.click2mail.client import SharedBackoff
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER, write_book

WAIT = 10.0  # seconds an event may take before a test fails instead of hanging


def test_workers_share_one_keep_alive_pool(tmp_path: Path, sandbox_env: Sandbox) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [LETTER] * 40)
    assert main(["run", str(path), "--concurrency", "4"], out=io.StringIO()) == 0
    assert sandbox_env.state.create_requests == 40
    assert sandbox_env.state.connections <= 4 + 1  # at most one per worker, plus a spare


def test_a_429_pauses_every_worker_not_just_the_one_that_got_it() -> None:
    now = [0.0]  # time stands still until the test moves it
    asked: list[float] = []
    asking = threading.Condition()
    time_passes = threading.Event()

    def sleep(seconds: float) -> None:
        with asking:
            asked.append(seconds)
            asking.notify_all()
        assert time_passes.wait(WAIT)

    backoff = SharedBackoff(sleep=sleep, clock=lambda: now[0])
    backoff.push(3.0)  # one worker got a 429 asking for 3 s
    through: list[int] = []

    def worker(number: int) -> None:
        backoff.wait()
        through.append(number)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        with asking:
            assert asking.wait_for(lambda: len(asked) == 4, timeout=WAIT)
        assert through == []  # every worker is pausing; none went ahead
    finally:
        now[0] = 3.0
        time_passes.set()
        for thread in threads:
            thread.join(WAIT)
    assert sorted(through) == [0, 1, 2, 3]  # the pause over, each goes on without another wait
    assert all(0 < seconds <= 3.0 for seconds in asked)  # never longer than the pause
