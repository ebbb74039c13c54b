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
import queue
import threading
import time
import typing
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from xl_mailer.core.errors import AuthenticationError, JournalFailed
from xl_mailer.core.models import JobRequest, JobResult, Outcome, utc_now
from xl_mailer.core.outcomes import unknown
from xl_mailer.core.rows import RowPlan

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


_DONE = object()
CANCELLED = "cancelled: no new rows were sent after Ctrl-C; answers in flight were recorded"
AHEAD_SECONDS = 0.05  # how far ahead of the workers send records may be written
AHEAD_MOST = 64  # and at most this many rows at once
POLL_SECONDS = 0.2  # how often the recording thread looks up when no answer arrives


class RunJournal(Protocol):
    """What a run writes ahead of and after each call (``journal.Journal``)."""

    def sending(self, requests: Sequence[JobRequest]) -> None:
        """Durably record that these rows are about to be sent."""
        ...

    def result(self, request: JobRequest, result: JobResult) -> None:
        """Record an answer; durable soon after, and after the next ``sync`` at the latest."""
        ...

    def withdrawn(self, requests: Sequence[JobRequest]) -> None:
        """Durably record that rows recorded by ``sending`` never left."""
        ...

    def sync(self) -> None:
        """Put what was written on disk."""
        ...


class Feed:
    """Hands requests to the workers in row order, each one journaled before it can be taken.

    Batch sizes follow the pace of the run: the first batch is one per worker;
    after that, what the workers took per second since the last batch, times
    ``ahead`` seconds (at most doubling each time, between 1 and ``most``).
    """

    def __init__(
        self,
        requests: Sequence[JobRequest],
        journal: RunJournal | None,
        *,
        first: int,
        ahead: float = AHEAD_SECONDS,
        most: int = AHEAD_MOST,
        clock: Callable[[], float] = time.monotonic,
        stop: threading.Event | None = None,
    ) -> None:
        self._waiting = deque(requests)
        self._stop = stop or threading.Event()
        self._ready: deque[JobRequest] = deque()
        self._journal = journal
        self._lock = threading.Lock()
        self._size = max(1, min(first, most))
        self._ahead = ahead
        self._most = most
        self._clock = clock
        self._refilled: float | None = None
        self.batches: list[int] = []
        self.last_taken: int | None = None  # the row of the last request handed out

    def _next_size(self) -> int:
        if self._refilled is None:
            return self._size
        elapsed = self._clock() - self._refilled
        taken = self.batches[-1]
        wanted = self._most if elapsed <= 0 else int(taken * self._ahead / elapsed)
        self._size = max(1, min(wanted, 2 * taken, self._most))
        return self._size

    def take(self) -> JobRequest | None:
        """The next request, its send record on disk; None when none is left or the run
        is stopping (checked under the lock, so no batch is journaled after a stop).

        Raises JournalFailed with the rows that could not be journaled.
        """
        with self._lock:
            if self._stop.is_set():
                return None
            if not self._ready:
                if not self._waiting:
                    return None
                if self._journal is None:
                    return self._waiting.popleft()
                size = min(self._next_size(), len(self._waiting))
                batch = [self._waiting.popleft() for _ in range(size)]
                try:
                    self._journal.sending(batch)
                except Exception as exc:
                    raise JournalFailed(batch, exc) from exc
                self._ready.extend(batch)
                self.batches.append(size)
                self._refilled = self._clock()
            request = self._ready.popleft()
            self.last_taken = request.row
            return request

    def leftover(self) -> list[JobRequest]:
        """Requests journaled but never taken (the run stopped); none remain afterwards."""
        with self._lock:
            left = list(self._ready)
            self._ready.clear()
            return left


def _reason(exc: BaseException) -> str:
    """An OS error as its words (``No space left on device``), anything else as its text."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _drain(answers: queue.SimpleQueue[object], into: deque[object]) -> None:
    """Move every item already in ``answers`` to ``into``, without waiting."""
    while True:
        try:
            into.append(answers.get_nowait())
        except queue.Empty:
            return


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
    stop = cancel or threading.Event()
    to_send: list[JobRequest] = []
    for plan in plans:
        if plan.result is not None:
            summary.add(plan.result.outcome)
            if plan.write:
                record(plan.row, plan.result)
        elif plan.request is not None:
            to_send.append(plan.request)
    if validate_only:
        for request in to_send:
            summary.add(Outcome.VALID)
            record(request.row, JobResult(Outcome.VALID, "Valid: ready to send"))
        summary.seconds = time.perf_counter() - started
        return summary

    feed = Feed(to_send, journal, first=concurrency, stop=stop)
    answers: queue.SimpleQueue[object] = queue.SimpleQueue()
    auth_error: list[AuthenticationError] = []
    crashed: list[str] = []

    def one(request: JobRequest) -> JobResult | None:
        """Send one row; whatever happens, the row gets a result (None: stopped by a 401)."""
        try:
            result = send(request)
        except AuthenticationError as exc:
            auth_error.append(exc)
            stop.set()
            refused = JobResult(Outcome.FAILED, "Not sent: Click2Mail refused the credentials")
            if journal is not None:
                with contextlib.suppress(Exception):
                    journal.result(request, refused.keyed(request.key))
            return None
        except Exception as exc:  # the request may have left: never guess it did not
            crashed.append(f"sending failed unexpectedly ({type(exc).__name__})")
            stop.set()
            result = unknown(f"sending failed unexpectedly ({type(exc).__name__}: {exc})")
        result = result.keyed(request.key)
        if result.http_status is not None or result.outcome is not Outcome.FAILED:
            result = result.sent(utc_now())  # it may have left; reconciliation waits from here
        if journal is not None:
            try:
                journal.result(request, result)
            except Exception as exc:
                crashed.append(
                    f"the journal could not record the answer for row {request.row}"
                    f" ({_reason(exc)}); the row's result is written into the workbook"
                )
                stop.set()
        return result

    def worker() -> None:
        try:
            while not stop.is_set():
                try:
                    request = feed.take()
                except JournalFailed as exc:  # send nothing more; these rows never left
                    last = feed.last_taken
                    crashed.append(
                        f"the journal could not be written ({_reason(exc.__cause__ or exc)}):"
                        + (f" nothing was sent after row {last}" if last else " nothing was sent")
                    )
                    stop.set()
                    if journal is not None:
                        with contextlib.suppress(Exception):  # else UNKNOWN next time: safe
                            journal.withdrawn(exc.batch)
                    return
                if request is None:
                    return
                answers.put((request.row, one(request)))
        finally:
            answers.put(_DONE)

    def close_journal() -> None:
        """Withdraw rows journaled but never taken, and put every line on disk."""
        if journal is None:
            return
        try:
            journal.withdrawn(feed.leftover())
            journal.sync()
        except Exception as exc:  # the rows left behind show UNKNOWN next time: safe
            crashed.append(
                f"the journal could not be closed ({_reason(exc)}); rows it could not mark as"
                " never sent will show UNKNOWN next time"
            )

    workers = [
        threading.Thread(target=worker, name=f"xl-mailer-{i}", daemon=True)
        for i in range(min(concurrency, max(len(to_send), 1)))
    ]
    for thread in workers:
        thread.start()
    finished = 0  # workers whose last answer has arrived
    sent = 0
    arrived: deque[object] = deque()

    def over() -> bool:
        """Every answer is in: each worker said so (or died), and nothing is left queued."""
        done = finished == len(workers) or not any(t.is_alive() for t in workers)
        return done and answers.empty()

    try:
        while True:
            try:
                if not arrived:
                    if over():
                        break
                    try:
                        arrived.append(answers.get(timeout=POLL_SECONDS))
                    except queue.Empty:
                        continue
                    _drain(answers, arrived)  # answers already waiting share one pass
                while arrived:
                    item = arrived[0]
                    if item is _DONE:
                        arrived.popleft()
                        finished += 1  # if a Ctrl-C loses this count, over() asks the threads
                        continue
                    row, result = typing.cast(tuple[int, JobResult | None], item)
                    if result is not None:  # None: the 401 that stopped the run
                        # a Ctrl-C in here leaves the answer queued: recorded again, not lost
                        record(row, result)
                    arrived.popleft()
                    if result is not None:
                        sent += 1
                        summary.add(result.outcome)
                if progress is not None:
                    progress(summary)
            except KeyboardInterrupt:
                if stop.is_set():
                    raise  # a second Ctrl-C (or one after a cancel): stop now
                # stop sending; keep recording what arrives for rows already on their way
                stop.set()
                summary.stopped = CANCELLED
    except KeyboardInterrupt:
        # stop now: the rows on their way keep their send records, so they show UNKNOWN
        # next time unless their answer reaches the journal before the process ends
        stop.set()
        close_journal()
        raise
    except BaseException:
        # recording failed (a save): send nothing more, and let the workers finish the rows
        # they hold, so that the journal has every answer
        stop.set()
        for thread in workers:
            thread.join(timeout=120)
        close_journal()
        raise
    close_journal()
    unsent = len(to_send) - sent
    summary.counts[Outcome.NOT_SENT] += unsent
    if auth_error:
        summary.stopped = str(auth_error[0])
        summary.authentication_failed = True
    elif crashed:
        told = "nothing was sent" in crashed[0]  # it says already what was sent
        summary.stopped = crashed[0] if told else f"{crashed[0]}; nothing more was sent"
        summary.crashed = True
    elif stop.is_set() and summary.stopped is None and unsent:
        summary.stopped = CANCELLED
    summary.seconds = time.perf_counter() - started
    return summary
