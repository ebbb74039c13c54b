"""openpyxl with less memory for large sheets, the same file on disk (issue 13).

Two places where openpyxl holds more than the workbook needs:

- Loading gives each cell a style record of its own (about 60 bytes), all zeros for a cell
  with no style; a cell openpyxl makes has none until a style is set. ``drop_blank_styles``
  drops the blank ones: such a cell saves the same (no ``s`` attribute either way).
- Saving orders a sheet's cells by sorting a fresh (key, cell) pair for every cell, about
  65 bytes each: 75 MB for 1.2 million cells, held at the peak of the save. ``lean_save``
  sorts the keys the sheet already holds instead, and writes the same XML.

Both lean on openpyxl's internals (``Cell._style``, ``Worksheet._cells`` and the name
``WorksheetWriter`` in ``openpyxl.writer.excel``), which is why openpyxl is pinned to 3.1
in pyproject.toml; tests compare every part of the saved file with openpyxl's own save.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.worksheet import _writer as sheet_writer
from openpyxl.writer import excel


def drop_blank_styles(book: Workbook) -> None:
    """Give each loaded cell whose style record is all zeros no record at all."""
    for sheet in book.worksheets:
        for cell in sheet._cells.values():  # ``_style`` is in openpyxl's code, not its stubs
            style = getattr(cell, "_style", None)
            if style is not None and not any(style):
                setattr(cell, "_style", None)  # noqa: B010


class _KeySortedWriter(sheet_writer.WorksheetWriter):
    """openpyxl's sheet writer, its rows gathered from the sorted keys, not sorted pairs."""

    def rows(self) -> list[tuple[int, list[Any]]]:
        sheet: Any = self.ws  # never a write-only sheet here: ``lean_save`` loads none
        cells: dict[tuple[int, int], Any] = sheet._cells
        by_row: defaultdict[int, list[Any]] = defaultdict(list)
        for key in sorted(cells):  # (row, column) keys are unique: the order is the same
            by_row[key[0]].append(cells[key])
        for row in sheet.row_dimensions.keys() - by_row.keys():  # styled empty rows
            by_row[row] = []
        return sorted(by_row.items())


_SWAP = threading.Lock()


@contextmanager
def _key_sorted_rows() -> Iterator[None]:
    """openpyxl's workbook writer, using ``_KeySortedWriter`` for each sheet while it lasts
    (one save at a time in this process)."""
    module: Any = excel  # the name its ``write_worksheet`` looks up, absent from the stubs
    with _SWAP:
        stock = module.WorksheetWriter
        module.WorksheetWriter = _KeySortedWriter
        try:
            yield
        finally:
            module.WorksheetWriter = stock


def lean_save(book: Workbook, target: IO[bytes]) -> None:
    """``book.save(target)``, with less memory at its peak."""
    with _key_sorted_rows():
        book.save(target)
