"""One submit of a job at a time, across runs: the per-job lock a submit holds from its state
check through its POST (``bookid.job_lock``), with the job's submit record
(``submits.SubmitRecord``), which only the lock's holder reads or writes."""

from __future__ import annotations

import datetime as dt

from xl_mailer.click2mail import endpoints
from xl_mailer.engine.bookid import FileLock, LockBusy, job_lock
from xl_mailer.engine.submits import SubmitRecord, submit_record


class ClaimedJob:
    """A job whose submit lock this run holds, and its submit record. ``__exit__`` releases
    the lock (the record stays)."""

    def __init__(self, lock: FileLock, record: SubmitRecord) -> None:
        self._lock = lock
        self.record = record

    def __enter__(self) -> ClaimedJob:
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.__exit__(*exc)

    @property
    def where(self) -> str:
        """The submit record's file, for a message that asks a person to look at it."""
        return str(self.record.path)

    def sent_at(self) -> dt.datetime | None:
        """When a submit of the job whose answer is not in was sent (any workbook), or None."""
        return self.record.sent_at()

    def mark_sent(self, when: dt.datetime) -> None:
        """Record, on disk, a submit about to be sent at ``when``. Raises WorkbookError."""
        self.record.mark_sent(when)

    def settle(self) -> None:
        """The submit's answer is in, or the job left Editing: the record goes."""
        self.record.settle()


def claim_job(endpoint: str | None, job_id: int) -> ClaimedJob | None:
    """The held lock of job ``job_id`` at the account ``endpoint`` names (None: as a run
    without ``--endpoint`` chooses), with its submit record, to be released (``__exit__``)
    after its submit's POST is answered; None, without waiting, when another run holds it.
    Raises WorkbookError when the state folder cannot hold the lock."""
    ledger = endpoints.ledger(endpoints.chosen(endpoint))
    lock = job_lock(ledger, job_id)
    try:
        lock.__enter__()
    except LockBusy:
        return None
    try:
        record = submit_record(ledger, job_id)
    except BaseException:
        lock.__exit__(None, None, None)
        raise
    return ClaimedJob(lock, record)
