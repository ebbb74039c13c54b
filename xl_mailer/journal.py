"""A write-ahead journal beside the workbook: no job id is ever known only to memory.

Before a row is sent, a ``send`` record (its row, request key and a digest of
its parameters) is appended and forced to disk; when its answer arrives, a
``result`` record follows at once, and reaches the disk with the next fsync.
Rows journaled ahead but never sent (a cancelled run) get a ``withdrawn`` record.
Every run reads the journal first and puts what it knows back into the sheet:
a job id the workbook never got is filled in, and a row that was on its way
when the process died is marked UNKNOWN, to be reconciled, never re-sent blindly.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import WorkbookError
from .models import JobRequest, JobResult, Outcome
from .outcomes import unknown

SUFFIX = ".xl-mailer-journal"
SYNC_WITHIN = 0.02  # seconds an answer may wait for its fsync, however busy the run is


def journal_path(workbook: Path) -> Path:
    """The journal's file: hidden, beside the workbook it belongs to."""
    return workbook.with_name(f".{workbook.name}{SUFFIX}")


class RunLock:
    """One run at a time per workbook: a lock the OS releases even when the process is killed."""

    def __init__(self, workbook: Path) -> None:
        self.path = workbook.with_name(f".{workbook.name}.xl-mailer-lock")
        self._handle: Any = None

    def __enter__(self) -> RunLock:
        name = self.path.name.removeprefix(".").removesuffix(".xl-mailer-lock")
        try:
            self._handle = self.path.open("a+b")
        except OSError as exc:
            raise WorkbookError(
                name, f"its lock file {self.path} cannot be made ({exc.strerror or exc})"
            ) from exc
        try:
            if os.name == "nt":  # pragma: no cover - Windows
                import msvcrt

                msvcrt.locking(self._handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            else:
                import fcntl

                fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._handle.close()
            raise WorkbookError(
                name, "another xl-mailer run is working on it; wait for that run to finish"
            ) from exc
        return self

    def __exit__(self, *exc: object) -> None:
        if os.name == "nt":  # pragma: no cover - Windows cannot delete a file still open
            self._handle.close()
            with contextlib.suppress(OSError):  # another run has it open now: it stays
                self.path.unlink(missing_ok=True)
            return
        # removed while still held, so no later run can find it stale; closing releases it
        self.path.unlink(missing_ok=True)
        self._handle.close()


def digest(params: Iterable[tuple[str, str]]) -> str:
    """A short fingerprint of a row's parameters (the request key itself left out)."""
    text = "\n".join(f"{k}={v}" for k, v in params if k != "appSignature")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Entry:
    """What the journal knows of one request key: the row it was sent for and what came back."""

    key: str
    row: int
    digest: str
    result: JobResult


class Journal:
    """Append-only, one JSON object per line.

    Every line reaches the operating system as soon as it is written, so a killed
    process loses none. ``sending`` returns only once its lines are on disk;
    result lines get there with the next fsync, which ``sync`` forces.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # guards the descriptor and the line counts
        self._sync_lock = threading.Lock()  # one fsync at a time
        self._fd: int | None = None
        self._written = 0
        self._synced = 0
        self._due = threading.Event()  # answers wait for an fsync
        self._closing = threading.Event()
        self._flusher: threading.Thread | None = None
        self.syncs = 0  # fsyncs made, for benchmarks and tests
        self._failed: OSError | None = None  # the first fsync that failed

    # -- writing ---------------------------------------------------------

    def _write(self, records: Sequence[dict[str, object]], *, sync: bool) -> None:
        """Append lines in one write; with ``sync``, return only once they are on disk."""
        if not records:
            return
        text = "".join(
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records
        )
        data = memoryview(text.encode("utf-8"))
        with self._lock:
            if self._fd is None:
                self._fd = self._open()
            while data:
                data = data[os.write(self._fd, data) :]
            self._written += 1
            mine = self._written
        if sync:
            self._sync_through(mine)

    def _open(self) -> int:
        """Open for appending. A line cut short by a crash gets its end first, so that the
        next record starts on a line of its own instead of being read as part of the torn one."""
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
        descriptor = os.open(self.path, flags, 0o600)
        size = os.fstat(descriptor).st_size
        if size:
            os.lseek(descriptor, size - 1, os.SEEK_SET)  # writes still go to the end
            if os.read(descriptor, 1) != b"\n":
                os.write(descriptor, b"\n")
        return descriptor

    def _sync_through(self, mine: int) -> None:
        """Group commit: one fsync makes every line written before it durable, so a thread
        whose lines an earlier fsync already carried to disk does not sync again."""
        with self._sync_lock:
            if self._failed is not None:  # after a failed fsync nothing written counts as safe
                raise self._failed
            if self._synced >= mine:
                return
            with self._lock:
                if self._fd is None:  # closed meanwhile: an fsync through a new descriptor
                    self._fd = self._open()  # reaches the same file's lines
                covered = self._written
                descriptor = os.dup(self._fd)
            try:
                os.fsync(descriptor)
            except OSError as exc:  # Linux reports a writeback error to one fsync only
                self._failed = exc
                raise
            finally:
                os.close(descriptor)
            self._synced = covered
            self.syncs += 1

    def sending(self, requests: Sequence[JobRequest]) -> None:
        """Record, durably, that these rows are about to be sent with these keys."""
        self._write(
            [
                {"e": "send", "row": r.row, "key": r.key, "digest": digest(r.params)}
                for r in requests
            ],
            sync=True,
        )

    def result(self, request: JobRequest, result: JobResult) -> None:
        """Record an answer. It survives a killed process at once, and a power cut within
        ``SYNC_WITHIN`` seconds: a flusher thread fsyncs the answers of that span together."""
        self._write(
            [
                {
                    "e": "result",
                    "row": request.row,
                    "key": request.key,
                    "outcome": result.outcome.value,
                    "job": result.job_id,
                    "http": result.http_status,
                    "code": result.code,
                    "text": result.description,
                }
            ],
            sync=False,
        )
        self._sync_soon()

    def _sync_soon(self) -> None:
        self._due.set()
        if self._flusher is None:
            with self._lock:
                if self._flusher is None:
                    self._closing.clear()
                    self._flusher = threading.Thread(
                        target=self._flush, name="xl-mailer-journal", daemon=True
                    )
                    self._flusher.start()

    def _flush(self) -> None:
        """The flusher: after an answer is written, wait ``SYNC_WITHIN`` for more, then fsync
        them all at once; the answers of a busy second share a few dozen fsyncs."""
        while not self._closing.is_set():  # close() sets it before waking us
            self._due.wait()
            time.sleep(SYNC_WITHIN)
            self._due.clear()
            with contextlib.suppress(OSError):  # kept: every later sync raises it
                self.sync()

    def withdrawn(self, requests: Sequence[JobRequest]) -> None:
        """Record, durably, that rows journaled as about to be sent never left after all."""
        self._write([{"e": "withdrawn", "row": r.row, "key": r.key} for r in requests], sync=True)

    def sync(self) -> None:
        """Put every line written so far on disk. Raises OSError if that failed, now or in
        any earlier fsync of this journal (the flusher's included)."""
        if self._failed is not None:
            raise self._failed
        with self._lock:
            mine = self._written
        if self._synced < mine:
            self._sync_through(mine)

    @property
    def unsynced(self) -> int:
        """Writes not yet known to be on disk."""
        with self._lock:
            return self._written - self._synced

    def close(self) -> None:
        """Stop the flusher, put what was written on disk (as far as the disk lets us), and
        close the file. Writing again reopens it."""
        flusher = self._flusher
        if flusher is not None:
            self._closing.set()
            self._due.set()
            flusher.join(timeout=5)
            self._flusher = None
        with contextlib.suppress(OSError):  # the lines stay with the OS; the run reported it
            self.sync()
        with self._sync_lock, self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def compact(self, settled: Collection[str]) -> int:
        """Rewrite the journal without the lines of the ``settled`` request keys (the saved
        workbook holds their outcome) and without torn lines; returns how many lines went.

        The rest goes to a temporary file beside it, which is fsynced and then takes the
        journal's place, so a crash leaves the old journal or the new one, never half of one.
        The journal is removed when nothing is left.
        """
        if not self.path.exists():
            return 0
        self.close()
        lines: list[tuple[object, bytes]] = []
        never_sent: set[object] = set()  # withdrawn: journaled ahead, never left
        with self.path.open("rb") as handle:
            for line in handle:
                record = _record(line)
                lines.append((record.get("key"), line))
                if record.get("e") == "withdrawn":
                    never_sent.add(record.get("key"))
        kept: list[bytes] = []
        dropped = 0
        for key, line in lines:
            if not isinstance(key, str) or key in settled or key in never_sent:
                dropped += 1
            else:
                kept.append(line if line.endswith(b"\n") else line + b"\n")
        if not dropped:
            return 0
        if not kept:
            self.path.unlink()
            return dropped
        temp = self.path.with_name(self.path.name + ".new")
        with temp.open("wb") as handle:
            handle.writelines(kept)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.path)
        return dropped

    def discard(self) -> None:
        """Remove the journal once the workbook holds everything it recorded."""
        self.close()
        self.path.unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------

    def entries(self) -> list[Entry]:
        """What each request key came to; a send with no result is UNKNOWN."""
        if not self.path.exists():
            return []
        sends: dict[str, dict[str, Any]] = {}
        results: dict[str, dict[str, Any]] = {}
        with self.path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                record = _record(line)  # a line cut short by a crash reads as {}
                key = record.get("key")
                if not isinstance(key, str):
                    continue
                if record.get("e") == "send":
                    sends[key] = record
                elif record.get("e") == "result":
                    results[key] = record
                elif record.get("e") == "withdrawn":
                    sends.pop(key, None)  # journaled ahead, never sent: nothing to know
        found: list[Entry] = []
        for key, send in sends.items():
            answer = results.get(key)
            if answer is None:
                result = unknown("the previous run stopped while this row was being sent")
            else:
                result = JobResult(
                    Outcome(answer["outcome"]),
                    str(answer["text"]),
                    answer.get("job"),
                    answer.get("http"),
                    answer.get("code"),
                )
            found.append(Entry(key, int(send["row"]), str(send["digest"]), result.keyed(key)))
        return found


def _record(line: str | bytes) -> dict[str, Any]:
    """One journal line as a record; {} for a line a crash cut short (or that is not one)."""
    try:
        record = json.loads(line)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def match_rows(
    entries: Sequence[Entry], digests: dict[int, str], keys: dict[int, str]
) -> tuple[list[tuple[int, Entry]], list[Entry]]:
    """Find the sheet row of each entry: by request key, else same row and same parameters,
    else the one row with the same parameters. Returns (matches, entries with no row)."""
    by_key = {key: row for row, key in keys.items()}
    by_digest: dict[str, list[int]] = {}
    for row, value in digests.items():
        by_digest.setdefault(value, []).append(row)
    matched: list[tuple[int, Entry]] = []
    orphans: list[Entry] = []
    for entry in entries:
        if entry.key in by_key:
            matched.append((by_key[entry.key], entry))
        elif digests.get(entry.row) == entry.digest:
            matched.append((entry.row, entry))
        elif len(by_digest.get(entry.digest, [])) == 1:
            matched.append((by_digest[entry.digest][0], entry))
        else:
            orphans.append(entry)
    return matched, orphans
