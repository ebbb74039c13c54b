"""Send planned rows with bounded concurrency; hand every result back as it arrives.

Pure orchestration: the caller supplies ``send`` (the client's ``create_job``)
and a ``record`` callback, which always runs on the calling thread so that
spreadsheet adapters never see two threads. A run stops sending new rows on
an authentication failure or a cancel (Ctrl-C), and still records every answer
that arrives for rows already sent.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from .errors import AuthenticationError
from .models import JobRequest, JobResult, Outcome
from .outcomes import unknown
from .rows import RowPlan

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
CANCELLED = "cancelled: no new rows were sent; answers in flight were recorded"


def execute(
    plans: Sequence[RowPlan],
    send: Send,
    *,
    record: Record,
    concurrency: int = 4,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    validate_only: bool = False,
    before_send: Callable[[JobRequest], None] | None = None,
    after_send: Callable[[JobRequest, JobResult], None] | None = None,
) -> RunSummary:
    """Run every plan; return the summary. ``record`` sees each result exactly once.

    Rows planned with a result (invalid, skipped) are recorded first, without a
    call. With ``validate_only`` nothing is sent and valid rows are recorded
    with the outcome VALID. ``before_send`` and ``after_send`` run on the worker
    thread, right before the request leaves and right after its answer (a journal).
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

    work: queue.SimpleQueue[JobRequest] = queue.SimpleQueue()
    for request in to_send:
        work.put(request)
    answers: queue.SimpleQueue[object] = queue.SimpleQueue()
    auth_error: list[AuthenticationError] = []
    crashed: list[str] = []

    def one(request: JobRequest) -> JobResult | None:
        """Send one row; whatever happens, the row gets a result (None: stopped by a 401)."""
        if before_send is not None:
            try:
                before_send(request)
            except Exception as exc:  # the journal cannot be written: send nothing more
                crashed.append(f"the journal could not be written ({exc})")
                stop.set()
                return JobResult(Outcome.FAILED, "Not sent: the journal could not be written")
        try:
            result = send(request)
        except AuthenticationError as exc:
            auth_error.append(exc)
            stop.set()
            refused = JobResult(Outcome.FAILED, "Not sent: Click2Mail refused the credentials")
            if after_send is not None:
                with contextlib.suppress(Exception):
                    after_send(request, replace(refused, request_key=request.key))
            return None
        except Exception as exc:  # the request may have left: never guess it did not
            crashed.append(f"sending failed unexpectedly ({type(exc).__name__})")
            stop.set()
            result = unknown(f"sending failed unexpectedly ({type(exc).__name__}: {exc})")
        result = replace(result, request_key=request.key)
        if after_send is not None:
            try:
                after_send(request, result)
            except Exception as exc:
                crashed.append(f"the journal could not be written ({exc})")
                stop.set()
        return result

    def worker() -> None:
        try:
            while not stop.is_set():
                try:
                    request = work.get_nowait()
                except queue.Empty:
                    return
                answers.put((request.row, one(request)))
        finally:
            answers.put(_DONE)

    workers = [
        threading.Thread(target=worker, name=f"xl-mailer-{i}", daemon=True)
        for i in range(min(concurrency, max(len(to_send), 1)))
    ]
    for thread in workers:
        thread.start()
    running = len(workers)
    sent = 0
    try:
        while running:
            try:
                item = answers.get(timeout=0.2)
                if item is _DONE:
                    running -= 1
                    continue
                row, result = typing.cast(tuple[int, JobResult | None], item)
                if result is None:
                    continue  # the 401 that stopped the run: not this row's failure
                sent += 1
                summary.add(result.outcome)
                record(row, result)
                if progress is not None:
                    progress(summary)
            except queue.Empty:
                continue
            except KeyboardInterrupt:
                # stop sending; keep recording what arrives for rows already on their way
                stop.set()
                summary.stopped = CANCELLED
    except BaseException:
        # recording failed (a save, a second Ctrl-C): send nothing more, and let the workers
        # finish the rows they hold, so that the journal has every answer
        stop.set()
        for thread in workers:
            thread.join(timeout=120)
        raise
    unsent = len(to_send) - sent
    summary.counts[Outcome.NOT_SENT] += unsent
    if auth_error:
        summary.stopped = str(auth_error[0])
        summary.authentication_failed = True
    elif crashed:
        summary.stopped = f"stopped: {crashed[0]}; nothing more was sent"
        summary.crashed = True
    elif stop.is_set() and summary.stopped is None and unsent:
        summary.stopped = CANCELLED
    summary.seconds = time.perf_counter() - started
    return summary
