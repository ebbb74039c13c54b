"""The send loop's states: each row recorded once on the calling thread; a cancel, a Ctrl-C,
a 401 or a failure stops new sends while every answer in flight is still recorded and
journaled; and the journal is closed on every way out. Scheduling is steered with events,
never with sleeps."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence

import pytest

from xl_mailer.core.errors import AuthenticationError
from xl_mailer.core.models import JobRequest, JobResult, Outcome
from xl_mailer.core.rows import RowPlan
from xl_mailer.engine.runner import CANCELLED, RunSummary, execute

WAIT = 10.0  # seconds an event may take before a test fails instead of hanging


def _requests(n: int, *, first: int = 2) -> list[JobRequest]:
    return [JobRequest(r, (("documentId", "1"),), key=f"k{r}") for r in range(first, first + n)]


def _plans(requests: Sequence[JobRequest]) -> list[RowPlan]:
    return [RowPlan(r.row, request=r) for r in requests]


def _created(request: JobRequest) -> JobResult:
    return JobResult(Outcome.CREATED, "Created", 1000 + request.row, 201, 0)


def _run(
    rows: int,
    send: Callable[[JobRequest], JobResult],
    *,
    concurrency: int,
    cancel: threading.Event | None = None,
    journal: LogJournal | None = None,
) -> tuple[RunSummary, list[tuple[int, JobResult]]]:
    """Send ``rows`` rows (sheet rows 2 on); the summary, and what was recorded in order."""
    recorded: list[tuple[int, JobResult]] = []
    summary = execute(
        _plans(_requests(rows)),
        send,
        record=lambda row, result: recorded.append((row, result)),
        concurrency=concurrency,
        cancel=cancel,
        journal=journal,
    )
    return summary, recorded


class LogJournal:
    """A RunJournal that logs every call in order; it can fail where a test says."""

    def __init__(
        self,
        *,
        fail_batch: int | None = None,
        fail_result: str | None = None,
        fail_sync: bool = False,
    ) -> None:
        self.lock = threading.Lock()
        self.log: list[tuple[str, tuple[str, ...]]] = []
        self.results: dict[str, JobResult] = {}
        self.fail_batch = fail_batch  # this batch of send records (0: the first) fails
        self.fail_result = fail_result  # the answer for this key cannot be written
        self.fail_sync = fail_sync

    def _keys(self, kind: str) -> set[str]:
        with self.lock:
            return {key for logged, keys in self.log if logged == kind for key in keys}

    @property
    def journaled(self) -> set[str]:
        return self._keys("send")

    @property
    def answered(self) -> set[str]:
        return self._keys("result")

    @property
    def withdrawn_keys(self) -> set[str]:
        return self._keys("withdrawn")

    def kinds(self) -> list[str]:
        with self.lock:
            return [kind for kind, _ in self.log]

    def sending(self, requests: Sequence[JobRequest]) -> None:
        keys = tuple(str(r.key) for r in requests)
        with self.lock:
            batches = sum(1 for kind, _ in self.log if kind in ("send", "failed"))
            if batches == self.fail_batch:
                self.log.append(("failed", keys))
                raise OSError(28, "No space left on device")
            self.log.append(("send", keys))

    def result(self, request: JobRequest, result: JobResult) -> None:
        if request.key == self.fail_result:
            raise OSError(5, "Input/output error")
        with self.lock:
            self.log.append(("result", (str(request.key),)))
            self.results[str(request.key)] = result

    def withdrawn(self, requests: Sequence[JobRequest]) -> None:
        with self.lock:
            self.log.append(("withdrawn", tuple(str(r.key) for r in requests)))

    def sync(self) -> None:
        if self.fail_sync:
            raise OSError(28, "No space left on device")
        with self.lock:
            self.log.append(("sync", ()))


def test_every_row_is_recorded_exactly_once_on_the_calling_thread_planned_rows_first() -> None:
    journal = LogJournal()
    requests = _requests(300, first=4)
    plans = [
        RowPlan(2, result=JobResult(Outcome.INVALID, "Invalid: documentId is missing")),
        RowPlan(3, result=JobResult(Outcome.SKIPPED, "Created"), write=False),  # left as it is
        *_plans(requests),
    ]
    recorded: list[tuple[int, JobResult]] = []
    threads: set[threading.Thread] = set()

    def record(row: int, result: JobResult) -> None:
        threads.add(threading.current_thread())
        recorded.append((row, result))

    summary = execute(plans, _created, record=record, concurrency=4, journal=journal)
    rows = [row for row, _ in recorded]
    assert rows[0] == 2  # a planned result is recorded before anything is sent
    assert Counter(rows) == Counter([2, *(r.row for r in requests)])  # each once; 3 not at all
    assert threads == {threading.current_thread()}
    for row, result in recorded[1:]:
        assert result.request_key == f"k{row}" and result.sent_at is not None
    assert summary.total == 302 and summary.done == 302
    assert summary.created == 300 and summary.counts[Outcome.SKIPPED] == 1
    assert summary.failed == 1  # the invalid row
    assert summary.stopped is None and not summary.crashed
    assert journal.answered == journal.journaled == {r.key for r in requests}
    assert journal.withdrawn_keys == set()
    assert journal.kinds()[-1] == "sync"  # everything on disk when execute returns


def test_a_cancel_sends_no_new_row_and_records_every_answer_in_flight() -> None:
    cancel = threading.Event()
    release = threading.Event()
    lock = threading.Lock()
    sent: list[int] = []

    def send(request: JobRequest) -> JobResult:
        with lock:
            sent.append(request.row)
            if len(sent) == 3:  # each of the three workers holds a row: the user cancels
                cancel.set()
                release.set()
        release.wait(WAIT)
        return _created(request)

    summary, recorded = _run(50, send, concurrency=3, cancel=cancel)
    assert sorted(sent) == [2, 3, 4]
    assert sorted(row for row, _ in recorded) == [2, 3, 4]  # the answers in flight, every one
    assert summary.created == 3
    assert summary.counts[Outcome.NOT_SENT] == 47
    assert summary.stopped == CANCELLED
    assert not summary.crashed and not summary.authentication_failed


def test_a_ctrl_c_while_recording_cancels_and_the_interrupted_answer_is_recorded_again() -> None:
    cancel = threading.Event()
    lock = threading.Lock()
    sent: list[int] = []

    def send(request: JobRequest) -> JobResult:
        with lock:
            sent.append(request.row)
        if request.row != 2:
            cancel.wait(WAIT)  # on its way until the Ctrl-C
        return _created(request)

    interrupted: list[int] = []
    recorded: list[int] = []

    def record(row: int, result: JobResult) -> None:
        if not interrupted:
            interrupted.append(row)
            raise KeyboardInterrupt  # Ctrl-C arrives on the recording thread
        recorded.append(row)

    summary = execute(_plans(_requests(20)), send, record=record, concurrency=2, cancel=cancel)
    assert interrupted == [2]
    assert 2 in recorded and sorted(recorded) == sorted(sent)  # none lost, none twice
    assert summary.created == len(sent)
    assert summary.counts[Outcome.NOT_SENT] == 20 - len(sent)
    assert summary.stopped == CANCELLED
    assert cancel.is_set()  # the caller's event says so too


def test_a_second_ctrl_c_stops_at_once_and_still_closes_the_journal() -> None:
    journal = LogJournal()
    release = threading.Event()

    def send(request: JobRequest) -> JobResult:
        if request.row != 2:
            release.wait(WAIT)  # answers that take their time
        return _created(request)

    def record(row: int, result: JobResult) -> None:
        raise KeyboardInterrupt  # Ctrl-C, and Ctrl-C again

    try:
        with pytest.raises(KeyboardInterrupt):
            execute(_plans(_requests(10)), send, record=record, concurrency=2, journal=journal)
        assert journal.answered == {"k2"}  # it did not wait for the answers on their way
        assert journal.kinds()[-2:] == ["withdrawn", "sync"]
    finally:
        release.set()


def test_a_401_stops_the_run_and_says_so() -> None:
    journal = LogJournal()
    refused = AuthenticationError("Click2Mail refused the username or password (HTTP 401)")

    def send(request: JobRequest) -> JobResult:
        if request.row == 4:
            raise refused
        return _created(request)

    summary, recorded = _run(6, send, concurrency=1, journal=journal)
    assert [row for row, _ in recorded] == [2, 3]  # the refused row made no job: none written
    assert summary.authentication_failed and not summary.crashed
    assert summary.stopped == str(refused)
    assert summary.created == 2
    assert summary.counts[Outcome.NOT_SENT] == 4  # the refused row and the three never sent
    assert journal.results["k4"].outcome is Outcome.FAILED
    assert journal.results["k4"].description == "Not sent: Click2Mail refused the credentials"
    assert journal.answered | journal.withdrawn_keys == journal.journaled


def test_a_401_is_the_reason_given_even_when_another_row_failed_first() -> None:
    cancel = threading.Event()
    both = threading.Barrier(2, timeout=WAIT)
    refused = AuthenticationError("Click2Mail refused the username or password (HTTP 401)")

    def send(request: JobRequest) -> JobResult:
        both.wait()  # both rows are on their way
        if request.row == 2:
            raise RuntimeError("a bug in the client")
        cancel.wait(WAIT)  # the 401 comes after the failure stopped the run
        raise refused

    summary, _ = _run(5, send, concurrency=2, cancel=cancel)
    assert summary.authentication_failed and not summary.crashed
    assert summary.stopped == str(refused)
    assert summary.counts[Outcome.UNKNOWN] == 1  # the row that failed may have left


def test_an_unexpected_failure_in_send_leaves_the_row_unknown_and_stops() -> None:
    journal = LogJournal()

    def send(request: JobRequest) -> JobResult:
        if request.row == 3:
            raise RuntimeError("socket in a strange state")
        return _created(request)

    summary, recorded = _run(6, send, concurrency=1, journal=journal)
    assert [row for row, _ in recorded] == [2, 3]
    unknown = recorded[1][1]
    assert unknown.outcome is Outcome.UNKNOWN
    assert "sending failed unexpectedly (RuntimeError: socket in a strange state)" in (
        unknown.description
    )
    assert unknown.request_key == "k3" and unknown.sent_at is not None  # reconcile from here
    assert journal.results["k3"] == unknown
    assert summary.crashed and not summary.authentication_failed
    assert summary.stopped == "sending failed unexpectedly (RuntimeError); nothing more was sent"
    assert summary.counts[Outcome.UNKNOWN] == 1 and summary.counts[Outcome.NOT_SENT] == 4


@pytest.mark.parametrize(
    ("failing", "said"), [(0, "nothing was sent"), (1, "nothing was sent after row 2")]
)
def test_a_batch_whose_send_records_cannot_be_written_is_not_sent_and_is_withdrawn(
    failing: int, said: str
) -> None:
    journal = LogJournal(fail_batch=failing)
    sent: list[str] = []

    def send(request: JobRequest) -> JobResult:
        sent.append(str(request.key))
        return _created(request)

    summary, _ = _run(10, send, concurrency=1, journal=journal)
    (failed,) = [keys for kind, keys in journal.log if kind == "failed"]
    assert set(sent) == journal.journaled  # only rows whose send record is on disk left
    assert not set(failed) & set(sent)
    assert ("withdrawn", failed) in journal.log
    assert summary.stopped == f"the journal could not be written (No space left on device): {said}"
    assert summary.crashed
    assert summary.counts[Outcome.NOT_SENT] == 10 - len(sent)


def test_an_answer_the_journal_cannot_record_stops_the_run_and_still_reaches_the_workbook() -> None:
    journal = LogJournal(fail_result="k3")
    summary, recorded = _run(6, _created, concurrency=1, journal=journal)
    assert [row for row, _ in recorded] == [2, 3]
    assert summary.crashed
    assert summary.stopped == (
        "the journal could not record the answer for row 3 (Input/output error); the row's"
        " result is written into the workbook; nothing more was sent"
    )
    assert summary.counts[Outcome.NOT_SENT] == 4


def test_a_recording_failure_lets_the_rows_on_their_way_finish_then_closes_the_journal() -> None:
    journal = LogJournal()
    cancel = threading.Event()

    def send(request: JobRequest) -> JobResult:
        if request.row != 2:
            cancel.wait(WAIT)  # on its way when the save fails
        return _created(request)

    def record(row: int, result: JobResult) -> None:
        raise OSError(28, "No space left on device")  # a checkpoint save of the workbook

    with pytest.raises(OSError, match="No space left"):
        execute(
            _plans(_requests(10)),
            send,
            record=record,
            concurrency=2,
            cancel=cancel,
            journal=journal,
        )
    assert cancel.is_set()  # nothing more was sent
    assert len(journal.answered) >= 2  # row 2, and the row the other worker held
    # every row journaled was answered or withdrawn, and only then was the journal closed
    assert journal.answered | journal.withdrawn_keys == journal.journaled
    assert not journal.answered & journal.withdrawn_keys
    assert journal.kinds()[-2:] == ["withdrawn", "sync"]


def test_a_journal_that_cannot_be_closed_is_reported_and_leaves_the_callers_event_alone() -> None:
    journal = LogJournal(fail_sync=True)
    cancel = threading.Event()
    summary, _ = _run(5, _created, concurrency=2, cancel=cancel, journal=journal)
    assert summary.created == 5
    assert summary.crashed
    assert summary.stopped and summary.stopped.startswith(
        "the journal could not be closed (No space left on device); rows it could not mark as"
        " never sent will show UNKNOWN next time"
    )
    assert not cancel.is_set()
