"""The two spreadsheet adapters a use case runs through, behind one small test interface:
give it a grid of cells, get a ``SheetPort``, read back what the use case left."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Protocol

import xlwings as xw
from openpyxl import Workbook, load_workbook

from xl_mailer.app.ports import SheetPort
from xl_mailer.excel.xlbook import BookSheet
from xl_mailer.headless.xlsx import FileSheet, open_sheet

from ..remote import actions, sheet_values

Grid = list[list[object]]


class Adapter(Protocol):
    name: str

    def open(self, grid: Grid) -> SheetPort:
        """A port over a sheet named Jobs that holds ``grid`` from A1."""
        ...

    def read(self) -> Grid:
        """The sheet as the last opened port left it (saved, for a file)."""
        ...


class FileAdapter:
    """openpyxl: a workbook file, saved after the use case as the CLI saves it."""

    name = "openpyxl"

    def __init__(self, folder: Path) -> None:
        self.path = folder / "jobs.xlsx"
        self.port: FileSheet | None = None

    def open(self, grid: Grid) -> SheetPort:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Jobs"
        for line in grid:
            sheet.append(line)
        book.save(self.path)
        self.port = open_sheet(self.path)
        return self.port

    def read(self) -> Grid:
        assert self.port is not None
        self.port.save()
        book = load_workbook(self.path)
        return [list(r) for r in book["Jobs"].iter_rows(values_only=True)]


class RemoteAdapter:
    """xlwings' remote engine: the book as the VBA client sends it; writes come back as the
    actions the client would carry out in Excel."""

    name = "xlwings"

    def __init__(self) -> None:
        self.grid: Grid = []
        self.book: xw.Book | None = None

    def open(self, grid: Grid) -> SheetPort:
        self.grid = [list(line) for line in grid]
        self.book = xw.Book(json=_payload(self.grid))
        return BookSheet(self.book.sheets["Jobs"])

    def read(self) -> Grid:
        assert self.book is not None
        cells = [list(line) for line in self.grid]
        for action in actions(self.book, "setValues"):
            for r, line in enumerate(action["values"]):
                for c, value in enumerate(line):
                    row, column = action["start_row"] + r, action["start_column"] + c
                    while len(cells) <= row:
                        cells.append([])
                    cells[row].extend([None] * (column + 1 - len(cells[row])))
                    cells[row][column] = _from_json(value)
        return cells


def _payload(grid: Grid) -> dict[str, object]:
    return {
        "client": "VBA",
        "version": xw.__version__,
        "book": {"name": "jobs.xlsm", "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [{"name": "Jobs", "values": sheet_values(grid), "pictures": [], "tables": []}],
    }


def _from_json(value: object) -> object:
    """A written value as Excel would hold it: a date back from its ISO text."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in "T ":
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value
