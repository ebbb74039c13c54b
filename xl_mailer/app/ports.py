"""What a use case needs from a sheet, and the one way results are written into it.

Spreadsheet adapters (openpyxl files in ``headless``, xlwings books in ``excel``)
implement ``SheetPort``; no business rule lives in an adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from xl_mailer.core.blocks import contiguous_blocks
from xl_mailer.core.models import OUTPUT_HEADERS, JobResult
from xl_mailer.core.sheet import Layout


class SheetPort(Protocol):
    """What a run needs from a sheet. Rows are 1-based sheet rows, columns 0-based."""

    name: str

    def values(self) -> list[list[object]]:
        """Every value of the sheet from A1 to its last used cell, in one read."""
        ...

    def write_block(self, row: int, column: int, values: list[list[object]]) -> None:
        """Write a rectangle of values with its top-left cell at (row, column).

        Text is written as text, never as a formula.
        """
        ...

    def checkpoint(self) -> None:
        """Make what was written so far durable, if the holder needs that (a file save)."""
        ...

    def row_notes(self, layout: Layout) -> dict[int, str]:
        """Rows that must not be sent, with the reason (hidden rows, merged cells)."""
        ...

    def archived(self) -> list[list[object]]:
        """Every value of the book's History sheet (rows archived from this sheet, under a
        header row), or [] when it has none."""
        ...


class BookPort(SheetPort, Protocol):
    """A sheet that can reach the other sheets of its book (the whole mailing's Documents,
    Addresses and Address Lists) and knows the book's folder."""

    def other(self, name: str, *, create: bool = False) -> BookPort | None:
        """The sheet ``name`` of the same book (None when it has none), added after the
        last sheet with ``create``. Writes reach the file with this sheet's saves. Raises
        WorkbookError when ``name`` is not a worksheet (a chart sheet)."""
        ...

    def folder(self) -> Path | None:
        """The folder the book is saved in (None: a book never saved)."""
        ...


class ArchivePort(SheetPort, Protocol):
    """What archiving needs beyond a run: the History sheet written, finished rows removed."""

    def write_history(self, row: int, values: list[list[object]]) -> None:
        """Write whole rows into the History sheet from column A at ``row`` (1-based),
        adding the sheet after the last one if the book has none. Text stays text."""
        ...

    def delete_rows(self, rows: Sequence[int]) -> None:
        """Remove these sheet rows, the rows below moving up (their formulas follow)."""
        ...


class BookFilePort(SheetPort, Protocol):
    """What a use case that keeps files beside the workbook needs: where the workbook is,
    and a cell that links to such a file."""

    def book_path(self) -> Path | None:
        """The workbook's file (its folder and name), or None for a book never saved."""
        ...

    def write_link(self, row: int, column: int, target: Path, text: str) -> None:
        """Put a hyperlink to the file ``target`` into one cell, showing ``text``."""
        ...


def result_spans(layout: Layout) -> list[tuple[int, list[int]]]:
    """Group output columns into contiguous spans: (first column, indexes into the cells)."""
    ordered = sorted((layout.results[h], i) for i, h in enumerate(OUTPUT_HEADERS))
    spans: list[tuple[int, list[int]]] = []
    for column, index in ordered:
        if spans and spans[-1][0] + len(spans[-1][1]) == column:
            spans[-1][1].append(index)
        else:
            spans.append((column, [index]))
    return spans


def write_headers(port: SheetPort, layout: Layout) -> int:
    """Write the output headers the sheet lacks; returns how many writes it took."""
    writes = 0
    # contiguous_blocks groups consecutive keys: here the keys are columns
    missing = [(column, [name]) for column, name in layout.missing_headers]
    for first, names in contiguous_blocks(missing):
        port.write_block(layout.header_row + 1, first, [[n[0] for n in names]])
        writes += 1
    return writes


def write_results(
    port: SheetPort, layout: Layout, results: Sequence[tuple[int, JobResult]]
) -> None:
    """Write whole results into their rows at once (headers first, if missing), then
    checkpoint: for actions that write a handful of rows, not a run's stream."""
    if not results:
        return
    write_headers(port, layout)
    spans = result_spans(layout)
    for first, cells in contiguous_blocks([(row, list(r.cells)) for row, r in results]):
        for column, indexes in spans:
            port.write_block(first, column, [[line[i] for i in indexes] for line in cells])
    port.checkpoint()
