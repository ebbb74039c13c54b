"""One run over one sheet, whatever holds it: read once, plan, send, write results in blocks.

Spreadsheet adapters (openpyxl files, xlwings books) implement ``SheetPort``;
the CLI and the ribbon call ``run_sheet``. No business rule lives in an adapter.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from xl_mailer.core.blocks import Block, BlockBuffer, bridge, contiguous_blocks
from xl_mailer.core.catalog import Catalog
from xl_mailer.core.cells import job_number
from xl_mailer.core.errors import UnclaimedJobs
from xl_mailer.core.keys import new_key, unique_keys
from xl_mailer.core.models import (
    KEY_HEADER,
    OUTPUT_HEADERS,
    JobRequest,
    JobResult,
    Outcome,
    utc_now,
)
from xl_mailer.core.outcomes import UNKNOWN_PREFIX, unknown
from xl_mailer.core.rows import RowPlan, plan_rows
from xl_mailer.core.sheet import Layout, find_layout
from xl_mailer.engine.journal import Entry, Journal, Settled, digest, match_rows
from xl_mailer.engine.runner import Progress, RunSummary, Send, execute

HOLD_PREFIX = "Not sent: held back:"
"""A row without a key whose values a saved job was sent with from it (``recover``)."""


def unclaimed_error(journal: Journal, where: object, entries: Sequence[Entry]) -> UnclaimedJobs:
    """The stop for journal entries that no row claims: names each, and the way forward."""
    lines = []
    for entry in entries[:10]:
        what = (
            f"job {entry.result.job_id}"
            if entry.result.job_id is not None
            else "a request whose answer was lost"
        )
        lines.append(f"{what} (sent from row {entry.row}, request key {entry.key})")
    more = f" and {len(entries) - 10} more" if len(entries) > 10 else ""
    return UnclaimedJobs(
        where,
        "its journal holds " + "; ".join(lines) + more + ", but no row claims it now (the"
        " rows were edited, moved or deleted since). Every other job id the journal held is"
        " back in its row. Nothing new was sent. Run 'xl-mailer unclaimed' on this workbook (or"
        " press Unclaimed Jobs) to see them, then attach each to its row (--attach JOB=ROW) or"
        " release it as not from this workbook (--release JOB)",
        list(entries),
    )


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


@dataclass(frozen=True)
class Recovery:
    """What the journal knows that the sheet does not."""

    updates: list[tuple[int, JobResult]]  # results to write into rows
    unclaimed: list[Entry]  # entries that may have made a job and that no row claims
    holding: list[Entry] = field(default_factory=list)  # saved jobs that hold back a row


def recover(values: list[list[object]], layout: Layout, journal: Journal) -> Recovery:
    """Match the journal's entries to the sheet's rows, and decide what each match means.

    By request key, always. By the row's values (``match_rows``), only for requests
    whose results never reached a saved file (the run stopped before it saved), or
    that were journaled after the state this file is, byte for byte (a copy made
    mid-run, the untouched source of an ``--output`` run): a saved job whose key a
    row does not show is that row's only if the row cannot have changed since.
    Otherwise a row without a key that has exactly the values a saved job was sent
    with from that row is held, not sent and not given the job: it may be an older
    copy of that row, or a new mailing with the same values, and only a person can
    tell (releasing the job says: a new mailing).

    A row is given a result only when the sheet shows no job id for it and does not
    already show that outcome; a job id already in another row is never written into
    a second one. A request the journal saw leave with no answer gets, as its send
    time, now: the run that sent it has ended.
    """
    entries = journal.entries()
    released = {e.key for e in entries if e.released} | {r.key for r in journal.releases()}
    held = [
        _held_in_file(r, journal.here)
        for r in journal.settled_records()
        if r.key not in released  # whatever became of its file: the job exists all the same
    ]
    if not entries and not held:
        return Recovery([], [])
    saved = journal.saved_keys()
    since = journal.known_since

    def after_this_state(entry: Entry) -> bool:
        """Journaled after the state this file is, byte for byte: its row here cannot show
        its key, and cannot have changed since."""
        return since is not None and entry.line > since

    loose: list[Entry] = []
    strict: list[Entry] = []
    for entry in entries + held:
        never_saved = entry.file is None and entry.key not in saved
        (loose if never_saved or after_this_state(entry) else strict).append(entry)
    digests = {
        plan.row: digest(plan.request.params)
        for plan in plan_rows(values, layout, catalog=None, hold_created=False)
        if plan.request is not None
    }
    key_col, job_col = layout.results[KEY_HEADER], layout.results["Job ID"]
    keys: dict[int, str] = {}
    ids: set[int] = set()
    job_rows: set[int] = set()
    for index in range(layout.first_data_row, len(values)):
        line = values[index]
        if _cell(line, key_col) not in (None, ""):
            keys[index + 1] = str(_cell(line, key_col))
        if _cell(line, job_col) not in (None, ""):
            job_rows.add(index + 1)
        number = job_number(_cell(line, job_col))
        if number is not None:
            ids.add(number)
    matched, orphans = match_rows(loose, digests, keys)
    by_key, strict_orphans = match_rows(strict, {}, keys)  # saved: by request key only
    matched += by_key
    in_files = {e.key for e in held} | saved  # jobs a file held: not lost when no row shows them
    unclaimed = [
        e
        for e in orphans + strict_orphans
        if e.may_have_made_a_job
        and e.result.job_id not in ids
        and not e.released
        and e.key not in in_files
    ]
    text_col = layout.results["Description"]
    updates: list[tuple[int, JobResult]] = []
    now = utc_now()
    taken = {row for row, _ in matched}
    for row, entry in matched:
        line = values[row - 1]
        if _cell(line, job_col) not in (None, ""):
            continue  # the sheet has this row's job already
        if not entry.may_have_made_a_job:
            continue  # a clean refusal: nothing was made, the row may be sent again
        if entry.result.job_id is not None and entry.result.job_id in ids:
            continue  # another row shows this job: a job belongs to one row
        if entry.result.job_id is None and str(_cell(line, text_col) or "").startswith(
            UNKNOWN_PREFIX
        ):
            continue  # already shows that it awaits reconciliation
        result = entry.result
        if result.sent_at is None:
            result = result.sent(now)
        updates.append((row, result))
    holding: list[Entry] = []
    free: dict[str, list[int]] = {}  # rows without a key or a job, by their values
    for row in sorted(digests):
        if row not in taken and row not in keys and row not in job_rows:
            free.setdefault(digests[row], []).append(row)
    waiting = [
        e
        for e in strict_orphans
        if e.may_have_made_a_job and not e.released and e.result.job_id not in ids
    ]
    # each saved job holds back one row with its values: its own row first, else the first
    # such row (rows inserted or deleted above it since)
    at_own_row = [e.row in free.get(e.digest, ()) for e in waiting]
    ordered = [e for e, own in zip(waiting, at_own_row, strict=True) if own]
    ordered += [e for e, own in zip(waiting, at_own_row, strict=True) if not own]
    for entry in ordered:
        rows = free.get(entry.digest, [])
        spot = entry.row if entry.row in rows else (rows[0] if rows else None)
        if spot is not None:
            rows.remove(spot)
            holding.append(entry)
            updates.append((spot, _hold(entry)))
    return Recovery(updates, unclaimed, holding)


def _held_in_file(settled: Settled, here: str | None) -> Entry:
    """A job a file of this workbook held when the journal forgot its request (or, with no
    job id, a request whose answer was lost, which that file shows UNKNOWN)."""
    if settled.job_id is None:
        result = unknown(
            f"a request sent from this row lost its answer; {Path(settled.path).name} shows it too",
        ).keyed(settled.key)
    else:
        where = (
            "the journal remembers it (its Job ID had been cleared)"
            if settled.path == here
            else f"{Path(settled.path).name} holds it too"
        )
        result = JobResult(
            Outcome.CREATED,
            f"Recovered: job {settled.job_id} was made for this row; {where}",
            settled.job_id,
            201,
            0,
            settled.key,
        )
    return Entry(
        settled.key, settled.row, settled.digest, result, line=settled.line, file=settled.path
    )


def _hold(entry: Entry) -> JobResult:
    """The result of a row held back by a saved job sent from it with the same values."""
    job = entry.result.job_id
    what = f"job {job}" if job is not None else f"a request whose answer was lost ({entry.key})"
    where = Path(entry.file).name if entry.file else "the workbook as it was saved"
    sent = entry.result.sent_at or entry.sent_from
    when = f" on {sent:%Y-%m-%d %H:%M} UTC" if sent else ""
    name = str(job) if job is not None else entry.key
    return JobResult(
        Outcome.INVALID,
        f"{HOLD_PREFIX} this row was mailed with these same values as {what}"
        f"{when}, and {where} holds it. If this file or window is older than that, it is"
        f" this row's job: work in the newer one. To mail these values again, release it"
        f" first (xl-mailer unclaimed --release {name}, or Unclaimed Jobs), then create jobs"
        " again",
    )


def write_headers(port: SheetPort, layout: Layout) -> int:
    """Write the output headers the sheet lacks; returns how many writes it took."""
    writes = 0
    # contiguous_blocks groups consecutive keys: here the keys are columns
    missing = [(column, [name]) for column, name in layout.missing_headers]
    for first, names in contiguous_blocks(missing):
        port.write_block(layout.header_row + 1, first, [[n[0] for n in names]])
        writes += 1
    return writes


def write_results(
    port: SheetPort, layout: Layout, results: Sequence[tuple[int, JobResult]]
) -> None:
    """Write whole results into their rows at once (headers first, if missing), then
    checkpoint: for actions that write a handful of rows, not a run's stream."""
    if not results:
        return
    write_headers(port, layout)
    spans = result_spans(layout)
    for first, cells in contiguous_blocks([(row, list(r.cells)) for row, r in results]):
        for column, indexes in spans:
            port.write_block(first, column, [[line[i] for i in indexes] for line in cells])
    port.checkpoint()


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
    preflight: Callable[[], object] | None = None,
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
    holds: dict[int, JobResult] = {}
    if journal is not None and not validate_only:
        recovery = recover(values, layout, journal)
        recovered = [(r, x) for r, x in recovery.updates if x.outcome is not Outcome.INVALID]
        holds = {r: x for r, x in recovery.updates if x.outcome is Outcome.INVALID}
        for row, result in recovered:  # planning below sees the recovered rows as they will be
            line = values[row - 1]
            line.extend([None] * (max(layout.results.values()) + 1 - len(line)))
            for name, value in zip(OUTPUT_HEADERS, result.cells, strict=True):
                line[layout.results[name]] = value
        if recovery.unclaimed:
            # every id that still matches its row goes back first; then a person decides
            write_results(port, layout, recovered)
            raise unclaimed_error(journal, "This workbook", recovery.unclaimed)
    plans = plan_rows(values, layout, catalog=catalog, refused=port.row_notes(layout))
    plans = [RowPlan(p.row, result=holds[p.row]) if p.row in holds else p for p in plans]
    if rows is not None:
        wanted = set(rows)
        plans = [plan for plan in plans if plan.row in wanted]
    if preflight is not None and not validate_only and any(p.request for p in plans):
        preflight()
    key_col = layout.results[KEY_HEADER]
    in_use = {str(line[key_col]) for line in values if key_col < len(line) and line[key_col]}
    next_key = unique_keys(make_key, in_use)
    plans = [
        RowPlan(p.row, request=with_key(p.request, next_key())) if p.request else p for p in plans
    ]
    spans = result_spans(layout)
    outcome = SheetRun(summary=RunSummary(), layout=layout, recovered=recovered)
    headers_written = not layout.missing_headers

    def flush(blocks: list[Block]) -> None:
        nonlocal headers_written
        if not headers_written:
            outcome.writes += write_headers(port, layout)
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
