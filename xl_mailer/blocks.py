"""Buffer result rows and hand them out as a few rectangular blocks, not cell by cell."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

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
    ) -> None:
        self._flush = flush
        self._limit = rows
        self._seconds = seconds
        self._clock = clock
        self._pending: dict[int, Sequence[object]] = {}
        self._since = clock()
        self.flushes = 0

    def add(self, row: int, cells: Sequence[object]) -> None:
        self._pending[row] = cells
        if len(self._pending) >= self._limit or self._clock() - self._since >= self._seconds:
            self.flush()

    def flush(self) -> None:
        self._since = self._clock()
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        self._flush(contiguous_blocks(list(pending.items())))
        self.flushes += 1


def bridge(
    blocks: list[Block], current: Callable[[int], list[object]], *, max_ratio: float = 4.0
) -> list[Block]:
    """Join blocks into one rectangle, filling the rows between them with their current cells.

    Answers arrive out of order with concurrency, so a flush would otherwise be
    several small blocks; one write that repeats a few unchanged rows is cheaper
    in Excel than several. Blocks far apart (span over ``max_ratio`` times the
    rows that changed) are left as they are.
    """
    if len(blocks) < 2:
        return blocks
    first = blocks[0][0]
    last = blocks[-1][0] + len(blocks[-1][1]) - 1
    changed = sum(len(cells) for _, cells in blocks)
    if last - first + 1 > max_ratio * changed:
        return blocks
    by_row = {row + i: cells[i] for row, cells in blocks for i in range(len(cells))}
    return [(first, [by_row.get(row) or current(row) for row in range(first, last + 1)])]
