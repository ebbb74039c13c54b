"""The xlwings adapter: one sheet of an open book (desktop Excel, or xlwings' remote engine).

It reads the sheet in one call and writes results in rectangular blocks; text
that Excel would take for a formula gets Excel's own text prefix (an apostrophe,
which Excel keeps out of the cell's value). No business rule lives here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import xlwings as xw

from xl_mailer.app.archive import HISTORY_SHEET
from xl_mailer.core.blocks import contiguous_blocks
from xl_mailer.core.sheet import Layout
from xl_mailer.engine.bookid import (
    ID_NAME,
    UNFINISHED_NAME,
    identity_formula,
    parse_identity,
)

FORMULA_STARTS = ("=", "+", "-", "@")


def as_text(value: object) -> object:
    """The value to hand Excel so that a server's text never becomes a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def is_remote(book: xw.Book) -> bool:
    return bool(getattr(book.app.engine, "name", "") == "remote")


class BookSheet:
    """A ``SheetPort`` over an xlwings sheet; counts its writes for tests and benchmarks."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        self.name = str(sheet.name)
        self.writes = 0
        # the remote engine reads the sheet as the client sent it, before this call's writes:
        # they are laid over what it reads, as Excel would show them (one action may write
        # ids, as Create Jobs does after uploading, and then read them)
        self._sent: dict[tuple[int, int], object] | None = {} if is_remote(sheet.book) else None

    def values(self) -> list[list[object]]:
        last = self.sheet.used_range.last_cell
        block = self.sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value
        rows = [list(row) for row in (block or [])]
        for (r, c), value in (self._sent or {}).items():
            while len(rows) <= r:
                rows.append([])
            rows[r].extend([None] * (c + 1 - len(rows[r])))
            rows[r][c] = value
        return rows

    def write_block(self, row: int, column: int, values: list[list[object]]) -> None:
        cleaned = [[as_text(v) for v in line] for line in values]
        self.sheet.range((row, column + 1)).value = cleaned
        self.writes += 1
        if self._sent is not None:
            for r, line in enumerate(values):
                for c, value in enumerate(line):
                    self._sent[(row - 1 + r, column + c)] = value

    def checkpoint(self) -> None:
        """Excel holds the results; saving the book stays the user's decision."""

    def row_notes(self, layout: Layout) -> dict[int, str]:
        """Desktop Excel's hidden rows and merged cells cost a call per row to find out: the
        sheet is taken as it reads (a merged cell's other rows read as blank)."""
        return {}

    def book_path(self) -> Path | None:
        """The book's file (``book.fullname``), or None for a book never saved (Excel gives
        a bare name such as "Book1")."""
        full = Path(str(self.sheet.book.fullname))
        return full if full.is_absolute() else None

    def write_link(self, row: int, column: int, target: Path, text: str) -> None:
        self.sheet.range((row, column + 1)).add_hyperlink(str(target), as_text(text))
        self.writes += 1

    def other(self, name: str, *, create: bool = False) -> BookSheet | None:
        """Another sheet of this book (``create``: added after the last one when it has
        none)."""
        book = self.sheet.book
        if name not in [sheet.name for sheet in book.sheets]:
            if not create:
                return None
            book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
        if name == self.name:
            return self
        return BookSheet(book.sheets[name])

    def folder(self) -> Path | None:
        """The folder of the book's file (None for a book never saved: Excel names it
        "Book1", with no folder)."""
        full = Path(str(self.sheet.book.fullname))
        return full.parent if full.is_absolute() else None

    def _history(self) -> Any | None:
        book = self.sheet.book
        names = [sheet.name for sheet in book.sheets]
        return book.sheets[HISTORY_SHEET] if HISTORY_SHEET in names else None

    def archived(self) -> list[list[object]]:
        history = self._history()
        if history is None:
            return []
        block = history.used_range.options(ndim=2).value or []
        return [list(row) for row in block]

    def write_history(self, row: int, values: list[list[object]]) -> None:
        history = self._history()
        if history is None:
            book = self.sheet.book
            history = book.sheets.add(HISTORY_SHEET, after=book.sheets[len(book.sheets) - 1])
        width = max(len(line) for line in values)
        cleaned = [[as_text(v) for v in line] + [None] * (width - len(line)) for line in values]
        history.range((row, 1)).value = cleaned
        self.writes += 1

    def delete_rows(self, rows: Sequence[int]) -> None:
        """Excel removes whole rows, bottom run first; the rows below move up."""
        if self._sent:
            self._sent.clear()  # rows move: what was laid over them no longer fits
        for first, block in reversed(contiguous_blocks([(row, ()) for row in set(rows)])):
            self.sheet.range(f"{first}:{first + len(block) - 1}").delete(shift="up")
            self.writes += 1


def book_identity(book: xw.Book) -> str | None:
    """The identity the open book carries (``bookid.ID_NAME``), or None."""
    for name in book.names:
        if str(name.name).split("!")[-1] == ID_NAME:
            return parse_identity(name.refers_to)
    return None


def book_note(book: xw.Book) -> str | None:
    """The note of an unfinished run the open book carries (``bookid.UNFINISHED_NAME``)."""
    for name in book.names:
        if str(name.name).split("!")[-1] == UNFINISHED_NAME:
            text = name.refers_to
            return text.strip().removeprefix("=").strip('"') if isinstance(text, str) else None
    return None


def clear_book_note(book: xw.Book) -> None:
    """Take the note of an unfinished run out of the open book (the user's next save)."""
    for name in list(book.names):
        if str(name.name).split("!")[-1] == UNFINISHED_NAME:
            name.delete()


def set_book_identity(book: xw.Book, identity: str) -> None:
    """Give the open book its identity; it reaches the file when the user saves."""
    if book_identity(book) != identity:
        book.names.add(ID_NAME, identity_formula(identity))
        with contextlib.suppress(Exception):  # desktop Excel only: hide it from Name Manager
            book.names[ID_NAME].api.Visible = False


def status(book: xw.Book, text: str | None) -> None:
    """Show text in Excel's status bar (None gives it back to Excel); engines without one skip."""
    with contextlib.suppress(NotImplementedError, AttributeError):
        book.app.status_bar = text if text is not None else False


@contextlib.contextmanager
def quiet_excel(book: xw.Book) -> Iterator[None]:
    """Screen updating off and calculation manual while writing; restored even on error.

    Only on desktop Excel: the remote engine's clients do not apply these actions.
    """
    if is_remote(book):
        yield
        return
    app = book.app
    updating, calculation = app.screen_updating, app.calculation
    app.screen_updating = False
    app.calculation = "manual"
    try:
        yield
    finally:
        app.calculation = calculation
        app.screen_updating = updating
