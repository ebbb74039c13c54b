"""Look up each job's current state at Click2Mail and show it in its row's Description."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Protocol

from xl_mailer.app.ports import SheetPort
from xl_mailer.core.blocks import contiguous_blocks
from xl_mailer.core.cells import is_blank
from xl_mailer.core.sheet import find_layout


class StatusAnswer(Protocol):
    """The part of the client's answer to ``GET /jobs/{id}`` that is shown."""

    @property
    def fields(self) -> Mapping[str, str]: ...


def refresh_status(
    port: SheetPort,
    job_status: Callable[[int], StatusAnswer],
    *,
    now: Callable[[], dt.datetime] = dt.datetime.now,
) -> list[int]:
    """Ask for the state of every row's job and write it, with the time of asking, into
    that row's Description; returns the rows written. Rows without a numeric Job ID are
    left alone. Raises what ``job_status`` raises, with nothing written."""
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    job_col, text_col = layout.results["Job ID"], layout.results["Description"]
    updates: list[tuple[int, list[object]]] = []
    for index in range(layout.first_data_row, len(values)):
        row = values[index]
        job = row[job_col] if job_col < len(row) else None
        if is_blank(job) or not isinstance(job, int | float):
            continue
        state = job_status(int(job)).fields.get("description", "")
        updates.append((index + 1, [f"Job status: {state} (checked {now():%Y-%m-%d %H:%M})"]))
    for first, cells in contiguous_blocks(updates):
        port.write_block(first, text_col, cells)
    return [row for row, _ in updates]
