"""Create one Click2Mail job per row: plan every row, send, write results in blocks.

``run_sheet`` is the run itself (``validate`` is the same run with nothing sent);
``create_jobs`` is the use case the CLI and the ribbon call: the client's
credentials check, then the holder's step (a save), before the first request.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from xl_mailer.app.archive import history_claims
from xl_mailer.app.ports import SheetPort, result_spans, write_headers, write_results
from xl_mailer.app.recovery import recover, unclaimed_error
from xl_mailer.core.blocks import Block, BlockBuffer, bridge
from xl_mailer.core.catalog import Catalog
from xl_mailer.core.keys import new_key, unique_keys
from xl_mailer.core.models import KEY_HEADER, OUTPUT_HEADERS, JobRequest, JobResult, Outcome
from xl_mailer.core.rows import RowPlan, noted, plan_rows
from xl_mailer.core.sheet import Layout, find_layout
from xl_mailer.engine.journal import Journal
from xl_mailer.engine.runner import Progress, RunSummary, Send, execute

KNOWN_ROWS = 1_000
"""How many of the rows a run wrote it keeps (their cells) to bridge gaps between blocks:
answers come back out of order only within the rows in flight, so older ones are not needed,
and a 50,000-row run need not keep every row's cells twice."""


@dataclass(frozen=True)
class RunOptions:
    """How a run plans and sends; what it sends with and records into are passed apart.

    ``rows`` limits the run to those sheet rows (the ribbon's selection). Results
    are written in blocks of up to ``block_rows`` rows, or every ``block_seconds``.
    """

    catalog: Catalog | None = None
    concurrency: int = 4
    validate_only: bool = False
    rows: Sequence[int] | None = None
    make_key: Callable[[], str] = new_key
    block_rows: int = 50
    block_seconds: float = 2.0

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")


class JobClient(Protocol):
    """What creating jobs needs from the Click2Mail client."""

    def create_job(self, request: JobRequest) -> JobResult: ...

    def check_credentials(self) -> object: ...


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


def run_sheet(
    port: SheetPort,
    send: Send,
    options: RunOptions,
    *,
    journal: Journal | None = None,
    preflight: Callable[[], object] | None = None,
    progress: Progress | None = None,
    on_result: Callable[[int, JobResult], None] | None = None,
    cancel: threading.Event | None = None,
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
    if journal is not None and not options.validate_only:
        recovery = recover(values, layout, journal, history_claims(port.archived()))
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
    plans = plan_rows(values, layout, catalog=options.catalog, refused=port.row_notes(layout))
    plans = [RowPlan(p.row, result=holds[p.row]) if p.row in holds else p for p in plans]
    if options.rows is not None:
        wanted = set(options.rows)
        plans = [plan for plan in plans if plan.row in wanted]
    if preflight is not None and not options.validate_only and any(p.request for p in plans):
        preflight()
    key_col = layout.results[KEY_HEADER]
    in_use = {str(line[key_col]) for line in values if key_col < len(line) and line[key_col]}
    del values  # planned: the sheet's cells hold the values, the plans what is sent
    next_key = unique_keys(options.make_key, in_use)
    plans = [
        RowPlan(p.row, request=with_key(p.request, next_key()), notes=p.notes) if p.request else p
        for p in plans
    ]
    tidied = {p.row: p.notes for p in plans if p.request is not None and p.notes}
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
        while len(written) > KNOWN_ROWS:  # the oldest go: a gap that far back is not bridged
            del written[next(iter(written))]
        if not in_last_quarter():
            port.checkpoint()

    written: dict[int, list[object]] = {}  # the last KNOWN_ROWS rows written, for bridge()
    awaited = deque(sorted(p.row for p in plans if p.request is not None))
    to_send = set(awaited)
    done: set[int] = set()
    answered = 0  # rows of ``to_send`` recorded so far

    def in_last_quarter() -> bool:
        """Three quarters of the rows to send are answered (rows decided without a call do
        not count): no checkpoint from here on, the final save comes soon (and the journal
        holds every id until then)."""
        return bool(to_send) and 4 * (len(to_send) - answered) <= len(to_send)

    def frontier() -> int | None:
        """The first row still awaited: results beyond it wait, so blocks stay whole."""
        while awaited and awaited[0] in done:
            awaited.popleft()
        return awaited[0] if awaited else None

    buffer = BlockBuffer(
        flush, rows=options.block_rows, seconds=options.block_seconds, frontier=frontier
    )
    for row, result in recovered:
        buffer.add(row, list(result.cells))

    def record(row: int, result: JobResult) -> None:
        nonlocal answered
        result = noted(result, tidied.get(row, ()))  # say what was tidied before it was sent
        if row in to_send and row not in done:
            answered += 1
        done.add(row)
        outcome.results.append((row, result))
        buffer.add(row, list(result.cells))
        if on_result is not None:
            on_result(row, result)

    handed = [plans]  # execute() gets the only reference: each request goes once answered
    del plans
    try:
        outcome.summary = execute(
            handed.pop(),
            send,
            record=record,
            concurrency=options.concurrency,
            cancel=cancel,
            progress=progress,
            validate_only=options.validate_only,
            journal=journal,
        )
    finally:
        buffer.flush()
    return outcome


def create_jobs(
    port: SheetPort,
    client: JobClient,
    options: RunOptions,
    *,
    journal: Journal | None,
    before_send: Callable[[], object] | None = None,
    progress: Progress | None = None,
    on_result: Callable[[int, JobResult], None] | None = None,
    cancel: threading.Event | None = None,
) -> SheetRun:
    """Create one job per row that has none: the credentials are checked, then
    ``before_send`` runs (the holder saves what a crash must not lose), once and only
    when some row is to be sent. Raises what either raises, with nothing sent."""

    def preflight() -> None:
        client.check_credentials()
        if before_send is not None:
            before_send()

    return run_sheet(
        port,
        client.create_job,
        options,
        journal=journal,
        preflight=preflight,
        progress=progress,
        on_result=on_result,
        cancel=cancel,
    )
