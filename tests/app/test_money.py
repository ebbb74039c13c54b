"""Get Cost and Submit Approved Jobs, each run through the openpyxl adapter and through
xlwings' remote engine, against the sandbox over HTTP: money is spent once, under the limit."""

from __future__ import annotations

import datetime as dt
import functools
import signal
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from xl_mailer.app.cost import get_costs
from xl_mailer.app.submit import (
    Batch,
    SubmitOptions,
    SubmitRun,
    approval,
    billing_type,
    spend_limit,
    submit_approved,
)
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.click2mail.readings import money
from xl_mailer.core.errors import ConfigurationError
from xl_mailer.core.models import JobRequest
from xl_mailer.engine.joblock import ClaimedJob, claim_job
from xl_mailer.sandbox import Sandbox, SandboxConfig

from ..conftest import LETTER, later_clock, still_editing
from .adapters import Adapter, FileAdapter, Grid, RemoteAdapter

HEADER = ["Job ID", "Description", "Submit"]
COST, SUBMITTED, RESULT = 3, 4, 5  # placed right of the data, in this order


@pytest.fixture(params=["openpyxl", "xlwings"])
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Adapter:
    return FileAdapter(tmp_path) if request.param == "openpyxl" else RemoteAdapter()


def mailing_for(box: Sandbox) -> Mailing:
    return Mailing(Click2MailClient(box.url, "sandbox", box.config.password))


@pytest.fixture
def calls(sandbox: Sandbox) -> Iterator[Mailing]:
    made = mailing_for(sandbox)
    yield made
    made.client.close()


def new_jobs(calls: Mailing, count: int) -> list[int]:
    params = tuple((k, str(v)) for k, v in LETTER.items())
    ids = [calls.client.create_job(JobRequest(2, params)).job_id for _ in range(count)]
    assert all(ids)
    return [i for i in ids if i is not None]


def cell(grid: Grid, row: int, column: int) -> object:
    line = grid[row - 1]
    return line[column] if column < len(line) else None


def yes(batch: Batch) -> bool:
    return True


def options(limit: str, **more: object) -> SubmitOptions:
    return SubmitOptions(limit=Decimal(limit), **more)  # type: ignore[arg-type]


def test_get_cost_writes_each_unsubmitted_jobs_cost_and_the_total(
    adapter: Adapter, calls: Mailing
) -> None:
    first, second = new_jobs(calls, 2)
    price = calls.job_cost(first).total
    port = adapter.open(
        [HEADER, [first, "Created"], [second, "Created"], [999999, "Created"], [None, "Not sent"]]
    )
    costed = get_costs(port, calls)
    grid = adapter.read()
    assert grid[0][COST] == "Cost"
    assert [cell(grid, r, COST) for r in (2, 3)] == [float(price)] * 2
    assert str(cell(grid, 4, COST)).startswith("Not read: ")  # why, where the cost would be
    assert [cell(grid, r, 1) for r in (2, 3, 4)] == ["Created"] * 3  # Description left alone
    assert costed.total == 2 * price and [r for r, _ in costed.failed] == [4]
    assert costed.line().startswith(f"Cost of 2 job(s) not yet submitted: ${2 * price:,.2f}")


def test_a_batch_one_cent_over_the_limit_submits_nothing(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    jobs = new_jobs(calls, 2)
    total = sum(calls.job_cost(job).total for job in jobs)
    port = adapter.open([HEADER, *([job, "Created", "Yes"] for job in jobs)])
    asked: list[Batch] = []
    run = submit_approved(
        port, calls, options(str(total - Decimal("0.01"))), confirm=lambda b: asked.append(b) > 0
    )
    grid = adapter.read()
    assert sum(sandbox.state.submits.values()) == 0 and asked == []
    assert run.stopped and "over the spend limit" in run.stopped and "$0.01" in run.stopped
    assert {cell(grid, r, SUBMITTED) for r in (2, 3)} <= {None, ""}
    assert all(isinstance(cell(grid, r, COST), float) for r in (2, 3))


def test_a_batch_at_the_limit_is_submitted_once_and_never_again(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    jobs = new_jobs(calls, 3)
    total = sum(calls.job_cost(job).total for job in jobs[:2])
    port = adapter.open(
        [HEADER, [jobs[0], "Created", "yes"], [jobs[1], "Created", "X"], [jobs[2], "Created", "no"]]
    )
    asked: list[Batch] = []
    run = submit_approved(
        port, calls, options(str(total)), confirm=lambda b: asked.append(b) is None
    )
    grid = adapter.read()
    assert run.submitted == [2, 3] and not run.problems
    assert asked[0].rows == (2, 3) and asked[0].total == total
    assert {j: sandbox.state.submits[j] for j in jobs} == {jobs[0]: 1, jobs[1]: 1, jobs[2]: 0}
    assert isinstance(cell(grid, 2, SUBMITTED), dt.datetime)
    assert cell(grid, 2, RESULT) == "Submitted (User Credit): Success"
    assert cell(grid, 4, SUBMITTED) in (None, "")

    again = submit_approved(adapter.open(grid), calls, options(str(total)), confirm=yes)
    assert sandbox.state.submits[jobs[0]] == 1 and sandbox.state.submits[jobs[1]] == 1
    assert again.submitted == [] and again.line().startswith("Nothing to submit")


def test_a_submit_cell_that_is_not_understood_refuses_that_row(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    maybe, sure = new_jobs(calls, 2)
    port = adapter.open([HEADER, [maybe, "Created", "maybe"], [sure, "Created", True]])
    run = submit_approved(port, calls, options("1000"), confirm=yes)
    grid = adapter.read()
    assert sandbox.state.submits[maybe] == 0 and sandbox.state.submits[sure] == 1
    assert run.refused == [(2, run.refused[0][1])] and "'maybe'" in run.refused[0][1]
    assert str(cell(grid, 2, RESULT)).startswith("Not submitted: its Submit cell says 'maybe'")
    assert "row 2 not submitted" in run.line()


def test_a_declined_batch_sends_nothing(adapter: Adapter, sandbox: Sandbox, calls: Mailing) -> None:
    (job,) = new_jobs(calls, 1)
    run = submit_approved(
        adapter.open([HEADER, [job, "Created", "Y"]]),
        calls,
        options("1000"),
        confirm=lambda b: False,
    )
    assert sandbox.state.submits[job] == 0
    assert run.stopped is not None and "not confirmed" in run.stopped


def test_a_lost_submit_answer_is_settled_by_the_jobs_state_without_a_second_submit(
    adapter: Adapter,
) -> None:
    with Sandbox(SandboxConfig(fault="drop", fault_on="submit")) as box:
        calls = mailing_for(box)
        (job,) = new_jobs(calls, 1)
        port = adapter.open([HEADER, [job, "Created", "Yes"]])
        saved: list[int] = []
        run = submit_approved(
            port, calls, options("1000"), confirm=yes, before_submit=lambda: saved.append(1)
        )
        grid = adapter.read()
        assert run.unknown == [2] and saved == [1]
        assert str(cell(grid, 2, RESULT)).startswith("UNKNOWN:")
        assert cell(grid, 2, SUBMITTED) in (None, "")

        again = submit_approved(adapter.open(grid), calls, options("1000"), confirm=yes)
        grid = adapter.read()
        assert box.state.submits[job] == 1
        assert again.already == [2] and not again.submitted
        assert isinstance(cell(grid, 2, SUBMITTED), dt.datetime)
        assert "went through" in str(cell(grid, 2, RESULT))
        calls.client.close()


def test_a_lost_submit_of_a_job_still_in_editing_waits_then_is_sent_again(
    adapter: Adapter,
) -> None:
    """A 500 that did nothing: the job stays in Editing. It is not sent again while the
    first submit could still be at work at Click2Mail; after ``min_age`` it is."""
    with Sandbox(SandboxConfig(fault="html500", fault_on="submit", fault_every=1)) as box:
        calls = mailing_for(box)
        (job,) = new_jobs(calls, 1)
        submit_approved(
            adapter.open([HEADER, [job, "Created", "Yes"]]), calls, options("1000"), confirm=yes
        )
        grid = adapter.read()
        assert box.state.submits[job] == 0  # the 500 came before the sandbox counted it
        assert box.state.requests["submit"] == 1
        waited = submit_approved(adapter.open(grid), calls, options("1000"), confirm=yes)
        assert box.state.requests["submit"] == 1
        assert waited.waiting and "still in Editing" in waited.waiting[0][1]
        assert str(cell(adapter.read(), 2, RESULT)).startswith("UNKNOWN:")
        box.config.fault = None
        later = options(
            "1000",
            now=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=6),
        )
        run = submit_approved(adapter.open(adapter.read()), calls, later, confirm=yes)
        assert run.submitted == [2] and box.state.submits[job] == 1
        assert box.state.requests["submit"] == 2
        calls.client.close()


def test_a_job_submitted_elsewhere_is_marked_submitted_without_a_submit(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    (job,) = new_jobs(calls, 1)
    calls.submit_job(job, "User Credit")
    run = submit_approved(
        adapter.open([HEADER, [job, "Created", "Yes"]]), calls, options("0"), confirm=yes
    )
    assert sandbox.state.submits[job] == 1 and run.already == [2] and not run.stopped
    assert isinstance(cell(adapter.read(), 2, SUBMITTED), dt.datetime)


def in_minutes(minutes: float) -> SubmitOptions:
    """Options whose clock reads ``minutes`` from now."""
    return options("1000", now=lambda: later_clock(minutes))


def claim_at(box: Sandbox) -> Callable[[int], ClaimedJob | None]:
    """Claims jobs as a run against ``box`` does."""
    return functools.partial(claim_job, box.url)


def record_of(box: Sandbox, job: int) -> dt.datetime | None:
    """The job's submit record in the state folder: when a submit with no answer was sent."""
    held = claim_job(box.url, job)
    assert held is not None
    with held:
        return held.sent_at()


def lost_first_submit(adapter: Adapter, box: Sandbox) -> tuple[Mailing, int, Grid, SubmitRun]:
    """A new job and workbook A's submit of it, under ``box``'s fault, with its lock."""
    calls = mailing_for(box)
    (job,) = new_jobs(calls, 1)
    rows: Grid = [HEADER, [job, "Created", "Yes"]]
    first = submit_approved(
        adapter.open(rows), calls, options("1000"), confirm=yes, claim=claim_at(box)
    )
    return calls, job, rows, first


def test_a_lost_submit_holds_the_job_back_in_every_workbook_for_5_minutes(
    adapter: Adapter,
) -> None:
    """Workbook A's submit went through but its answer was lost, and Click2Mail still reads
    the job as Editing. Workbook B (the row pasted, without A's mark) sends nothing."""
    with Sandbox(SandboxConfig(fault="drop", fault_on="submit")) as box:
        calls, job, rows, first = lost_first_submit(adapter, box)
        claim = claim_at(box)
        assert first.unknown == [2] and box.state.submits[job] == 1
        sent = record_of(box, job)
        assert sent is not None
        box.config.fault = None
        with pytest.MonkeyPatch.context() as stale:
            still_editing(stale)
            other = submit_approved(
                adapter.open(rows), calls, options("1000"), confirm=yes, claim=claim
            )
            assert box.state.submits[job] == 1
            assert not other.submitted and [r for r, _ in other.waiting] == [2]
            again_at = sent + dt.timedelta(minutes=5)
            assert f"run Submit again after {again_at:%H:%M:%S} UTC" in other.waiting[0][1]
            result = str(cell(adapter.read(), 2, RESULT))
            assert result.startswith(f"UNKNOWN: submit sent {sent:%Y-%m-%d %H:%M:%S} UTC;")
            assert "from this or another workbook or window got no answer" in result
            assert "row 2 still UNKNOWN" in other.line()
            # B's next Submit, still within the 5 minutes, waits on its own mark as well
            again = submit_approved(adapter.open(adapter.read()), calls, in_minutes(4), confirm=yes)
            assert box.state.submits[job] == 1 and again.waiting

        # the state catches up: the record goes, and the row is submitted with nothing sent
        settled = submit_approved(
            adapter.open(rows), calls, options("1000"), confirm=yes, claim=claim
        )
        assert settled.already == [2] and box.state.submits[job] == 1
        assert record_of(box, job) is None
        calls.client.close()


def test_a_lost_submit_that_did_not_take_is_sent_once_after_5_minutes_from_any_workbook(
    adapter: Adapter,
) -> None:
    """A 500 that did nothing: the job stays in Editing. Another workbook holding the job
    does not send it within 5 minutes of the lost submit; after them, it sends it once."""
    with Sandbox(SandboxConfig(fault="html500", fault_on="submit")) as box:
        calls, job, rows, first = lost_first_submit(adapter, box)
        claim = claim_at(box)
        assert first.unknown == [2] and box.state.requests["submit"] == 1
        box.config.fault = None
        for minutes in (0, 4.9):
            waited = submit_approved(
                adapter.open(rows), calls, in_minutes(minutes), confirm=yes, claim=claim
            )
            assert waited.waiting and not waited.submitted
            assert box.state.requests["submit"] == 1
        later = submit_approved(adapter.open(rows), calls, in_minutes(6), confirm=yes, claim=claim)
        assert later.submitted == [2] and box.state.submits[job] == 1
        assert box.state.requests["submit"] == 2
        assert record_of(box, job) is None  # answered: the record is gone
        calls.client.close()


def test_a_submit_record_from_the_future_counts_as_just_sent(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    """The clock was put back after a lost submit: its record is dated later than now."""
    (job,) = new_jobs(calls, 1)
    ahead = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + dt.timedelta(hours=1)
    held = claim_job(sandbox.url, job)
    assert held is not None
    with held:
        held.mark_sent(ahead)
    claim = claim_at(sandbox)

    rows = [HEADER, [job, "Created", "Yes"]]
    run = submit_approved(adapter.open(rows), calls, options("1000"), confirm=yes, claim=claim)
    assert sandbox.state.submits[job] == 0 and not run.submitted
    why = run.waiting[0][1]
    assert f"dated {ahead:%Y-%m-%d %H:%M:%S} UTC, later than this computer's clock" in why
    assert "the clock may have been changed" in why
    assert f"after {ahead + dt.timedelta(minutes=5):%Y-%m-%d %H:%M:%S} UTC" in why
    assert f"deleting {held.where} lets Submit send it now" in why and held.where.endswith(
        ".submit"
    )
    run = submit_approved(adapter.open(rows), calls, in_minutes(66), confirm=yes, claim=claim)
    assert run.submitted == [2] and sandbox.state.submits[job] == 1


def test_a_save_that_fails_before_the_post_leaves_no_submit_record(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    (job,) = new_jobs(calls, 1)
    rows = [HEADER, [job, "Created", "Yes"]]
    claim = claim_at(sandbox)

    def fail() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        submit_approved(
            adapter.open(rows), calls, options("1000"), confirm=yes, claim=claim, before_submit=fail
        )
    assert sandbox.state.requests["submit"] == 0 and record_of(sandbox, job) is None
    run = submit_approved(adapter.open(rows), calls, options("1000"), confirm=yes, claim=claim)
    assert run.submitted == [2] and sandbox.state.submits[job] == 1


def test_ctrl_c_before_the_posts_leave_marks_no_row_unknown(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    """Ctrl-C while the marks are saved, before any POST: each row says it was not sent, no
    record holds its job back, and the next run submits each job once, at once."""
    jobs = new_jobs(calls, 2)
    rows = [HEADER, *([job, "Created", "Yes"] for job in jobs)]
    claim = claim_at(sandbox)

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        submit_approved(
            adapter.open(rows),
            calls,
            options("1000"),
            confirm=yes,
            claim=claim,
            before_submit=interrupted,
        )
    after = adapter.read()
    for row in (2, 3):
        assert str(cell(after, row, RESULT)).startswith("Not submitted: stopped before it was sent")
    assert sandbox.state.requests["submit"] == 0
    assert all(record_of(sandbox, job) is None for job in jobs)
    run = submit_approved(adapter.open(after), calls, options("1000"), confirm=yes, claim=claim)
    assert run.submitted == [2, 3] and not run.waiting
    assert all(sandbox.state.submits[job] == 1 for job in jobs)


class CtrlCAtFirstSubmit:
    """The run's calls against a slow Click2Mail (each submit's POST out for 0.2 s), with
    Ctrl-C pressed (SIGINT to the main thread, as a terminal sends it) while the first is out."""

    def __init__(self, calls: Mailing) -> None:
        self.calls = calls
        self.pressed = False
        self.lock = threading.Lock()  # once: two workers start at the same moment

    def __getattr__(self, name: str) -> object:
        return getattr(self.calls, name)

    def submit_job(self, job_id: int, billing_type: str) -> object:
        with self.lock:
            first, self.pressed = not self.pressed, True
        if first:
            main = threading.main_thread().ident
            assert main is not None
            signal.pthread_kill(main, signal.SIGINT)
        time.sleep(0.2)
        return self.calls.submit_job(job_id, billing_type)


def test_ctrl_c_while_submits_are_out_records_each_answer_and_starts_no_more(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    """The POSTs already out finish and their answers are written; the jobs whose POST never
    started say so and carry no record; the next run submits them. No job is sent twice."""
    jobs = new_jobs(calls, 8)
    rows = [HEADER, *([job, "Created", "Yes"] for job in jobs)]
    claim = claim_at(sandbox)
    with pytest.raises(KeyboardInterrupt):
        submit_approved(
            adapter.open(rows),
            CtrlCAtFirstSubmit(calls),  # type: ignore[arg-type]
            options("1000", concurrency=2),
            confirm=yes,
            claim=claim,
        )
    after = adapter.read()
    results = {job: str(cell(after, row, RESULT)) for row, job in enumerate(jobs, start=2)}
    sent = [job for job in jobs if sandbox.state.submits[job]]
    assert 1 <= len(sent) < len(jobs)
    for job in jobs:
        if job in sent:
            assert results[job].startswith("Submitted (User Credit)"), results[job]
        else:
            assert results[job].startswith("Not submitted: stopped before it was sent")
            assert record_of(sandbox, job) is None
    run = submit_approved(adapter.open(after), calls, options("1000"), confirm=yes, claim=claim)
    assert not run.waiting and not run.unknown
    assert sorted(run.submitted) == [r for r, j in enumerate(jobs, start=2) if j not in sent]
    assert all(sandbox.state.submits[job] == 1 for job in jobs)


class SlowDisk:
    """A held job whose record writes call ``trap`` first (in the submit threads only,
    unless ``main_too``): a slow disk, or one on which Ctrl-C is pressed."""

    def __init__(self, job: ClaimedJob, trap: Callable[[], None], *, main_too: bool = False):
        self.job, self.trap, self.main_too = job, trap, main_too

    def __enter__(self) -> SlowDisk:
        self.job.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.job.__exit__(*exc)

    @property
    def where(self) -> str:
        return self.job.where

    def sent_at(self) -> dt.datetime | None:
        return self.job.sent_at()

    def settle(self) -> None:
        self.job.settle()

    def mark_sent(self, when: dt.datetime) -> None:
        if self.main_too or threading.current_thread() is not threading.main_thread():
            self.trap()
        self.job.mark_sent(when)


def test_ctrl_c_pressed_again_and_again_never_calls_a_started_submit_unsent(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    """Ctrl-C again and again while two submit threads are still writing their records (a
    slow disk), until the run stops: those two POSTs leave afterwards. Their rows must stay
    UNKNOWN (never "not sent", which would let the next run submit them again); the jobs
    whose turn never came are not submitted; the next run submits each job once."""
    jobs = new_jobs(calls, 4)
    rows = [HEADER, *([job, "Created", "Yes"] for job in jobs)]
    release = threading.Event()
    pressing = threading.Lock()
    main = threading.main_thread().ident
    assert main is not None

    left = threading.Event()  # the run has stopped: no more presses

    def press_until_it_stops() -> None:
        for _ in range(5):
            if left.is_set():
                return
            signal.pthread_kill(main, signal.SIGINT)
            left.wait(0.15)

    arrived = [0]

    def trap() -> None:  # both threads hold a started job when Ctrl-C is first pressed
        with pressing:
            arrived[0] += 1
            if arrived[0] == 2:
                threading.Thread(target=press_until_it_stops).start()
        release.wait(10)

    def slow_claim(job: int) -> SlowDisk | None:
        held = claim_job(sandbox.url, job)
        return SlowDisk(held, trap) if held is not None else None

    with pytest.raises(KeyboardInterrupt):
        submit_approved(
            adapter.open(rows),
            calls,
            options("1000", concurrency=2),
            confirm=yes,
            claim=slow_claim,
        )
    left.set()
    release.set()
    deadline = time.monotonic() + 10
    while sandbox.state.requests["submit"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    after = adapter.read()
    said = {job: str(cell(after, row, RESULT)) for row, job in enumerate(jobs, start=2)}
    posted = [job for job in jobs if sandbox.state.submits[job]]
    assert len(posted) == 2
    for job in jobs:
        if job in posted:
            assert said[job].startswith("UNKNOWN:"), said[job]
        else:
            assert said[job].startswith("Not submitted: stopped before it was sent"), said[job]
    run = submit_approved(
        adapter.open(after), calls, in_minutes(6), confirm=yes, claim=claim_at(sandbox)
    )
    assert not run.waiting and not run.failed
    assert all(sandbox.state.submits[job] == 1 for job in jobs)


def test_ctrl_c_while_the_batch_records_are_written_holds_no_job_back(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    """Ctrl-C while the batch's submit records are written, before any mark or POST: no
    record is left to hold a job back 5 minutes, and the next run submits each job once."""
    jobs = new_jobs(calls, 3)
    rows = [HEADER, *([job, "Created", "Yes"] for job in jobs)]
    written = [0]

    def press_at_the_second() -> None:
        written[0] += 1
        if written[0] == 2:
            raise KeyboardInterrupt

    def claim(job: int) -> SlowDisk | None:
        held = claim_job(sandbox.url, job)
        return SlowDisk(held, press_at_the_second, main_too=True) if held is not None else None

    with pytest.raises(KeyboardInterrupt):
        submit_approved(adapter.open(rows), calls, options("1000"), confirm=yes, claim=claim)
    assert sandbox.state.requests["submit"] == 0
    assert all(record_of(sandbox, job) is None for job in jobs)
    run = submit_approved(
        adapter.open(adapter.read()), calls, options("1000"), confirm=yes, claim=claim_at(sandbox)
    )
    assert sorted(run.submitted) == [2, 3, 4] and not run.waiting
    assert all(sandbox.state.submits[job] == 1 for job in jobs)


def test_a_submit_record_is_kept_on_disk_per_account_and_job(sandbox: Sandbox) -> None:
    when = dt.datetime(2026, 3, 1, 12, 0, 5)
    held = claim_job(sandbox.url, 7)
    assert held is not None
    with held:
        assert held.sent_at() is None
        held.mark_sent(when)
        assert held.sent_at() == when
    assert held.record.path.name.endswith("-7.submit")
    assert held.record.path.read_text(encoding="utf-8") == "2026-03-01T12:00:05\n"
    assert record_of(sandbox, 8) is None
    other = claim_job("stage", 7)
    assert other is not None
    with other:
        assert other.sent_at() is None
    held.record.path.write_text("cut sho", encoding="utf-8")  # unreadable: from its change
    assert record_of(sandbox, 7) is not None
    again = claim_job(sandbox.url, 7)
    assert again is not None
    with again:
        again.settle()
        assert again.sent_at() is None


@pytest.mark.parametrize(
    ("given", "setting", "expected"),
    [
        ("250", None, Decimal("250")),
        (None, 99.5, Decimal("99.5")),
        (None, "$1,000.00", Decimal("1000.00")),
        ("1,000", None, Decimal("1000")),
        ("12,345.67", None, Decimal("12345.67")),
        (None, 1000.5, Decimal("1000.5")),
        ("10", "500", Decimal("10")),
        ("0", None, Decimal("0")),
    ],
)
def test_the_spend_limit_is_the_option_else_the_setting(
    given: object, setting: object, expected: Decimal
) -> None:
    assert spend_limit(given, setting) == expected


@pytest.mark.parametrize(
    ("given", "setting", "words"),
    [
        (None, None, "No spend limit is set"),
        ("", "  ", "No spend limit is set"),
        ("-5", None, "--limit must be 0 or more dollars"),
        (None, -0.01, "Spend Limit must be 0 or more dollars"),
        ("lots", None, "--limit must be an amount in dollars"),
        (None, "ten dollars", "Spend Limit must be an amount in dollars"),
        (None, True, "must be an amount in dollars"),
        ("nan", None, "must be 0 or more dollars"),
        ("250,00", None, "--limit must be an amount in dollars like 250 or 250.00.*'250,00'"),
        ("1,5", None, "--limit must be an amount in dollars like 250 or 250.00.*'1,5'"),
        ("1.000,00", None, "like 250 or 250.00.*'1.000,00'"),
        (None, "250,00", "Settings: Spend Limit must be an amount in dollars like 250 or 250.00"),
        ("12,34,567", None, "like 250 or 250.00"),
    ],
)
def test_a_missing_negative_or_text_limit_is_refused(
    given: object, setting: object, words: str
) -> None:
    with pytest.raises(ConfigurationError, match=words) as caught:
        spend_limit(given, setting)
    if "No spend limit" in words:
        assert "Settings sheet" in str(caught.value) and "--limit" in str(caught.value)


def test_approval_words() -> None:
    assert [approval(v) for v in ("Yes", "TRUE", "y", "X", True, " yes ")] == [True] * 6
    assert [approval(v) for v in (None, "", "No", "false", "N", False)] == [False] * 6
    assert [approval(v) for v in ("maybe", "yes please", 1, "ok")] == [None] * 4


def test_billing_type_is_the_option_else_the_setting_else_user_credit() -> None:
    assert billing_type("Invoice", "ACH") == "Invoice"
    assert billing_type(None, "ACH") == "ACH"
    assert billing_type(None, None) == "User Credit"


def test_the_prompt_says_production_in_words() -> None:
    batch = Batch((2, 3), Decimal("12.5"), Decimal("100"), "User Credit")
    assert batch.prompt("production", production=True).startswith(
        "Submit 2 job(s) for $12.50 to PRODUCTION (production): real mail, real charges?"
    )
    assert "not production" in batch.prompt("sandbox", production=False)


def test_a_job_id_in_two_rows_is_refused_in_both_and_the_rest_is_submitted(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    twice, once = new_jobs(calls, 2)
    price = calls.job_cost(once).total
    port = adapter.open(
        [HEADER, [twice, "Created", "Yes"], [once, "Created", "Yes"], [twice, "Created", "Yes"]]
    )
    asked: list[Batch] = []
    run = submit_approved(port, calls, options("1000"), confirm=lambda b: asked.append(b) is None)
    grid = adapter.read()
    assert asked[0].rows == (3,) and asked[0].total == price
    assert sandbox.state.submits[twice] == 0 and sandbox.state.submits[once] == 1
    assert run.submitted == [3] and [r for r, _ in run.refused] == [2, 4]
    assert str(cell(grid, 2, RESULT)).startswith(
        f"Not submitted: its Job ID {twice} is also in row(s) 4, and a job belongs to one row"
    )
    assert f"its Job ID {twice} is also in row(s) 2," in str(cell(grid, 4, RESULT))
    assert {cell(grid, r, COST) for r in (2, 4)} <= {None, ""}  # neither costed
    assert {cell(grid, r, SUBMITTED) for r in (2, 4)} <= {None, ""}


def test_an_impermissible_state_answer_is_submitted_before_this_run_not_by_it(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    elsewhere, mine = new_jobs(calls, 2)
    price = calls.job_cost(mine).total
    port = adapter.open([HEADER, [elsewhere, "Created", "Yes"], [mine, "Created", "Yes"]])
    # another run submits the first job after this run's state check, before its POST
    run = submit_approved(
        port,
        calls,
        options("1000"),
        confirm=yes,
        before_submit=lambda: calls.submit_job(elsewhere, "User Credit"),
    )
    grid = adapter.read()
    # the second submit of the first job was answered 400 / 9 and charged nothing
    assert sandbox.state.submits[elsewhere] == 2 and sandbox.state.submits[mine] == 1
    assert run.submitted == [3] and run.already == [2] and run.spent == price
    assert run.line().startswith(
        f"1 job(s) submitted now for ${price:,.2f}; 1 had been submitted already (rows 2)"
    )
    assert isinstance(cell(grid, 2, SUBMITTED), dt.datetime)
    assert str(cell(grid, 2, RESULT)).startswith("Submitted before this run: Already submitted")


def test_a_job_another_run_is_submitting_is_left_to_it(
    adapter: Adapter, sandbox: Sandbox, calls: Mailing
) -> None:
    busy, free = new_jobs(calls, 2)
    port = adapter.open([HEADER, [busy, "Created", "Yes"], [free, "Created", "Yes"]])
    other = claim_job(sandbox.url, busy)  # another run holds the job's lock
    assert other is not None
    try:
        run = submit_approved(
            port, calls, options("1000"), confirm=yes, claim=lambda j: claim_job(sandbox.url, j)
        )
    finally:
        other.__exit__(None, None, None)
    grid = adapter.read()
    assert sandbox.state.submits[busy] == 0 and sandbox.state.submits[free] == 1
    assert run.submitted == [3] and [r for r, _ in run.refused] == [2]
    assert cell(grid, 2, RESULT) == (
        f"Not submitted: another xl-mailer run is submitting job {busy} right now; run Submit"
        " again once it has finished"
    )
    # this run released its locks; once the other run is done, the job goes
    again = submit_approved(
        adapter.open(grid),
        calls,
        options("1000"),
        confirm=yes,
        claim=lambda j: claim_job(sandbox.url, j),
    )
    assert again.submitted == [2] and sandbox.state.submits[busy] == 1
    assert sandbox.state.submits[free] == 1


def test_a_job_lock_is_one_per_account_and_job(sandbox: Sandbox) -> None:
    held = claim_job(sandbox.url, 7)
    assert held is not None
    assert claim_job(sandbox.url, 7) is None
    other_job, other_account = claim_job(sandbox.url, 8), claim_job("stage", 7)
    assert other_job is not None and other_account is not None
    for lock in (held, other_job, other_account):
        lock.__exit__(None, None, None)
    again = claim_job(sandbox.url, 7)
    assert again is not None
    again.__exit__(None, None, None)


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("12.50", Decimal("12.50")),
        ("$1,234.50", Decimal("1234.50")),
        ("0", Decimal(0)),
        ("-5.00", None),
        ("-0.01", None),
        ("nan", None),
    ],
)
def test_a_negative_cost_cannot_be_read(text: str, read: Decimal | None) -> None:
    assert money(text) == read


def test_a_lost_submits_wait_counts_from_its_own_post_not_from_the_start_of_the_batch(
    adapter: Adapter,
) -> None:
    with Sandbox(SandboxConfig(fault="html500", fault_on="submit", fault_every=1)) as box:
        calls = Mailing(Click2MailClient(box.url, "sandbox", box.config.password))
        (job,) = new_jobs(calls, 1)
        start = dt.datetime(2026, 11, 28, 12, 0, 0)
        ticks = iter(range(10_000))  # each reading of the clock is a minute later

        def clock() -> dt.datetime:
            return start + dt.timedelta(minutes=next(ticks))

        rows = [HEADER, [job, "Created", "Yes"]]
        run = submit_approved(
            adapter.open(rows), calls, options("1000", now=clock), confirm=yes, claim=claim_at(box)
        )
        assert run.unknown == [2] and box.state.requests["submit"] == 1
        grid = adapter.read()
        marked = str(grid[1][grid[0].index("Submit Result")])
        began = dt.datetime.strptime(marked.split("submit sent ")[1][:19], "%Y-%m-%d %H:%M:%S")
        sent = record_of(box, job)
        assert sent is not None and sent > began  # dated at its POST, after the batch began
        calls.client.close()
