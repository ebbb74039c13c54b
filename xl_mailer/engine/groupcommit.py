"""The journal's group commit: the lines many threads write, put on disk with one fsync."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable

SYNC_WITHIN = 0.02  # seconds an answer may wait for its fsync, however busy the run is


class GroupCommit:
    """Puts a journal's lines on disk, the writes of many threads with one fsync.

    The journal numbers its writes in the order they reach the file. A write is on disk
    once an fsync that began after it has returned; ``synced`` is the number of the last
    write known to be. What the journal's records get from it:

    - ``sync_through(n)`` returns only once write ``n`` is on disk, so a ``send`` record
      (and every other durable one) is on disk before ``sending`` returns. One fsync
      covers every write made before it began: a thread whose write an earlier fsync
      carried makes none.
    - ``soon()`` after a ``result`` record: a flusher thread (started at the first call)
      waits ``SYNC_WITHIN`` for more answers and fsyncs them together. So an answer is on
      disk soon after it is written, and after the next ``sync_all`` at the latest.
    - After a failed fsync nothing written counts as on disk: the error is kept, and
      every later ``sync_through`` and ``sync_all`` raises it.
    """

    def __init__(self, written: Callable[[], int], snapshot: Callable[[], tuple[int, int]]) -> None:
        self._written = written  # how many writes the journal made so far
        self._snapshot = snapshot  # that count, and a duplicate descriptor of their file
        self.fsyncing = threading.Lock()  # held while an fsync runs: one at a time
        self.synced = 0  # writes known to be on disk
        self.syncs = 0  # fsyncs made, for benchmarks and tests
        self.failed: OSError | None = None  # the first fsync that failed
        self._due = threading.Event()  # set: an answer waits for the flusher's fsync
        self._closing = threading.Event()  # set: the flusher ends after its next fsync
        self._flusher: threading.Thread | None = None
        self._starting = threading.Lock()  # so that one flusher is started, not two

    def sync_through(self, mine: int) -> None:
        """Return once write ``mine`` is on disk. Raises OSError if an fsync failed."""
        with self.fsyncing:
            if self.failed is not None:  # after a failed fsync nothing written counts as safe
                raise self.failed
            if self.synced >= mine:
                return
            covered, descriptor = self._snapshot()
            try:
                os.fsync(descriptor)
            except OSError as exc:  # Linux reports a writeback error to one fsync only
                self.failed = exc
                raise
            finally:
                os.close(descriptor)
            self.synced = covered
            self.syncs += 1

    def sync_all(self) -> None:
        """Return once every write made so far is on disk. Raises OSError if that failed,
        now or in any earlier fsync (the flusher's included)."""
        if self.failed is not None:
            raise self.failed
        mine = self._written()
        if self.synced < mine:
            self.sync_through(mine)

    def soon(self) -> None:
        """Have the flusher put what was written on disk within ``SYNC_WITHIN`` seconds."""
        self._due.set()
        if self._flusher is None:
            with self._starting:
                if self._flusher is None:
                    self._closing.clear()
                    self._flusher = threading.Thread(
                        target=self._flush, name="xl-mailer-journal", daemon=True
                    )
                    self._flusher.start()

    def _flush(self) -> None:
        """The flusher: after an answer is written, wait ``SYNC_WITHIN`` for more, then fsync
        them all at once; the answers of a busy second share a few dozen fsyncs."""
        while not self._closing.is_set():  # stop_flusher() sets it before waking us
            self._due.wait()
            time.sleep(SYNC_WITHIN)
            self._due.clear()
            with contextlib.suppress(OSError):  # kept: every later sync raises it
                self.sync_all()

    def stop_flusher(self) -> None:
        """End the flusher after its last fsync; a later ``soon`` starts a new one."""
        flusher = self._flusher
        if flusher is not None:
            self._closing.set()
            self._due.set()
            flusher.join(timeout=5)
            self._flusher = None
