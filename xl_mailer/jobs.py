"""One run over one sheet, whatever holds it: read once, plan, send, write results in blocks.

Spreadsheet adapters (openpyxl files, xlwings books) implement ``SheetPort``;
the CLI and the ribbon call ``run_sheet``. No business rule lives in an adapter.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .blocks import Block, BlockBuffer, bridge, contiguous_blocks
from .catalog import Catalog
from .errors import XlMailerError
from .journal import Entry, Journal, digest, match_rows
from .models import KEY_HEADER, OUTPUT_HEADERS, JobRequest, JobResult, Outcome
from .outcomes import UNKNOWN_PREFIX
from .rows import RowPlan, plan_rows
from .runner import Progress, RunSummary, Send, execute
from .sheet import Layout, find_layout

KEY_PREFIX = "xlm"
_KEY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
KEY_LETTERS = 10  # 50 random bits: 100,000 keys made in one minute share one about 1 in 225,000
# each random byte becomes one of the 32 letters; 256 is a multiple of 32, so all are equally likely
_KEY_LETTERS = bytes(ord(_KEY_ALPHABET[b % len(_KEY_ALPHABET)]) for b in range(256))


class JournalMismatch(XlMailerError):
    """The journal records requests that no row of the sheet matches any more: nothing is sent
    until a person has looked, because those rows may already have their jobs."""

    def __init__(self, journal: Journal, orphans: Sequence[Entry]) -> None:
        lines = []
        for entry in orphans:
            what = (
                f"job {entry.result.job_id}"
                if entry.result.job_id is not None
                else "a request whose answer was lost"
            )
            lines.append(f"row {entry.row}: {what} (request key {entry.key})")
        super().__init__(
            "the journal of an earlier run records " + "; ".join(lines) + ", but no row matches"
            " it now (the rows were changed or moved). Nothing was sent. Check those jobs at"
            f" Click2Mail, put their ids in the right rows, then delete {journal.path}"
        )
        self.orphans = list(orphans)


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

    def row_notes(self, layout: Layout) -> dict[int, str]:
        """Rows that must not be sent, with the reason (hidden rows, merged cells)."""
        ...


def new_key(now: dt.datetime | None = None) -> str:
    """A request key: short enough for ``appSignature``, stamped with the minute it was made
    (UTC) so reconciliation knows where and how long to look, random so no two rows share one."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%y%m%d%H%M")
    tail = secrets.token_bytes(KEY_LETTERS).translate(_KEY_LETTERS).decode("ascii")
    return f"{KEY_PREFIX}-{stamp}-{tail}"


def _unique_keys(make_key: Callable[[], str], taken: set[str]) -> Callable[[], str]:
    """``make_key``, never repeating a key of ``taken`` or one it gave before: two rows with
    one key would share a job id in the journal and in reconciliation."""

    def unique() -> str:
        for _ in range(100):
            key = make_key()
            if key not in taken:
                taken.add(key)
                return key
        raise XlMailerError("could not make a request key that is not in use; check make_key")

    return unique


def key_time(key: str) -> dt.datetime | None:
    """The minute (UTC) a request key was made, or None for a key that is not one of ours."""
    parts = key.split("-")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    try:
        return dt.datetime.strptime(parts[1], "%y%m%d%H%M").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def key_date(key: str) -> dt.date | None:
    """The day (UTC) a request key was made."""
    made = key_time(key)
    return made.date() if made else None


def with_key(request: JobRequest, key: str) -> JobRequest:
    """The request with its key; the key is sent as ``appSignature`` unless the row has one."""
    params = request.params
    if request.get("appSignature") is None:
        params = (*params, ("appSignature", key))
    return JobRequest(request.row, params, key)


@dataclass
class SheetRun:
    """What a run did: its summary, the layout it found and every result it recorded."""

    summary: RunSummary
    layout: Layout
    results: list[tuple[int, JobResult]] = field(default_factory=list)
    recovered: list[tuple[int, JobResult]] = field(default_factory=list)
    orphans: list[Entry] = field(default_factory=list)
    writes: int = 0


def result_spans(layout: Layout) -> list[tuple[int, list[int]]]:
    """Group output columns into contiguous spans: (first column, indexes into the cells)."""
    ordered = sorted((layout.results[h], i) for i, h in enumerate(OUTPUT_HEADERS))
    spans: list[tuple[int, list[int]]] = []
    for column, index in ordered:
        if spans and spans[-1][0] + len(spans[-1][1]) == column:
            spans[-1][1].append(index)
        else:
            spans.append((column, [index]))
    return spans


def _cell(row: Sequence[object], column: int) -> object:
    return row[column] if column < len(row) else None


def recover(
    values: list[list[object]], layout: Layout, journal: Journal, *, catalog: Catalog | None
) -> tuple[list[tuple[int, JobResult]], list[Entry]]:
    """What the journal knows that the sheet does not: results to write, and entries with no row.

    A row is given the journal's result only when the sheet shows no job id for it
    and does not already show that outcome.
    """
    entries = journal.entries()
    if not entries:
        return [], []
    digests = {
        plan.row: digest(plan.request.params)
        for plan in plan_rows(values, layout, catalog=None)
        if plan.request is not None
    }
    key_col = layout.results[KEY_HEADER]
    keys = {
        index + 1: str(_cell(values[index], key_col))
        for index in range(layout.first_data_row, len(values))
        if _cell(values[index], key_col) not in (None, "")
    }
    matched, orphans = match_rows(entries, digests, keys)
    # only an entry that made a job, or may have, can be lost or sent twice
    orphans = [
        e for e in orphans if e.result.job_id is not None or e.result.outcome is Outcome.UNKNOWN
    ]
    job_col, text_col = layout.results["Job ID"], layout.results["Description"]
    updates: list[tuple[int, JobResult]] = []
    for row, entry in matched:
        line = values[row - 1]
        if _cell(line, job_col) not in (None, ""):
            continue  # the sheet has this row's job already
        if entry.result.job_id is None and entry.result.outcome is not Outcome.UNKNOWN:
            continue  # a clean refusal: nothing was made, the row may be sent again
        if entry.result.job_id is None and str(_cell(line, text_col) or "").startswith(
            UNKNOWN_PREFIX
        ):
            continue  # already shows that it awaits reconciliation
        updates.append((row, entry.result))
    return updates, orphans


def _job_number(value: object) -> int | None:
    """A Job ID cell as a number: Excel may keep it as a whole float or as text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def settled_keys(entries: Sequence[Entry], saved: list[list[object]], layout: Layout) -> set[str]:
    """Request keys the journal may forget, given the values of the workbook as saved.

    A key is settled when the saved sheet holds its job id (in any row), when it
    made no job (a clean refusal, or never sent), or when it is UNKNOWN and the
    saved row carrying that key shows UNKNOWN or a job id: the sheet itself
    then keeps it from being sent again.
    """
    job_col, key_col = layout.results["Job ID"], layout.results[KEY_HEADER]
    text_col = layout.results["Description"]
    rows = saved[layout.first_data_row :]
    ids = {_job_number(_cell(line, job_col)) for line in rows} - {None}
    marked = {
        str(_cell(line, key_col)): line for line in rows if _cell(line, key_col) not in (None, "")
    }
    settled: set[str] = set()
    for entry in entries:
        result = entry.result
        if result.job_id is not None:
            if result.job_id in ids:
                settled.add(entry.key)
        elif result.outcome is not Outcome.UNKNOWN:
            settled.add(entry.key)
        elif entry.key in marked:
            line = marked[entry.key]
            text = str(_cell(line, text_col) or "")
            if text.startswith(UNKNOWN_PREFIX) or _job_number(_cell(line, job_col)) is not None:
                settled.add(entry.key)
    return settled


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
    journal: Journal | None = None,
    make_key: Callable[[], str] = new_key,
    block_rows: int = 50,
    block_seconds: float = 2.0,
) -> SheetRun:
    """Plan and run every row of the sheet.

    The journal, when given, is read first: what it knows that the sheet does
    not is written back before anything else, and rows it saw on their way out
    are never sent again here. ``preflight`` (a credentials check) runs once,
    before anything is written, and only when some row is to be sent. Raises
    SheetLayoutError, or whatever ``preflight`` raises, with the sheet untouched.
    """
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    recovered: list[tuple[int, JobResult]] = []
    orphans: list[Entry] = []
    if journal is not None and not validate_only:
        recovered, orphans = recover(values, layout, journal, catalog=catalog)
        if orphans:
            raise JournalMismatch(journal, orphans)
        for row, result in recovered:
            line = values[row - 1]
            line.extend([None] * (max(layout.results.values()) + 1 - len(line)))
            line[layout.results["Job ID"]] = result.job_id
            line[layout.results["Description"]] = result.description
    plans = plan_rows(values, layout, catalog=catalog, refused=port.row_notes(layout))
    if rows is not None:
        wanted = set(rows)
        plans = [plan for plan in plans if plan.row in wanted]
    if preflight is not None and not validate_only and any(p.request for p in plans):
        preflight()
    key_col = layout.results[KEY_HEADER]
    in_use = {str(line[key_col]) for line in values if key_col < len(line) and line[key_col]}
    next_key = _unique_keys(make_key, in_use)
    plans = [
        RowPlan(p.row, request=with_key(p.request, next_key())) if p.request else p for p in plans
    ]
    spans = result_spans(layout)
    outcome = SheetRun(summary=RunSummary(), layout=layout, recovered=recovered, orphans=orphans)
    headers_written = not layout.missing_headers

    def flush(blocks: list[Block]) -> None:
        nonlocal headers_written
        if not headers_written:
            # contiguous_blocks groups consecutive keys: here the keys are columns
            missing = [(column, [name]) for column, name in layout.missing_headers]
            for first, names in contiguous_blocks(missing):
                port.write_block(layout.header_row + 1, first, [[n[0] for n in names]])
                outcome.writes += 1
            headers_written = True
        for first_row, cells in bridge(blocks, written):
            for column, indexes in spans:
                port.write_block(first_row, column, [[row[i] for i in indexes] for row in cells])
                outcome.writes += 1
            for offset, line in enumerate(cells):
                written[first_row + offset] = line
        port.checkpoint()

    written: dict[int, list[object]] = {}
    awaited = deque(sorted(p.row for p in plans if p.request is not None))
    done: set[int] = set()

    def frontier() -> int | None:
        """The first row still awaited: results beyond it wait, so blocks stay whole."""
        while awaited and awaited[0] in done:
            awaited.popleft()
        return awaited[0] if awaited else None

    buffer = BlockBuffer(flush, rows=block_rows, seconds=block_seconds, frontier=frontier)
    for row, result in recovered:
        buffer.add(row, list(result.cells))

    def record(row: int, result: JobResult) -> None:
        done.add(row)
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
            journal=journal,
        )
    finally:
        buffer.flush()
    return outcome
