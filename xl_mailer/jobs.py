"""One run over one sheet, whatever holds it: read once, plan, send, write results in blocks.

Spreadsheet adapters (openpyxl files, xlwings books) implement ``SheetPort``;
the CLI and the ribbon call ``run_sheet``. No business rule lives in an adapter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .blocks import Block, BlockBuffer
from .catalog import Catalog
from .models import RESULT_HEADERS, JobResult
from .rows import RowPlan, plan_rows
from .runner import Progress, RunSummary, Send, execute
from .sheet import Layout, find_layout


class SheetPort(Protocol):
    """What a run needs from a sheet. Rows are 1-based sheet rows, columns 0-based."""

    name: str

    def values(self) -> list[list[object]]:
        """Every value of the sheet from A1 to its last used cell, in one read."""
        ...

    def write_block(self, row: int, column: int, values: list[list[object]]) -> None:
        """Write a rectangle of values with its top-left cell at (row, column).

        Text is written as text, never as a formula.
        """
        ...

    def checkpoint(self) -> None:
        """Make what was written so far durable, if the holder needs that (a file save)."""
        ...


@dataclass
class SheetRun:
    """What a run did: its summary, the layout it found and every result it recorded."""

    summary: RunSummary
    layout: Layout
    results: list[tuple[int, JobResult]] = field(default_factory=list)
    writes: int = 0


def result_spans(layout: Layout) -> list[tuple[int, list[int]]]:
    """Group result columns into contiguous spans: (first column, indexes into the 4 cells)."""
    ordered = sorted(
        (column, i) for i, column in enumerate(layout.results[h] for h in RESULT_HEADERS)
    )
    spans: list[tuple[int, list[int]]] = []
    for column, index in ordered:
        if spans and spans[-1][0] + len(spans[-1][1]) == column:
            spans[-1][1].append(index)
        else:
            spans.append((column, [index]))
    return spans


def plan_sheet(
    port: SheetPort, *, catalog: Catalog | None, rows: Sequence[int] | None = None
) -> tuple[Layout, list[RowPlan]]:
    """Read the sheet once and plan its rows (only ``rows``, 1-based, when given)."""
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    plans = plan_rows(values, layout, catalog=catalog)
    if rows is not None:
        wanted = set(rows)
        plans = [plan for plan in plans if plan.row in wanted]
    return layout, plans


def run_sheet(
    port: SheetPort,
    *,
    send: Send,
    catalog: Catalog | None,
    concurrency: int = 4,
    validate_only: bool = False,
    rows: Sequence[int] | None = None,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    on_result: Callable[[int, JobResult], None] | None = None,
    preflight: Callable[[], None] | None = None,
    block_rows: int = 50,
    block_seconds: float = 2.0,
) -> SheetRun:
    """Plan and run every row of the sheet.

    ``preflight`` (a credentials check) runs once, before anything is written,
    and only when some row is to be sent. Raises SheetLayoutError, or whatever
    ``preflight`` raises, with the sheet untouched.
    """
    layout, plans = plan_sheet(port, catalog=catalog, rows=rows)
    if preflight is not None and not validate_only and any(p.request for p in plans):
        preflight()
    spans = result_spans(layout)
    outcome = SheetRun(summary=RunSummary(), layout=layout)
    headers_written = layout.results_exist

    def flush(blocks: list[Block]) -> None:
        nonlocal headers_written
        if not headers_written:
            port.write_block(layout.header_row + 1, layout.result_start, [list(RESULT_HEADERS)])
            headers_written = True
            outcome.writes += 1
        for first_row, cells in blocks:
            for column, indexes in spans:
                port.write_block(first_row, column, [[row[i] for i in indexes] for row in cells])
                outcome.writes += 1
        port.checkpoint()

    buffer = BlockBuffer(flush, rows=block_rows, seconds=block_seconds)

    def record(row: int, result: JobResult) -> None:
        outcome.results.append((row, result))
        buffer.add(row, list(result.cells))
        if on_result is not None:
            on_result(row, result)

    try:
        outcome.summary = execute(
            plans,
            send,
            record=record,
            concurrency=concurrency,
            cancel=cancel,
            progress=progress,
            validate_only=validate_only,
        )
    finally:
        buffer.flush()
    return outcome
