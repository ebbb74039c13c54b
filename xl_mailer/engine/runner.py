"""Send planned rows with bounded concurrency; hand every result back as it arrives.

Pure orchestration: the caller supplies ``send`` (the client's ``create_job``)
and a ``record`` callback, which always runs on the calling thread so that
spreadsheet adapters never see two threads. A run stops sending new rows on
an authentication failure or a cancel (Ctrl-C), and still records every answer
that arrives for rows already sent.

With a journal, no row leaves before its send record is on disk. Records are
written in batches sized to what the workers take in about ``AHEAD_SECONDS``:
one row at a time on a real network, up to ``AHEAD_MOST`` when answers come
back at once. So a crash leaves at most that much journaled but never sent
(UNKNOWN until reconciled), and a fast run does not wait on one fsync per row.
"""

from __future__ import annotations

import contextlib
import enum
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xl_mailer.core.errors import AuthenticationError, JournalFailed
from xl_mailer.core.models import JobRequest, JobResult, Outcome, utc_now
from xl_mailer.core.outcomes import unknown
from xl_mailer.core.rows import RowPlan
from xl_mailer.engine.feed import AHEAD_MOST as AHEAD_MOST
from xl_mailer.engine.feed import AHEAD_SECONDS as AHEAD_SECONDS
from xl_mailer.engine.feed import Feed as Feed
from xl_mailer.engine.feed import RunJournal as RunJournal

Send = Callable[[JobRequest], JobResult]
Record = Callable[[int, JobResult], None]
Progress = Callable[["RunSummary"], None]


@dataclass
class RunSummary:
    """Counts per outcome, the time taken, and why the run stopped early (if it did)."""

    total: int = 0
    counts: dict[Outcome, int] = field(default_factory=lambda: {o: 0 for o in Outcome})
    seconds: float = 0.0
    stopped: str | None = None
    authentication_failed: bool = False
    crashed: bool = False

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome] += 1

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def created(self) -> int:
        return self.counts[Outcome.CREATED]

    @property
    def failed(self) -> int:
        return self.counts[Outcome.FAILED] + self.counts[Outcome.INVALID]

    def line(self) -> str:
        parts = [f"{self.created} created", f"{self.failed} failed"]
        for outcome in (Outcome.VALID, Outcome.UNKNOWN, Outcome.SKIPPED, Outcome.NOT_SENT):
            if self.counts[outcome]:
                parts.append(f"{self.counts[outcome]} {outcome.value}")
        return ", ".join(parts)


CANCELLED = "cancelled: no new rows were sent after Ctrl-C; answers in flight were recorded"
POLL_SECONDS = 0.2  # how often the recording thread looks up when no answer arrives
GATHER_SECONDS = 0.005  # once an answer arrives, how long the recording thread lets more come


def _in_words(exc: BaseException) -> str:
    """An OS error as its words (``No space left on device``), anything else as its text."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


class _Why(enum.IntEnum):
    """Why a run stopped early, weakest first: a stronger reason replaces a weaker one."""

    CANCELLED = 1  # Ctrl-C, or the caller's cancel event while rows were still unsent
    CRASHED = 2  # something failed that the run must report: it sends nothing more
    AUTHENTICATION = 3  # a 401: nothing can be sent until the credentials are fixed


@dataclass(frozen=True)
class _Stop:
    """Why a run stopped early, in the words its summary gives."""

    why: _Why
    text: str

    @classmethod
    def crash(cls, text: str, *, says_what_was_sent: bool = False) -> _Stop:
        """A failure; its words end by saying that nothing more was sent, unless they
        already say what was."""
        return cls(_Why.CRASHED, text if says_what_was_sent else f"{text}; nothing more was sent")


_CANCEL = _Stop(_Why.CANCELLED, CANCELLED)


class _WorkerDone:
    """What a worker puts on the answer queue last, however it ended."""


_DONE = _WorkerDone()
_Answer = tuple[int, JobResult | None]  # a row and its result; None: the 401 that stopped the run
_Item = _Answer | _WorkerDone


def _drain(answers: queue.SimpleQueue[_Item], into: deque[_Item]) -> None:
    """Move every item already in ``answers`` to ``into``, without waiting."""
    while True:
        try:
            into.append(answers.get_nowait())
        except queue.Empty:
            return


class _SendLoop:
    """Sends requests from worker threads and records their answers on the calling thread.

    A run is *sending* while ``stop`` is clear. Once it is set (by a 401, a failure, a
    cancel), it is *stopping*: no worker takes a new row, and the answers of rows already
    on their way are still recorded. It is *over* when every worker has put ``_DONE`` (or
    died) and no answer is left queued. ``reason`` says why it stopped early: the first
    reason of the strongest kind (``_Why``) that occurred; None when nothing stopped it.
    """

    def __init__(
        self,
        requests: Sequence[JobRequest],
        send: Send,
        *,
        record: Record,
        concurrency: int,
        stop: threading.Event,
        progress: Progress | None,
        journal: RunJournal | None,
        summary: RunSummary,
    ) -> None:
        self.total = len(requests)  # the requests themselves go to the feed, and no further
        self.send = send
        self.record = record
        self.progress = progress
        self.journal = journal
        self.summary = summary
        self.stop = stop
        self.reason: _Stop | None = None
        self.reason_lock = threading.Lock()  # workers may fail at the same time
        self.feed = Feed(requests, journal, first=concurrency, stop=stop)
        self.answers: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self.arrived: deque[_Item] = deque()  # taken off the queue, not yet recorded
        self.finished = 0  # workers whose _DONE has been taken off the queue
        self.recorded = 0  # answers recorded: rows that were sent
        self.workers = [
            threading.Thread(target=self.work, name=f"xl-mailer-{i}", daemon=True)
            for i in range(min(concurrency, max(len(requests), 1)))
        ]

    # -- why the run stops -------------------------------------------------

    def note(self, reason: _Stop) -> None:
        """Keep ``reason`` unless one as strong or stronger is already kept."""
        with self.reason_lock:
            if self.reason is None or reason.why > self.reason.why:
                self.reason = reason

    def stop_for(self, reason: _Stop) -> None:
        """Send no new row, and say why."""
        self.note(reason)
        self.stop.set()

    # -- the workers -------------------------------------------------------

    def work(self) -> None:
        """A worker: send the next request, its send record on disk, until none is left
        or the run stops. Its answers go to the calling thread, which records them."""
        try:
            while not self.stop.is_set():
                try:
                    request = self.feed.take()
                except JournalFailed as exc:  # send nothing more; these rows never left
                    self.journal_failed(exc)
                    return
                if request is None:
                    return
                self.answers.put((request.row, self.send_one(request)))
        finally:
            self.answers.put(_DONE)

    def journal_failed(self, exc: JournalFailed) -> None:
        """The send records of a batch could not be written: stop, and withdraw the batch."""
        last = self.feed.last_taken
        self.stop_for(
            _Stop.crash(
                f"the journal could not be written ({_in_words(exc.__cause__ or exc)}):"
                + (f" nothing was sent after row {last}" if last else " nothing was sent"),
                says_what_was_sent=True,
            )
        )
        if self.journal is not None:
            with contextlib.suppress(Exception):  # else UNKNOWN next time: safe
                self.journal.withdrawn(exc.batch)

    def send_one(self, request: JobRequest) -> JobResult | None:
        """Send one row; whatever happens, the row gets a result (None: stopped by a 401)."""
        try:
            result = self.send(request)
        except AuthenticationError as exc:
            self.refused(request, exc)
            return None
        except Exception as exc:  # the request may have left: never guess it did not
            self.stop_for(_Stop.crash(f"sending failed unexpectedly ({type(exc).__name__})"))
            result = unknown(f"sending failed unexpectedly ({type(exc).__name__}: {exc})")
        result = result.keyed(request.key)
        if result.http_status is not None or result.outcome is not Outcome.FAILED:
            result = result.sent(utc_now())  # it may have left; reconciliation waits from here
        self.journal_answer(request, result)
        return result

    def refused(self, request: JobRequest, exc: AuthenticationError) -> None:
        """A 401: the run stops, and the journal says this row made no job (if it can)."""
        self.stop_for(_Stop(_Why.AUTHENTICATION, str(exc)))
        refused = JobResult(Outcome.FAILED, "Not sent: Click2Mail refused the credentials")
        if self.journal is not None:
            with contextlib.suppress(Exception):
                self.journal.result(request, refused.keyed(request.key))

    def journal_answer(self, request: JobRequest, result: JobResult) -> None:
        """Write the answer to the journal; if that fails, stop (the workbook still gets it)."""
        if self.journal is None:
            return
        try:
            self.journal.result(request, result)
        except Exception as exc:
            self.stop_for(
                _Stop.crash(
                    f"the journal could not record the answer for row {request.row}"
                    f" ({_in_words(exc)}); the row's result is written into the workbook"
                )
            )

    # -- the calling thread ------------------------------------------------

    def run(self) -> None:
        """Start the workers, record every answer, close the journal, fill in the summary.

        Raises KeyboardInterrupt on a second Ctrl-C, and whatever ``record`` raised.
        """
        for thread in self.workers:
            thread.start()
        try:
            self.record_answers()
        except KeyboardInterrupt:
            # stop now: the rows on their way keep their send records, so they show UNKNOWN
            # next time unless their answer reaches the journal before the process ends
            self.stop.set()
            self.close_journal()
            raise
        except BaseException:
            # recording failed (a save): send nothing more, and let the workers finish the rows
            # they hold, so that the journal has every answer
            self.stop.set()
            for thread in self.workers:
                thread.join(timeout=120)
            self.close_journal()
            raise
        self.close_journal()
        self.summarize()

    def record_answers(self) -> None:
        """Record answers as they arrive, until every answer is in.

        A Ctrl-C (KeyboardInterrupt, which only this thread gets) cancels the first
        time: nothing new is sent, and what arrives for rows already on their way is
        still recorded. A second one (or one after the run was stopped) is raised.
        """
        over = False
        while not over:
            try:
                over = self.record_some()
            except KeyboardInterrupt:
                if self.stop.is_set():
                    raise  # a second Ctrl-C (or one after a cancel): stop now
                # stop sending; keep recording what arrives for rows already on their way
                self.stop_for(_CANCEL)
                self.summary.stopped = CANCELLED  # what progress sees from now on

    def record_some(self) -> bool:
        """Wait for answers if none is waiting, record them, tell progress; True once
        every answer is in."""
        if not self.arrived:
            if self.over():
                return True
            try:
                self.arrived.append(self.answers.get(timeout=POLL_SECONDS))
            except queue.Empty:
                return False
            # the answers of the next few milliseconds share one pass: this thread wakes (and
            # takes the GIL from the workers) a few hundred times a second at most, not once
            # per row; each answer is in the journal already, so waiting costs no safety
            time.sleep(GATHER_SECONDS)
            _drain(self.answers, self.arrived)
        self.record_arrived()
        if self.progress is not None:
            self.progress(self.summary)
        return False

    def record_arrived(self) -> None:
        """Hand each answer taken off the queue to ``record``, exactly once, in order."""
        while self.arrived:
            item = self.arrived[0]
            if isinstance(item, _WorkerDone):
                self.arrived.popleft()
                self.finished += 1  # if a Ctrl-C loses this count, over() asks the threads
                continue
            row, result = item
            if result is not None:  # None: the 401 that stopped the run
                # a Ctrl-C in here leaves the answer queued: recorded again, not lost
                self.record(row, result)
            self.arrived.popleft()
            if result is not None:
                self.recorded += 1
                self.summary.add(result.outcome)

    def over(self) -> bool:
        """Every answer is in: each worker said so (or died), and nothing is left queued."""
        done = self.finished == len(self.workers) or not any(t.is_alive() for t in self.workers)
        return done and self.answers.empty()

    def close_journal(self) -> None:
        """Withdraw rows journaled but never taken, and put every line on disk."""
        if self.journal is None:
            return
        try:
            self.journal.withdrawn(self.feed.leftover())
            self.journal.sync()
        except Exception as exc:  # the rows left behind show UNKNOWN next time: safe
            # the run is over: say so, but leave the caller's cancel event as it is
            self.note(
                _Stop.crash(
                    f"the journal could not be closed ({_in_words(exc)}); rows it could not"
                    " mark as never sent will show UNKNOWN next time"
                )
            )

    def summarize(self) -> None:
        """Count the rows never sent, and say why the run stopped early, if it did."""
        unsent = self.total - self.recorded
        self.summary.counts[Outcome.NOT_SENT] += unsent
        reason = self.reason
        if reason is None and self.stop.is_set() and unsent:
            reason = _CANCEL  # the caller's cancel event stopped it
        if reason is not None:
            self.summary.stopped = reason.text
            self.summary.authentication_failed = reason.why is _Why.AUTHENTICATION
            self.summary.crashed = reason.why is _Why.CRASHED


def execute(
    plans: Sequence[RowPlan],
    send: Send,
    *,
    record: Record,
    concurrency: int = 4,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    validate_only: bool = False,
    journal: RunJournal | None = None,
) -> RunSummary:
    """Run every plan; return the summary. ``record`` sees each result exactly once.

    Rows planned with a result (invalid, skipped) are recorded first, without a
    call. With ``validate_only`` nothing is sent and valid rows are recorded
    with the outcome VALID. With a ``journal``, each row's send record is on disk
    before it leaves, its answer is written as soon as it arrives, and everything
    written is on disk when this returns.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    started = time.perf_counter()
    summary = RunSummary(total=len(plans))
    to_send: list[JobRequest] = []
    for plan in plans:
        if plan.result is not None:
            summary.add(plan.result.outcome)
            if plan.write:
                record(plan.row, plan.result)
        elif plan.request is not None:
            to_send.append(plan.request)
    del plans  # a caller that hands its plans over has each request freed once it is answered
    if validate_only:
        for request in to_send:
            summary.add(Outcome.VALID)
            record(request.row, JobResult(Outcome.VALID, "Valid: ready to send"))
    else:
        loop = _SendLoop(
            to_send,
            send,
            record=record,
            concurrency=concurrency,
            stop=cancel or threading.Event(),
            progress=progress,
            journal=journal,
            summary=summary,
        )
        del to_send  # the feed holds the requests now, each one until it is taken
        loop.run()
    summary.seconds = time.perf_counter() - started
    return summary
