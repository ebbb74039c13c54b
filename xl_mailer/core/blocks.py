"""Buffer result rows and hand them out as a few rectangular blocks, not cell by cell."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

Block = tuple[int, list[list[object]]]
"""(first sheet row, rows of cells): contiguous rows written in one call."""


def contiguous_blocks(rows: Sequence[tuple[int, Sequence[object]]]) -> list[Block]:
    """Group (row number, cells) pairs into runs of consecutive rows, in row order."""
    blocks: list[Block] = []
    for number, cells in sorted(rows, key=lambda item: item[0]):
        if blocks and blocks[-1][0] + len(blocks[-1][1]) == number:
            blocks[-1][1].append(list(cells))
        else:
            blocks.append((number, [list(cells)]))
    return blocks


class BlockBuffer:
    """Collects result rows; flushes every ``rows`` rows or ``seconds`` seconds, whichever first."""

    def __init__(
        self,
        flush: Callable[[list[Block]], None],
        *,
        rows: int = 50,
        seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        frontier: Callable[[], int | None] | None = None,
    ) -> None:
        self._flush = flush
        self._frontier = frontier
        self._limit = rows
        self._seconds = seconds
        self._clock = clock
        self._pending: dict[int, Sequence[object]] = {}
        self._since = clock()
        self.flushes = 0

    def add(self, row: int, cells: Sequence[object]) -> None:
        self._pending[row] = cells
        if self._clock() - self._since >= self._seconds:
            self.flush()
        elif len(self._pending) >= self._limit:
            self.flush(settled_only=True)

    def flush(self, *, settled_only: bool = False) -> None:
        """Write what is pending. With ``settled_only``, keep back the rows beyond the
        ``frontier`` (the first row still awaited), so that blocks stay whole."""
        edge = self._frontier() if settled_only and self._frontier is not None else None
        ready = {r: c for r, c in self._pending.items() if edge is None or r < edge}
        if settled_only and len(ready) < self._limit // 2:
            return  # too little below the frontier: wait for it (the clock bounds the wait)
        self._since = self._clock()
        if not ready:
            return
        self._flush(contiguous_blocks(list(ready.items())))
        for row in ready:  # only once written: an interrupted write keeps them pending
            if self._pending.get(row) is ready[row]:
                del self._pending[row]
        self.flushes += 1


def bridge(blocks: list[Block], known: Mapping[int, list[object]]) -> list[Block]:
    """Join neighbouring blocks across gaps made only of rows in ``known`` (rows this run
    wrote itself, whose cells it knows exactly), repeating those rows' cells.

    One write that repeats a few rows is cheaper in Excel than several; a row
    the run did not write is never rewritten from a snapshot.
    """
    joined: list[Block] = []
    for first, cells in blocks:
        if joined:
            start, lines = joined[-1]
            gap = range(start + len(lines), first)
            if all(row in known for row in gap):
                lines.extend(list(known[row]) for row in gap)
                lines.extend(cells)
                continue
        joined.append((first, list(cells)))
    return joined
