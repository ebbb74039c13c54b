"""A submit whose answer may be lost, kept per Click2Mail account and job in the per-user state
folder (``jobs/<ledger>-<job>.submit``, beside the job's lock), whatever workbook or window sent
it.

The record holds the UTC time the submit was sent. It is written and put on disk under the
job's lock (``bookid.job_lock``) before the ``POST /jobs/{id}/submit`` leaves, and removed once
the answer says submitted or refused, or the job's state shows it left Editing. A record left
behind means an answer was lost: a copy of the workbook, rows pasted into another book, or the
same book after Excel crashed (its mark never saved) all find it, and do not send the job again
while Click2Mail may still be at work on that submit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

from xl_mailer.core.errors import WorkbookError
from xl_mailer.engine.bookid import ensure_state_dir, job_file


class SubmitRecord:
    """The record of one job's last submit whose answer is not in (naive UTC times)."""

    def __init__(self, path: Path, job_id: int) -> None:
        self.path = path
        self._name = f"job {int(job_id)}"

    def sent_at(self) -> dt.datetime | None:
        """When the submit was sent (None: no record). A record that cannot be read as a
        time (cut short by hand, say) counts from the file's last change. Raises
        WorkbookError when the record is there but cannot be read at all."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._error("read", exc) from exc
        try:
            when = dt.datetime.fromisoformat(text.strip().splitlines()[0])
        except (ValueError, IndexError):
            try:
                stamp = self.path.stat().st_mtime
            except OSError as exc:
                raise self._error("read", exc) from exc
            return dt.datetime.fromtimestamp(stamp, dt.UTC).replace(tzinfo=None)
        if when.tzinfo is not None:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
        return when

    def mark_sent(self, when: dt.datetime) -> None:
        """Record a submit sent at ``when`` (naive UTC), on disk before this returns (written
        aside, fsynced, put in place, the folder fsynced). Raises WorkbookError."""
        temp = self.path.with_name(f"{self.path.name}.{os.getpid()}.new")
        try:
            with temp.open("w", encoding="utf-8") as handle:
                handle.write(f"{when.isoformat()}\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
            _sync_folder(self.path.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
            raise self._error("written", exc) from exc

    def settle(self) -> None:
        """The submit's fate is known (answered, or the job left Editing): the record goes. A
        record that cannot be removed stays, and only holds the job back 5 minutes."""
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)

    def _error(self, what: str, exc: OSError) -> WorkbookError:
        return WorkbookError(
            self._name,
            f"its submit record {self.path} cannot be {what} ({exc.strerror or exc}); nothing"
            " is submitted without it",
        )


def submit_record(ledger: str, job_id: int) -> SubmitRecord:
    """The submit record of job ``job_id`` at the account ``ledger`` (``endpoints.ledger``).
    Raises WorkbookError when the state folder cannot be made."""
    ensure_state_dir("jobs")
    return SubmitRecord(job_file(ledger, job_id, "submit"), job_id)


def _sync_folder(folder: Path) -> None:
    """Put a rename in ``folder`` on disk (POSIX; Windows has no folder handle to sync)."""
    if os.name == "nt":  # pragma: no cover - Windows
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
