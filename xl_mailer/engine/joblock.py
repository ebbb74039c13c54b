"""One submit of a job at a time, across runs: the per-job lock a submit holds from its state
check through its POST (``bookid.job_lock``)."""

from __future__ import annotations

from xl_mailer.click2mail import endpoints
from xl_mailer.engine.bookid import FileLock, LockBusy, job_lock


def claim_job(endpoint: str | None, job_id: int) -> FileLock | None:
    """The held lock of job ``job_id`` at the account ``endpoint`` names (None: as a run
    without ``--endpoint`` chooses), to be released (``__exit__``) after its submit's POST
    is answered; None, without waiting, when another run holds it. Raises WorkbookError
    when the state folder cannot hold the lock."""
    lock = job_lock(endpoints.ledger(endpoints.chosen(endpoint)), job_id)
    try:
        lock.__enter__()
    except LockBusy:
        return None
    return lock
