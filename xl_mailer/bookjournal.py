"""The journal of a book open in Excel: held under the file's run lock for a whole ribbon
action, and kept small by forgetting what the saved file and the open book both hold.

Excel saves the book, not xl-mailer, so unlike the headless run's journal this
one outlives each run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import xlwings as xw

from .journal import Journal, RunLock
from .workbooks import BookState, book_state, forget_settled
from .xlbook import BookSheet, book_identity, set_book_identity
from .xlsx import cached_values


@contextlib.contextmanager
def book_journal(book: xw.Book, port: BookSheet) -> Iterator[Journal | None]:
    """The journal of the book (None when the book is no file on this machine), under the
    file's run lock and the workbook identity's lock for the whole action, and closed
    afterwards.

    The journal follows the book's identity (a hidden name in the book, given to it
    here if it has none), so a renamed or moved file keeps it. Excel saves the book,
    not xl-mailer, so the journal outlives each run. Here it first forgets what the
    file as last saved and the open book both hold (``_forget_saved``), which keeps
    it small.
    """
    try:
        path = Path(book.fullname)
    except (AttributeError, NotImplementedError):
        path = None
    if path is None or not (path.is_absolute() and path.exists()):
        yield None
        return
    carried = book_identity(book)
    with RunLock(path), book_state(path, carried=carried) as state:
        set_book_identity(book, state.identity)
        if state.journal.path.exists():
            _forget_saved(state, port)
        yield state.journal


def _forget_saved(state: BookState, port: BookSheet) -> None:
    """Drop the journal's entries that the file as last saved and the open book both hold
    (``settled_keys`` of each). An id only some of them
    show stays: a window opened before the save lacks it (the run puts it back), and rows
    deleted since stop the run, naming the jobs, rather than risk mailing them twice."""
    try:
        copies = [cached_values(state.path, port.name), port.values()]
        forget_settled(state.journal, port.name, copies, held_in=state.path)
    except Exception:  # a copy cannot be read now, or the journal rewritten: keep everything
        return
