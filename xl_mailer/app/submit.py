"""Submit Approved Jobs: submit each row whose ``Submit`` says yes, under a spend limit, never
twice.

In this order, and nothing is submitted before the last step:

1. Every row whose earlier submit is UNKNOWN (its ``Submit Result`` starts ``UNKNOWN:``) is
   settled by the job's state: a job that left Editing was submitted (``Submitted`` is
   filled, nothing is sent); a job still in Editing was not, but only once the lost submit
   is ``min_age`` old (Click2Mail may still be at work on a submit in flight): until then
   the row stays UNKNOWN and is not sent.
2. Every approved row (Yes, TRUE, Y or x, in any case; empty, No, FALSE, N: not approved;
   anything else is refused, that row only, with a message) with a Job ID and an empty
   ``Submitted`` is costed. A job belongs to one row: a row whose Job ID is in another row
   too is refused (naming the other rows), neither costed nor submitted. A cost that cannot
   be read, or a total over the spend limit, refuses the whole batch: nothing is sent.
3. ``confirm`` hears the batch (count, total, limit) and may decline: nothing is sent.
4. Each job is claimed (``claim``: a lock per Click2Mail account and job, held through
   step 5's POST, taken without waiting: a job another run is submitting right now is not
   submitted), then its state is checked again: only jobs in Editing are submitted; one
   that left it was submitted before (``Submitted`` filled, nothing sent). A job still in
   Editing whose claim holds a submit record (a submit sent by any workbook or window of
   this person whose answer is not in) less than ``min_age`` old, or dated later than the
   clock now, is not sent: its row is marked UNKNOWN with that time and says when to try
   again.
5. Each job to submit gets its submit record (the claim's ``mark_sent``, on disk) and its
   row is marked UNKNOWN with the time (written, then ``before_submit``: the holder saves),
   then it is submitted. The answer replaces the mark: ``Submitted`` (the date and time in
   UTC) and ``Submit Result`` (Click2Mail's words), or why not; the record goes
   (``settle``) once the answer says submitted or refused, or a state read shows the job
   left Editing. A lost answer leaves the row UNKNOWN, settled by step 1 on the next run,
   and the record in place. A job Click2Mail says had left Editing ("impermissible state")
   is marked submitted but counted apart, as one submitted before this run: neither in
   ``submitted`` nor in what this run spent.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Protocol, TypeAlias

from xl_mailer.app.cost import (
    COST,
    SUBMIT_RESULT,
    SUBMITTED,
    Cells,
    JobRow,
    MoneyCalls,
    dollars,
    in_pool,
    read_cost,
    read_jobs,
    rows_named,
    utc_now,
    write_cost,
)
from xl_mailer.app.ports import SheetPort
from xl_mailer.click2mail.readings import JobState
from xl_mailer.core.calls import UNKNOWN_PREFIX, CallOutcome, CallResult, submitted_before
from xl_mailer.core.cells import is_blank
from xl_mailer.core.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    TransportError,
    WorkbookError,
)

DEFAULT_BILLING_TYPE = "User Credit"
MIN_AGE = dt.timedelta(minutes=5)
"""How old a lost submit must be before a job still in Editing counts as not submitted."""
YES = frozenset({"yes", "true", "y", "x"})
NO = frozenset({"", "no", "false", "n"})
SET_LIMIT = (
    "set one: type an amount in dollars beside 'Spend Limit' on the Settings sheet ('Spend"
    " Limit' in column A, the amount in column B; add a sheet named Settings if the workbook"
    " has none), or give --limit AMOUNT on the command line"
)
STOPPED_UNSENT = "stopped before it was sent (nothing was sent for this job); run Submit again"
_SENT = re.compile(r"submit sent (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
"""An amount whose commas part thousands: 1,000 or 12,345.67 (never 250,00 or 1.000,00)."""


class HeldJob(AbstractContextManager[object], Protocol):
    """A job whose submit lock this run holds (``__exit__`` releases it), with the record of
    a submit of it whose answer is not in, kept outside the workbook for every workbook and
    window of this person (``engine.joblock.ClaimedJob``). Times are naive UTC."""

    @property
    def where(self) -> str:
        """Where that record is kept (a file), for a message."""
        ...

    def sent_at(self) -> dt.datetime | None:
        """When such a submit was sent, or None. Raises WorkbookError."""
        ...

    def mark_sent(self, when: dt.datetime) -> None:
        """Record, on disk, a submit about to be sent at ``when``. Raises WorkbookError."""
        ...

    def settle(self) -> None:
        """The answer is in, or the job left Editing: the record goes."""
        ...


Claim: TypeAlias = Callable[[int], HeldJob | None]
"""Takes a job's submit lock without waiting: the held job (released by ``__exit__``), or
None when another run holds it."""
BUSY = (
    "another xl-mailer run is submitting job {job} right now; run Submit again once it has finished"
)


def spend_limit(given: object, setting: object = None) -> Decimal:
    """The spend limit: ``given`` (--limit) if any, else the Settings sheet's. Raises
    ConfigurationError when neither is set, or for one that is not an amount of 0 or more."""
    where = "--limit" if not is_blank(given) else "Settings: Spend Limit"
    value = given if not is_blank(given) else setting
    if is_blank(value) or (isinstance(value, str) and not value.strip()):
        raise ConfigurationError(f"No spend limit is set, so nothing is submitted; {SET_LIMIT}")
    if isinstance(value, bool):
        raise ConfigurationError(f"{where} must be an amount in dollars, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigurationError(f"{where} must be an amount in dollars, not {value!r}")
    form = f"{where} must be an amount in dollars like 250 or 250.00"
    text = str(value).strip().removeprefix("$").strip()
    if "," in text:
        if not _GROUPED.fullmatch(text):
            raise ConfigurationError(
                f"{form} (a comma only between thousands, as in 1,000 or 12,345.67), not"
                f" {value!r}: nothing is submitted"
            )
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ConfigurationError(f"{form} or 1,000.00, not {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ConfigurationError(f"{where} must be 0 or more dollars, not {value!r}")
    return amount


def billing_type(given: str | None, setting: object = None) -> str:
    """--billing-type, else the Settings sheet's Billing Type, else User Credit."""
    for value in (given, setting):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return DEFAULT_BILLING_TYPE


def approval(value: object) -> bool | None:
    """True for Yes, TRUE, Y, x (any case); False for empty, No, FALSE, N; None otherwise."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return None


@dataclass(frozen=True)
class SubmitOptions:
    """How a batch is submitted: the spend limit (dollars, checked against the batch's cost
    plus tax), the billing type, calls in flight at once, how old a lost submit must be
    before a job still in Editing is submitted again, and the clock (UTC)."""

    limit: Decimal
    billing_type: str = DEFAULT_BILLING_TYPE
    concurrency: int = 4
    min_age: dt.timedelta = MIN_AGE
    now: Callable[[], dt.datetime] = utc_now

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.limit < 0:
            raise ValueError("limit must not be negative")
        if not self.billing_type.strip():
            raise ValueError("billing_type must not be empty")


@dataclass(frozen=True)
class Batch:
    """What is about to be submitted, as ``confirm`` hears it."""

    rows: tuple[int, ...]
    total: Decimal
    limit: Decimal
    billing_type: str

    def prompt(self, endpoint: str, *, production: bool) -> str:
        """``Submit 3 jobs for $12.34 to sandbox?`` (with production in words when it is)."""
        where = (
            f"PRODUCTION ({endpoint}): real mail, real charges"
            if production
            else f"{endpoint} (not production)"
        )
        return (
            f"Submit {len(self.rows)} job(s) for {dollars(self.total)} to {where}?"
            f" Billing: {self.billing_type}; spend limit {dollars(self.limit)}."
        )


@dataclass
class SubmitRun:
    """What a submit did, row by row."""

    submitted: list[int] = field(default_factory=list)  # by this run
    already: list[int] = field(default_factory=list)  # submitted before this run
    spent: Decimal = Decimal(0)  # the cost of the jobs this run submitted
    failed: list[tuple[int, str]] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # rows not understood
    waiting: list[tuple[int, str]] = field(default_factory=list)  # UNKNOWN, not settled
    batch: Batch | None = None
    stopped: str | None = None  # why nothing was submitted
    cost_column: int | None = None
    cost_rows: list[int] = field(default_factory=list)  # rows whose Cost was written

    def line(self) -> str:
        parts: list[str] = []
        if self.stopped:
            parts.append(self.stopped)
        if self.submitted:
            parts.append(f"{len(self.submitted)} job(s) submitted now for {dollars(self.spent)}")
        if self.already:
            parts.append(
                f"{len(self.already)} had been submitted already (rows {rows_named(self.already)})"
            )
        if self.failed:
            parts.append(
                f"{len(self.failed)} refused by Click2Mail (rows"
                f" {rows_named(r for r, _ in self.failed)}: see Submit Result)"
            )
        if self.unknown:
            parts.append(
                f"{len(self.unknown)} UNKNOWN: the answer was lost (rows"
                f" {rows_named(self.unknown)}); the next Submit checks their state first and"
                " never sends them twice"
            )
        for row, why in self.refused:
            parts.append(f"row {row} not submitted: {why}")
        for row, why in self.waiting:
            parts.append(f"row {row} still UNKNOWN: {why}")
        if not parts:
            parts.append(
                "Nothing to submit: no row with a Job ID and an empty Submitted cell says Yes"
                " in its Submit column"
            )
        return "; ".join(parts) + "."

    @property
    def problems(self) -> bool:
        return bool(self.failed or self.unknown or self.refused or self.waiting or self.stopped)


def submit_approved(
    port: SheetPort,
    calls: MoneyCalls,
    options: SubmitOptions,
    *,
    confirm: Callable[[Batch], bool],
    before_submit: Callable[[], object] | None = None,
    claim: Claim | None = None,
) -> SubmitRun:
    """Submit the approved rows (module docstring). ``claim`` takes a job's submit lock,
    which holds its submit record (``engine.joblock.claim_job``; None: no lock and no
    record, for one run alone). Raises
    SheetLayoutError before anything is read at Click2Mail, AuthenticationError before
    anything is submitted."""
    table, rows = read_jobs(port)
    run = SubmitRun(cost_column=table.columns[COST])
    cells = Cells(table)
    now = options.now()

    # 1. settle every earlier submit whose answer was lost
    unsettled = [row for row in rows if row.unknown and not row.is_submitted]
    states = in_pool(lambda row: _state(calls, row), unsettled, options.concurrency)
    cleared: set[int] = set()
    for row, state in zip(unsettled, states, strict=True):
        if isinstance(state, str) or state.editing is None:
            said = state if isinstance(state, str) else f"its state {state.name!r} says neither"
            run.waiting.append((row.row, f"its state could not be read ({said}); try again"))
        elif not state.editing:
            _done(cells, row, run, state, now, "the submit whose answer was lost went through")
            _forget(claim, row)
        elif (sent_at := _sent_at(row.result)) is not None and (
            wait := _too_recent(sent_at, now, options.min_age)
        ):
            run.waiting.append((row.row, wait))
        else:
            cleared.add(row.row)
            cells.set(
                row.row,
                SUBMIT_RESULT,
                f"Not submitted: the earlier submit did not take (still Editing at"
                f" {now:%Y-%m-%d %H:%M:%S} UTC)",
            )

    # 2. the batch: approved rows with a job, not submitted, not awaiting a lost answer
    holders: dict[int, list[int]] = {}
    for row in rows:
        if row.job_id is not None:
            holders.setdefault(row.job_id, []).append(row.row)
    wanted: list[JobRow] = []
    for row in rows:
        if row.is_submitted or (row.unknown and row.row not in cleared):
            continue
        approved = approval(row.submit)
        if approved is None:
            why = (
                f"its Submit cell says {row.submit!r}; type Yes to submit the job, or leave it"
                " empty"
            )
        elif not approved:
            continue
        elif row.job_id is None:
            why = (
                "it has no Job ID; create the job first"
                if is_blank(row.job_cell)
                else f"its Job ID {row.job_cell!r} is not a job number"
            )
        elif len(holders[row.job_id]) > 1:
            others = [other for other in holders[row.job_id] if other != row.row]
            why = (
                f"its Job ID {row.job_id} is also in row(s) {rows_named(others)}, and a job"
                " belongs to one row; keep the Job ID in one row and clear it in the others"
            )
        else:
            wanted.append(row)
            continue
        run.refused.append((row.row, why))
        cells.set(row.row, SUBMIT_RESULT, f"Not submitted: {why}")
    costs = in_pool(lambda row: read_cost(calls, row.job_id or 0), wanted, options.concurrency)
    batch_rows: list[tuple[JobRow, Decimal]] = []
    unread: list[int] = []
    for row, cost in zip(wanted, costs, strict=True):
        write_cost(cells, row, cost, now=now)
        if isinstance(cost, str):
            unread.append(row.row)
            continue
        run.cost_rows.append(row.row)
        if cost.state.editing is False:
            _done(cells, row, run, cost.state, now, "submitted before")
            _forget(claim, row)
        else:
            batch_rows.append((row, cost.total))
    batch = Batch(
        tuple(row.row for row, _ in batch_rows),
        sum((amount for _, amount in batch_rows), Decimal(0)),
        options.limit,
        options.billing_type,
    )
    run.batch = batch
    if unread:
        run.stopped = (
            f"Nothing submitted: the cost of row(s) {rows_named(unread)} could not be read (see"
            " Description), so the batch cannot be checked against the spend limit; try again,"
            " or clear their Submit cells"
        )
    elif batch.total > batch.limit:
        run.stopped = (
            f"Nothing submitted: the {len(batch.rows)} approved job(s) cost {dollars(batch.total)},"
            f" over the spend limit of {dollars(batch.limit)} by"
            f" {dollars(batch.total - batch.limit)}; approve fewer rows or raise the limit"
        )
    elif batch.rows and not confirm(batch):
        run.stopped = (
            f"Nothing submitted: {len(batch.rows)} job(s) for {dollars(batch.total)} were not"
            " confirmed"
        )
    if run.stopped or not batch.rows:
        cells.write(port)
        return run

    with ExitStack() as held:
        mine = _claimed(batch_rows, claim, held, cells, run)
        _send(port, calls, options, cells, run, mine, now=now, before_submit=before_submit)
    return run


Claimed: TypeAlias = list[tuple[JobRow, Decimal, HeldJob | None]]
"""The rows to submit, each with its cost and its held job (None: no ``claim``)."""


def _claimed(
    batch_rows: list[tuple[JobRow, Decimal]],
    claim: Claim | None,
    held: ExitStack,
    cells: Cells,
    run: SubmitRun,
) -> Claimed:
    """The rows whose job this run holds the submit lock of (``held`` releases them); the
    rest are refused: another run is submitting them right now."""
    if claim is None:
        return [(row, amount, None) for row, amount in batch_rows]
    mine: Claimed = []
    for row, amount in batch_rows:
        job = claim(row.job_id or 0)
        if job is None:
            why = BUSY.format(job=row.job_id)
            run.refused.append((row.row, why))
            cells.set(row.row, SUBMIT_RESULT, f"Not submitted: {why}")
        else:
            held.push(job)
            mine.append((row, amount, job))
    return mine


def _forget(claim: Claim | None, row: JobRow) -> None:
    """A job that left Editing: its submit record, if any, goes (unless another run holds
    the job right now: that run settles it)."""
    try:
        job = claim(row.job_id or 0) if claim is not None else None
        if job is not None:
            with job:
                job.settle()
    except WorkbookError:
        pass  # a record left behind holds the job back 5 minutes at most


def _too_recent(
    sent_at: dt.datetime, now: dt.datetime, min_age: dt.timedelta, record: str | None = None
) -> str | None:
    """Why a job still in Editing whose submit was sent at ``sent_at`` must not be sent yet
    (Click2Mail may still be at work on it), or None once that submit is ``min_age`` old. A
    time later than the clock now (the clock was changed) counts as just sent; ``record``,
    the file that dates it, is named so a person can clear it."""
    if sent_at <= now and now - sent_at >= min_age:
        return None
    if sent_at > now:
        dated, clock, again = (
            f"{t:%Y-%m-%d %H:%M:%S} UTC" for t in (sent_at, now, sent_at + min_age)
        )
        return (
            f"the job is still in Editing, but a submit of it is dated {dated}, later than this"
            f" computer's clock ({clock}): the clock may have been changed, so that submit counts"
            f" as just sent and the job is not sent again; run Submit again after {again}, or"
            " first see the job's state at Click2Mail"
            + (
                f" (if it shows the job was never submitted and the clock is right, deleting"
                f" {record} lets Submit send it now)"
                if record
                else ""
            )
        )
    return (
        "the job is still in Editing, but Click2Mail may still be at work on the submit sent at"
        f" {sent_at:%H:%M:%S} UTC; run Submit again after {sent_at + min_age:%H:%M:%S} UTC"
    )


def _send(
    port: SheetPort,
    calls: MoneyCalls,
    options: SubmitOptions,
    cells: Cells,
    run: SubmitRun,
    batch_rows: Claimed,
    *,
    now: dt.datetime,
    before_submit: Callable[[], object] | None,
) -> None:
    """Steps 4 and 5, under the jobs' locks."""
    costs = {row.row: amount for row, amount, _ in batch_rows}
    held = {row.row: job for row, _, job in batch_rows}
    # 4. only jobs still in Editing, with no submit in flight, are submitted
    checked = in_pool(lambda claimed: _state(calls, claimed[0]), batch_rows, options.concurrency)
    to_send: list[JobRow] = []
    for (row, _, job), state in zip(batch_rows, checked, strict=True):
        if isinstance(state, str) or state.editing is None:
            said = state if isinstance(state, str) else f"state {state.name!r}"
            _not_sent(cells, run, row, f"its state could not be checked ({said}); try again")
        elif not state.editing:
            _done(cells, row, run, state, now, "submitted before")
            if job is not None:
                job.settle()
        elif _in_flight(cells, run, row, job, options):
            continue
        else:
            to_send.append(row)

    # 5. recorded, marked, saved, then sent
    gate = threading.Lock()
    started: set[int] = set()  # may have left: from before its record is dated
    closed = False  # set once the batch is over or stopped: no POST starts after it
    answered: dict[int, CallResult] = {}

    def post(row: JobRow) -> CallResult | None:
        """Submit one job, its record dated just before its POST leaves: a lost answer's
        wait counts from this POST, not from the start of the batch. None: the batch was
        stopped before this job's turn, and nothing was sent."""
        with gate:
            if closed:
                return None
            started.add(row.row)
        if (job := held[row.row]) is not None:
            try:
                job.mark_sent(options.now())
            except WorkbookError as exc:  # the record of the batch's start still holds it
                answered[row.row] = CallResult(
                    CallOutcome.FAILED, f"Not submitted: {exc}; try again"
                )
                return answered[row.row]
        answered[row.row] = calls.submit_job(row.job_id or 0, options.billing_type)
        return answered[row.row]

    sent = options.now()
    try:
        for row in list(to_send):
            try:
                if (job := held[row.row]) is not None:
                    job.mark_sent(sent)
            except WorkbookError as exc:
                to_send.remove(row)
                _not_sent(cells, run, row, f"{exc}; try again")
        if to_send:
            for row in to_send:
                cells.set(row.row, SUBMIT_RESULT, f"{UNKNOWN_PREFIX} {_stamp(sent)}; no answer yet")
            cells.write(port)
            if before_submit is not None:
                before_submit()
            in_pool(post, to_send, options.concurrency)
    finally:
        # However the batch ends (done; Ctrl-C, however often and wherever; a failed save),
        # the gate closes first: a job that had not started then never will, and is not
        # submitted (its record goes, so nothing holds it back); one that had started and has
        # no answer yet (its thread may still send it) stays UNKNOWN, its record kept; the
        # answers in are written.
        with gate:
            closed = True
            never = [row for row in to_send if row.row not in started]
        when = options.now()
        _unsent(cells, run, never, held)
        for row in to_send:
            if (answer := answered.get(row.row)) is None:
                continue
            _record(cells, row, answer, run, when=when, sent=sent, billing=options.billing_type)
            if answer.outcome is CallOutcome.SUBMITTED and not submitted_before(answer):
                run.spent += costs[row.row]
            if answer.outcome is not CallOutcome.UNKNOWN and (job := held[row.row]) is not None:
                job.settle()
        cells.write(port)


def _unsent(
    cells: Cells, run: SubmitRun, rows: Sequence[JobRow], held: dict[int, HeldJob | None]
) -> None:
    """Rows marked UNKNOWN whose submit never left (stopped before its POST): the mark and
    the record go, so nothing holds them back."""
    for row in rows:
        if (job := held[row.row]) is not None:
            job.settle()
        _not_sent(cells, run, row, STOPPED_UNSENT)


def _in_flight(
    cells: Cells, run: SubmitRun, row: JobRow, job: HeldJob | None, options: SubmitOptions
) -> bool:
    """Whether a job still in Editing is held back by its submit record: a submit sent by
    this or another workbook or window whose answer was lost, too recent to call failed
    (its row is marked UNKNOWN with that time), or a record that cannot be read."""
    try:
        sent_at = job.sent_at() if job is not None else None
    except WorkbookError as exc:
        _not_sent(cells, run, row, f"{exc}; try again")
        return True
    if sent_at is None or not (
        wait := _too_recent(
            sent_at, options.now(), options.min_age, job.where if job is not None else None
        )
    ):
        return False
    why = (
        f"a submit of job {row.job_id} from this or another workbook or window got no answer;"
        f" {wait}"
    )
    run.waiting.append((row.row, why))
    cells.set(row.row, SUBMIT_RESULT, f"{UNKNOWN_PREFIX} {_stamp(sent_at)}; {why}")
    return True


def _not_sent(cells: Cells, run: SubmitRun, row: JobRow, why: str) -> None:
    run.failed.append((row.row, why))
    cells.set(row.row, SUBMIT_RESULT, f"Not submitted: {why}")


def _state(calls: MoneyCalls, row: JobRow) -> JobState | str:
    try:
        return calls.job_state(row.job_id or 0)
    except AuthenticationError:
        raise
    except (ApiError, TransportError) as exc:
        return str(exc)


def _done(
    cells: Cells, row: JobRow, run: SubmitRun, state: JobState, now: dt.datetime, how: str
) -> None:
    """A job that left Editing: submitted, with nothing sent now."""
    run.already.append(row.row)
    cells.set(row.row, SUBMITTED, now)
    cells.set(
        row.row,
        SUBMIT_RESULT,
        f"Submitted: {how} (state {state.name or state.code} at {now:%Y-%m-%d %H:%M:%S} UTC)",
    )


def _record(
    cells: Cells,
    row: JobRow,
    answer: CallResult,
    run: SubmitRun,
    *,
    when: dt.datetime,
    sent: dt.datetime,
    billing: str,
) -> None:
    if answer.outcome is CallOutcome.SUBMITTED and submitted_before(answer):
        # Click2Mail says the job had left Editing: submitted, but not by this run
        run.already.append(row.row)
        cells.set(row.row, SUBMITTED, when)
        cells.set(row.row, SUBMIT_RESULT, f"Submitted before this run: {answer.description}")
    elif answer.outcome is CallOutcome.SUBMITTED:
        run.submitted.append(row.row)
        cells.set(row.row, SUBMITTED, when)
        cells.set(row.row, SUBMIT_RESULT, f"Submitted ({billing}): {answer.description}")
    elif answer.outcome is CallOutcome.UNKNOWN:
        run.unknown.append(row.row)
        cells.set(row.row, SUBMIT_RESULT, f"{answer.description} ({_stamp(sent)})")
    else:
        run.failed.append((row.row, answer.description))
        cells.set(row.row, SUBMIT_RESULT, f"Not submitted: {answer.description}")


def _stamp(sent: dt.datetime) -> str:
    return f"submit sent {sent:%Y-%m-%d %H:%M:%S} UTC"


def _sent_at(result: object) -> dt.datetime | None:
    """When a lost submit was sent, from its mark (None when the mark has no time: one
    typed or edited by hand, which counts as old)."""
    found = _SENT.search(result) if isinstance(result, str) else None
    return dt.datetime.strptime(found[1], "%Y-%m-%d %H:%M:%S") if found else None
