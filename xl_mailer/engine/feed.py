"""The feed of a run: requests handed to the workers in row order, each one journaled
before it can be taken, in batches sized to the pace of the run."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from xl_mailer.core.errors import JournalFailed
from xl_mailer.core.models import JobRequest, JobResult

AHEAD_SECONDS = 0.05  # how far ahead of the workers send records may be written
AHEAD_MOST = 64  # and at most this many rows at once


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
