"""The calling workbook as every ribbon action sees it: its Jobs sheet, its settings, a
connection made from them, progress on the status bar, a line in its Log, and alerts.

Problems that stop an action are shown as an alert, never as a traceback, and
never contain a secret.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import xlwings as xw

from xl_mailer.app.report import LOG_SHEET, log_line
from xl_mailer.click2mail.connection import Connection, connect
from xl_mailer.click2mail.settings import Settings, from_mapping, with_environment
from xl_mailer.core.errors import XlMailerError
from xl_mailer.engine.runner import RunSummary
from xl_mailer.excel.xlbook import BookSheet, status

TITLE = "Click2Mail"
JOBS_SHEET = "Jobs"
F = TypeVar("F", bound=Callable[..., Any])


def alert(book: xw.Book, text: str) -> None:
    book.app.alert(text, title=TITLE)


def action(function: F) -> F:
    """A ribbon action: run on the given book (else the caller); a problem that stops it
    becomes an alert, not a traceback."""

    @functools.wraps(function)
    def wrapper(book: xw.Book | None = None, **kwargs: Any) -> Any:
        book = book if book is not None else xw.Book.caller()
        try:
            return function(book, **kwargs)
        except XlMailerError as exc:
            status(book, None)
            alert(book, f"Stopped: {exc}")
            return None

    return wrapper  # type: ignore[return-value]


def sheet_names(book: xw.Book) -> list[str]:
    return [sheet.name for sheet in book.sheets]


def read_settings(book: xw.Book) -> Settings:
    """The Settings sheet's values (defaults when the book has none), then the environment."""
    values: dict[str, object] = {}
    if "Settings" in sheet_names(book):
        block = book.sheets["Settings"].used_range.options(ndim=2).value or []
        values = {str(row[0]): row[1] for row in block if len(row) > 1 and row[0] is not None}
    return with_environment(from_mapping(values))


def jobs_sheet(book: xw.Book) -> BookSheet:
    """The Jobs sheet, or the active sheet of a book that has none."""
    names = sheet_names(book)
    return BookSheet(book.sheets[JOBS_SHEET] if JOBS_SHEET in names else book.sheets.active)


@contextmanager
def connected(settings: Settings, *, concurrency: int | None = None) -> Iterator[Connection]:
    """A client for the Settings' endpoint and username."""
    with connect(
        settings.endpoint,
        username=settings.username,
        timeout=settings.timeout,
        concurrency=settings.concurrency if concurrency is None else concurrency,
    ) as connection:
        yield connection


class Progress:
    """Status-bar text at most every half second: each update is a call into Excel."""

    def __init__(self, book: xw.Book, verb: str) -> None:
        self.book, self.verb, self._last = book, verb, 0.0

    def __call__(self, summary: RunSummary) -> None:
        now = time.monotonic()
        if now - self._last >= 0.5 or summary.done == summary.total:
            self._last = now
            status(
                self.book, f"{self.verb}: {summary.done} / {summary.total}, {summary.failed} failed"
            )


def log_run(book: xw.Book, endpoint: str, summary: RunSummary) -> None:
    """A line on the Log sheet, when the book has one (``app.report.log_line``)."""
    if LOG_SHEET not in sheet_names(book):
        return
    sheet = book.sheets[LOG_SHEET]
    last = sheet.used_range.last_cell.row
    sheet.range((last + 1, 1)).value = [log_line(summary, endpoint=endpoint)]


def ask_password(prompt: str) -> str | None:
    """A masked password dialog (Tk ships with Python on Windows and macOS)."""
    try:
        import tkinter
        from tkinter import simpledialog
    except ImportError:
        return None
    root = tkinter.Tk()
    root.withdraw()
    root.attributes("-topmost", True)
    try:
        return simpledialog.askstring(TITLE, prompt, show="*", parent=root)
    finally:
        root.destroy()
