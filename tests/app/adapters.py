"""The two spreadsheet adapters a use case runs through, behind one small test interface:
give it a grid of cells, get a ``SheetPort``, read back what the use case left."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Protocol

import xlwings as xw
from openpyxl import Workbook, load_workbook

from xl_mailer.app.ports import ArchivePort, BookFilePort
from xl_mailer.excel.xlbook import BookSheet
from xl_mailer.headless.xlsx import FileSheet, open_sheet

from ..remote import actions, sheet_values

Grid = list[list[object]]


class Adapter(Protocol):
    name: str

    def open(
        self, grid: Grid, *, history: Grid | None = None, sheets: dict[str, Grid] | None = None
    ) -> BookPort:
        """A port over a sheet named Jobs that holds ``grid`` from A1 (and a History sheet
        holding ``history``, and each of ``sheets`` by name, if given)."""
        ...

    def read(self, sheet: str = "Jobs") -> Grid:
        """A sheet as the last opened port left it (saved, for a file)."""
        ...

    def links(self) -> dict[tuple[int, int], str]:
        """The Jobs sheet's hyperlinks, by (1-based row, 0-based column), as written."""
        ...

    @property
    def folder(self) -> Path:
        """The folder the workbook is in."""
        ...


class BookPort(ArchivePort, BookFilePort, Protocol):
    """What both adapters' ports are."""


class FileAdapter:
    """openpyxl: a workbook file, saved after the use case as the CLI saves it."""

    name = "openpyxl"

    def __init__(self, folder: Path) -> None:
        self.path = folder / "jobs.xlsx"
        self.port: FileSheet | None = None

    @property
    def folder(self) -> Path:
        return self.path.parent

    def links(self) -> dict[tuple[int, int], str]:
        assert self.port is not None
        self.port.save()
        sheet = load_workbook(self.path)["Jobs"]
        return {
            (cell.row, cell.column - 1): str(cell.hyperlink.target)
            for line in sheet.iter_rows()
            for cell in line
            if cell.hyperlink is not None
        }

    def open(
        self, grid: Grid, *, history: Grid | None = None, sheets: dict[str, Grid] | None = None
    ) -> BookPort:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "Jobs"
        for line in grid:
            sheet.append(line)
        if history is not None:
            archive = book.create_sheet("History")
            for line in history:
                archive.append(line)
        for title, lines in (sheets or {}).items():
            extra = book.create_sheet(title)
            for line in lines:
                extra.append(line)
        book.save(self.path)
        self.port = open_sheet(self.path)
        return self.port  # type: ignore[return-value]

    def read(self, sheet: str = "Jobs") -> Grid:
        assert self.port is not None
        self.port.save()
        book = load_workbook(self.path)
        return [list(r) for r in book[sheet].iter_rows(values_only=True)]


class RemoteAdapter:
    """xlwings' remote engine: the book as the VBA client sends it; writes come back as the
    actions the client would carry out in Excel."""

    name = "xlwings"

    def __init__(self, folder: Path | None = None) -> None:
        self.sheets: list[tuple[str, Grid]] = []
        self.book: xw.Book | None = None
        # desktop Excel's book.fullname is the file's path; the remote engine gives the name
        # the client sends, so a saved book is one whose name is a path
        self.name = str(folder / "jobs.xlsm") if folder is not None else "jobs.xlsm"

    @property
    def folder(self) -> Path:
        return Path(self.name).parent

    def links(self) -> dict[tuple[int, int], str]:
        assert self.book is not None
        return {
            (a["start_row"] + 1, a["start_column"]): a["args"][0]
            for a in actions(self.book, "addHyperlink")
        }

    def open(
        self, grid: Grid, *, history: Grid | None = None, sheets: dict[str, Grid] | None = None
    ) -> BookPort:
        self.sheets = [("Jobs", [list(line) for line in grid])]
        if history is not None:
            self.sheets.append(("History", [list(line) for line in history]))
        for title, lines in (sheets or {}).items():
            self.sheets.append((title, [list(line) for line in lines]))
        self.book = xw.Book(json=_payload(self.sheets, self.name))
        return BookSheet(self.book.sheets["Jobs"])

    def read(self, sheet: str = "Jobs") -> Grid:
        """The sheet after the actions the VBA client would carry out: sheets added, values
        set, rows deleted."""
        assert self.book is not None
        sheets = [(name, [list(line) for line in grid]) for name, grid in self.sheets]
        for action in actions(self.book):
            if action["func"] == "addSheet":
                sheets.insert(action["args"][0], (action["args"][1], []))
                continue
            if action["func"] not in ("setValues", "rangeDelete", "addHyperlink"):
                continue
            cells = sheets[action["sheet_position"]][1]
            first = action["start_row"]
            if action["func"] == "rangeDelete":
                del cells[first : first + action["row_count"]]
                continue
            if action["func"] == "addHyperlink":  # the cell shows the link's text
                action = {**action, "values": [[action["args"][1]]]}
            for r, line in enumerate(action["values"]):
                for c, value in enumerate(line):
                    row, column = first + r, action["start_column"] + c
                    while len(cells) <= row:
                        cells.append([])
                    cells[row].extend([None] * (column + 1 - len(cells[row])))
                    cells[row][column] = _from_json(value)
        return dict(sheets)[sheet]


def _payload(sheets: list[tuple[str, Grid]], name: str = "jobs.xlsm") -> dict[str, object]:
    return {
        "client": "VBA",
        "version": xw.__version__,
        "book": {"name": name, "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [
            {"name": name, "values": sheet_values(grid), "pictures": [], "tables": []}
            for name, grid in sheets
        ],
    }


def _from_json(value: object) -> object:
    """A written value as Excel would hold it: a date or a time back from its ISO text."""
    if not isinstance(value, str) or len(value) < 10 or value[4:5] != "-" or value[7:8] != "-":
        return value
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        if value[10] in "T ":
            return dt.datetime.fromisoformat(value)
    except ValueError:
        pass
    return value
