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
import datetime as dt
import json
import os
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from xl_mailer.core.errors import JournalError
from xl_mailer.core.models import JobRequest, JobResult, Outcome, utc_now
from xl_mailer.core.outcomes import unknown
from xl_mailer.engine.bookid import RunLock as RunLock
from xl_mailer.engine.entries import WHAT as WHAT
from xl_mailer.engine.entries import Entry as Entry
from xl_mailer.engine.entries import PathSeen as PathSeen
from xl_mailer.engine.entries import Release as Release
from xl_mailer.engine.entries import Sent as Sent
from xl_mailer.engine.entries import Settled as Settled
from xl_mailer.engine.entries import digest as digest
from xl_mailer.engine.entries import match_rows as match_rows
from xl_mailer.engine.groupcommit import SYNC_WITHIN as SYNC_WITHIN
from xl_mailer.engine.groupcommit import GroupCommit
from xl_mailer.engine.records import (
    FIELDS,
    check,
    parse_record,
    parse_time,
    settled_line,
    stamp,
)

SUFFIX = ".xl-mailer-journal"
_KEEP = object()  # a line compaction keeps whatever its key
RETAIN_DAYS = 14  # how long a settled job is remembered for copies of its file


def _copy_start(path: Path, size: int, out: BinaryIO) -> None:
    """Copy the first ``size`` bytes of the file at ``path`` to ``out``, a block at a time."""
    with path.open("rb") as handle:
        while size > 0:
            block = handle.read(min(size, 1 << 20))
            if not block:
                raise OSError(f"{path} became shorter while it was compacted")
            out.write(block)
            size -= len(block)


def journal_path(workbook: Path) -> Path:
    """The journal's file: hidden, beside the workbook it belongs to."""
    return workbook.with_name(f".{workbook.name}{SUFFIX}")


class Journal:
    """Append-only, one JSON object per line.

    Every line reaches the operating system as soon as it is written, so a killed
    process loses none. ``sending`` returns only once its lines are on disk;
    result lines get there with the next fsync, which ``sync`` forces.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # guards the descriptor and the count of writes
        self._fd: int | None = None
        self._written = 0  # writes made, numbered in the order they reach the file
        self._commit = GroupCommit(self._writes, self._for_fsync)
        self.here: str | None = None  # the file of the workbook this journal is open for
        # that file is, byte for byte, the state of the workbook an earlier run saved or read
        # at this line of the journal (None when it is no such state)
        self.known_since: int | None = None
        self._opened: tuple[int, int, int] | None = None  # device, inode, size when opened
        self._bytes = 0  # written through this descriptor since

    # -- writing ---------------------------------------------------------

    def _write(self, records: Sequence[dict[str, object]], *, sync: bool) -> None:
        """Append lines in one write; with ``sync``, return only once they are on disk."""
        if not records:
            return
        text = "".join(
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records
        )
        self._append(text.encode("utf-8"), sync=sync)

    def _append(self, data: bytes, *, sync: bool) -> None:
        view = memoryview(data)
        with self._lock:
            if self._fd is None:
                self._fd = self._open()
            while view:
                wrote = os.write(self._fd, view)
                self._bytes += wrote
                view = view[wrote:]
            self._written += 1
            mine = self._written
        if sync:
            self._commit.sync_through(mine)

    def _writes(self) -> int:
        with self._lock:
            return self._written

    def _for_fsync(self) -> tuple[int, int]:
        """The writes an fsync starting now covers, and a duplicate descriptor to fsync."""
        with self._lock:
            if self._fd is None:  # closed meanwhile: an fsync through a new descriptor
                self._fd = self._open()  # reaches the same file's lines
            return self._written, os.dup(self._fd)

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
                size += 1
        if self._opened is None:
            stat = os.fstat(descriptor)
            self._opened = (stat.st_dev, stat.st_ino, size)
            self._bytes = 0
        return descriptor

    def tampered(self) -> str | None:
        """What happened to the journal under this run, if anything: deleted, replaced by
        another file, or cut short. None when it is as this run wrote it."""
        with self._lock:
            opened, written = self._opened, self._bytes
        if opened is None:
            return None
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return f"the journal {self.path} was deleted while the run was writing it"
        except OSError as exc:
            return f"the journal {self.path} cannot be read ({exc.strerror or exc})"
        if (stat.st_dev, stat.st_ino) != opened[:2]:
            return f"the journal {self.path} was replaced by another file during the run"
        if stat.st_size < opened[2] + written:
            return f"the journal {self.path} was cut short during the run"
        return None

    def sending(self, requests: Sequence[JobRequest]) -> None:
        """Record, durably, that these rows are about to be sent with these keys."""
        now = stamp(None)
        self._write(
            [
                {
                    "e": "send",
                    "row": r.row,
                    "key": r.key,
                    "digest": digest(r.params),
                    "at": now,
                    "ids": [r.get(name) for name in WHAT],
                }
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
                    "at": stamp(result.sent_at),
                }
            ],
            sync=False,
        )
        self._commit.soon()

    def note_saved(self, path: Path, fingerprint: str, keys: Collection[str]) -> None:
        """Record, durably, that the file at ``path`` was saved holding these request keys
        (with their results) and with these bytes (``fingerprint``)."""
        record: dict[str, object] = {"e": "saved", "path": str(path), "sha": fingerprint}
        self._write([{**record, "keys": sorted(keys), "at": stamp(None)}], sync=True)

    def note_read(self, path: Path, fingerprint: str) -> None:
        """Record, durably, that a run read the file at ``path`` with these bytes: a copy of
        it, or the untouched source of an ``--output`` run, is that state of the workbook."""
        record: dict[str, object] = {"e": "read", "path": str(path), "sha": fingerprint}
        self._write([{**record, "at": stamp(None)}], sync=True)

    def saved_keys(self) -> set[str]:
        """Request keys whose results some file of this workbook was saved with."""
        found: set[str] = set()
        for _, record in self._records():
            if record.get("e") == "saved" and isinstance(record.get("keys"), list):
                found.update(k for k in record["keys"] if isinstance(k, str))
        return found

    def snapshots(self) -> dict[str, int]:
        """Fingerprints of the files this workbook was saved as or read from, each with the
        line of its latest record: a file with one of them is, byte for byte, that state of
        the workbook, and holds nothing of the requests journaled after that line."""
        return {
            str(r["sha"]): number
            for number, r in self._records()
            if r.get("e") in ("saved", "read") and isinstance(r.get("sha"), str)
        }

    def adopt(self, data: bytes) -> None:
        """Append, durably, the lines of a journal kept elsewhere by an earlier version."""
        lines = [line for line in data.splitlines() if parse_record(line)]
        if not lines:
            return
        self._append(b"".join(line + b"\n" for line in lines), sync=True)

    def note_path(self, path: Path, *, run: str, role: str) -> None:
        """Record, durably, that a run works on the file at ``path`` as this workbook."""
        self._write([{"e": "path", "path": str(path), "run": run, "role": role}], sync=True)

    def release(self, entry: Entry, why: str) -> None:
        """Record, durably, that a person released a job no row claims: kept, never matched."""
        self._write(
            [
                {
                    "e": "released",
                    "key": entry.key,
                    "job": entry.result.job_id,
                    "why": why,
                    "at": stamp(None),
                }
            ],
            sync=True,
        )

    def withdrawn(self, requests: Sequence[JobRequest]) -> None:
        """Record, durably, that rows journaled as about to be sent never left after all."""
        self._write([{"e": "withdrawn", "row": r.row, "key": r.key} for r in requests], sync=True)

    def sync(self) -> None:
        """Put every line written so far on disk. Raises OSError if that failed, now or in
        any earlier fsync of this journal (the flusher's included)."""
        self._commit.sync_all()

    @property
    def unsynced(self) -> int:
        """Writes not yet known to be on disk."""
        with self._lock:
            return self._written - self._commit.synced

    @property
    def syncs(self) -> int:
        """Fsyncs made, for benchmarks and tests."""
        return self._commit.syncs

    def close(self) -> None:
        """Stop the flusher, put what was written on disk (as far as the disk lets us), and
        close the file. Writing again reopens it."""
        self._commit.stop_flusher()
        with contextlib.suppress(OSError):  # the lines stay with the OS; the run reported it
            self.sync()
        with self._commit.fsyncing, self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._opened = None

    def compact(
        self,
        settled: Collection[str],
        *,
        held_in: Path | None = None,
        known: Mapping[str, Sent] | None = None,
    ) -> int:
        """Rewrite the journal without the lines of the ``settled`` request keys (the saved
        workbook holds their outcome) and without torn lines; returns how many lines went.

        With ``held_in``, each settled key that made a job (or may have) leaves one record
        naming that file, kept ``RETAIN_DAYS``: a copy of the file made before it held
        the job, or the untouched source of an ``--output`` run, gets the id back from it
        instead of mailing the row again. The rest goes to a temporary file beside it,
        which is fsynced and then takes the journal's place, so a crash leaves the old
        journal or the new one, never half of one. The journal is removed when nothing
        is left. ``known`` is what ``sent`` returns, if the caller has just read it.

        The journal is read line by line, twice (the keys withdrawn or released first,
        then each line kept or dropped as it comes), and never held whole in memory.
        """
        if not self.path.exists():
            return 0
        self.close()
        if known is None:
            known = self.sent()
        made = {k: s for k, s in known.items() if k in settled and s.may_have_made_a_job}
        never_sent: set[object] = set()  # withdrawn: journaled ahead, never left
        released: set[object] = set()  # a release is a person's decision: kept
        with self.path.open("rb") as handle:
            for line in handle:
                record = parse_record(line)
                kind = record.get("e")
                if kind == "withdrawn":
                    never_sent.add(record.get("key"))
                elif kind == "released":
                    released.add(record.get("key"))
        oldest = utc_now() - dt.timedelta(days=RETAIN_DAYS)
        temp = self.path.with_name(self.path.name + ".new")
        out: BinaryIO | None = None  # opened at the first line that goes
        dropped = 0
        left = False  # a line kept that is more than a path or a save
        seen: set[object] = set()
        try:
            with self.path.open("rb") as handle:
                offset = 0  # of this line in the file
                for line in handle:
                    record = parse_record(line)
                    kind = record.get("e")
                    key: object
                    if kind in ("path", "settled", "saved", "read"):
                        # one record per file (per key), while it is recent
                        where, key = record.get("path"), record.get("key", record.get("sha"))
                        keep = isinstance(where, str) and (kind, where, key) not in seen
                        if kind == "path":  # what the copy check needs: files that still exist
                            keep = keep and Path(where).exists()  # type: ignore[arg-type]
                        else:  # a job exists at Click2Mail whatever became of its file
                            at = parse_time(record.get("at"))
                            keep = keep and at is not None and at >= oldest and key not in made
                        seen.add((kind, where, key))
                        key = _KEEP if keep else None
                    else:
                        key = record.get("key")
                    gone = key is not _KEEP and (
                        not isinstance(key, str) or key in settled or key in never_sent
                    )
                    if gone and key not in released:
                        if out is None:  # every line before this one is kept as it is
                            out = temp.open("wb")
                            _copy_start(self.path, offset, out)
                        dropped += 1
                    else:
                        left = left or kind not in ("path", "saved", "read", None)
                        if out is not None:
                            out.write(line if line.endswith(b"\n") else line + b"\n")
                    offset += len(line)
            if out is None:  # nothing goes
                return 0
            if held_in is not None and made:
                left = True
                out.writelines(settled_line(key, sent, held_in) for key, sent in made.items())
            if not left:  # nothing but paths and saves: nothing left to know
                out.close()
                temp.unlink()
                self.path.unlink()
                return dropped
            out.flush()
            os.fsync(out.fileno())
            out.close()
            os.replace(temp, self.path)
            return dropped
        except BaseException:
            if out is not None:
                out.close()
                temp.unlink(missing_ok=True)
            raise

    def settled_records(self) -> list[Settled]:
        """Jobs a file of this workbook holds, as compaction recorded them, brought up to
        date by later verdicts on their keys (a reconcile that found the job, or found
        none: then nothing was made and the record is dropped)."""
        found: dict[str, Settled] = {}
        for number, r in self._records():
            kind = r.get("e")
            if kind == "settled" and check(self.path, number, r, FIELDS["settled"]):
                found[r["key"]] = Settled(
                    r["key"], r["row"], r["digest"], r["job"], r["path"], number
                )
            elif kind == "result" and r.get("key") in found:
                earlier = found[r["key"]]
                if r.get("outcome") == Outcome.CREATED.value and isinstance(r.get("job"), int):
                    found[earlier.key] = Settled(
                        earlier.key,
                        earlier.row,
                        earlier.digest,
                        r["job"],
                        earlier.path,
                        number,
                    )
                elif r.get("outcome") != Outcome.UNKNOWN.value:
                    del found[earlier.key]
        return list(found.values())

    def discard(self) -> None:
        """Remove the journal once the workbook holds everything it recorded."""
        self.close()
        self.path.unlink(missing_ok=True)

    # -- reading ---------------------------------------------------------

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every record with its line number. A line a crash cut short is passed over."""
        if not self.path.exists():
            return
        try:
            handle = self.path.open(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise JournalError(self.path, f"cannot be read ({exc.strerror or exc})") from exc
        with handle:
            for number, line in enumerate(handle, start=1):
                record = parse_record(line)  # a line cut short by a crash reads as {}
                if record:
                    yield number, record

    def _about_sending(self) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
        """The records about sending (send, result, withdrawn, released), each with its line,
        kind and request key. Every record of a kind this version knows is checked first.
        Raises JournalError naming a record that cannot be read."""
        for number, record in self._records():
            kind = record.get("e")
            if kind not in FIELDS:
                continue  # a kind of record this version does not know: not about sending
            check(self.path, number, record, FIELDS[kind])
            if kind not in ("path", "settled", "saved", "read"):
                yield number, kind, record["key"], record

    def entries(self) -> list[Entry]:
        """What each request key came to; a send with no result is UNKNOWN. Released keys are
        marked (``Entry.released``): they still match their rows, but never stop a run.
        Raises JournalError naming a record that cannot be read."""
        sends: dict[str, tuple[int, dict[str, Any]]] = {}
        results: dict[str, dict[str, Any]] = {}
        released: set[str] = set()
        for number, kind, key, record in self._about_sending():
            if kind == "send":
                sends[key] = (number, record)
            elif kind == "result":
                results[key] = record
            elif kind == "withdrawn":
                sends.pop(key, None)  # journaled ahead, never sent: nothing to know
            elif kind == "released":
                released.add(key)
        found: list[Entry] = []
        for key, (number, send) in sends.items():
            answer = results.get(key)
            if answer is None:
                result = unknown("the previous run stopped while this row was being sent")
            else:
                result = JobResult(
                    Outcome(answer["outcome"]),
                    answer["text"],
                    answer.get("job"),
                    answer.get("http"),
                    answer.get("code"),
                    sent_at=parse_time(answer.get("at")),
                )
            found.append(
                Entry(
                    key,
                    send["row"],
                    send["digest"],
                    result.keyed(key),
                    parse_time(send.get("at")),
                    number,
                    key in released,
                    tuple(str(v) if v is not None else None for v in send.get("ids") or ()),
                )
            )
        return found

    def sent(self) -> dict[str, Sent]:
        """What ``entries`` finds, in a few values per key (``Sent``): the same keys in the
        same order, every record checked as it checks them, but no record and no result
        kept whole, so that compacting a long run's journal does not hold all of it.
        Raises JournalError naming a record that cannot be read."""
        sends: dict[str, tuple[int, str]] = {}
        results: dict[str, tuple[int | None, bool]] = {}
        for _, kind, key, record in self._about_sending():
            if kind == "send":
                sends[key] = (record["row"], record["digest"])
            elif kind == "result":
                results[key] = (record.get("job"), record["outcome"] == Outcome.UNKNOWN.value)
            elif kind == "withdrawn":
                sends.pop(key, None)  # journaled ahead, never sent: nothing to know
        return {
            key: Sent(row, digest, *results.get(key, (None, True)))
            for key, (row, digest) in sends.items()
        }

    def releases(self) -> list[Release]:
        """The jobs a person released, oldest first."""
        return [
            Release(r["key"], r.get("job"), str(r.get("why", "")), parse_time(r.get("at")))
            for number, r in self._records()
            if r.get("e") == "released" and check(self.path, number, r, FIELDS["released"])
        ]

    def paths(self) -> list[PathSeen]:
        """The files runs worked on as this workbook, oldest first."""
        return [
            PathSeen(r["path"], str(r.get("run", "")), str(r.get("role", "run")))
            for number, r in self._records()
            if r.get("e") == "path" and check(self.path, number, r, FIELDS["path"])
        ]
