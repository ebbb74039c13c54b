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

from .jobs import settled_keys
from .journal import Journal, RunLock, journal_path
from .sheet import find_layout
from .xlbook import BookSheet
from .xlsx import cached_values


@contextlib.contextmanager
def book_journal(book: xw.Book, port: BookSheet) -> Iterator[Journal | None]:
    """The journal beside the book's file (None when the book is no file on this machine),
    under the file's run lock for the whole action, and closed afterwards.

    Excel saves the book, not xl-mailer, so the journal outlives each run. Here it
    first forgets what the file as last saved and the open book both hold
    (``_forget_saved``), which keeps it small.
    """
    try:
        path = Path(book.fullname)
    except (AttributeError, NotImplementedError):
        path = None
    if path is None or not (path.is_absolute() and path.exists()):
        yield None
        return
    with RunLock(path):  # another window's run, or a compaction, must not interleave
        journal = Journal(journal_path(path))
        try:
            if journal.path.exists():
                _forget_saved(journal, path, port)
            yield journal
        finally:
            journal.close()


def _forget_saved(journal: Journal, path: Path, port: BookSheet) -> None:
    """Drop the journal's entries that both the file as last saved and the open book hold
    (``settled_keys`` of each). An id only one of them shows stays: a window opened before
    the save lacks it (the run puts it back), and rows deleted since stop the run, naming
    the jobs, rather than risk mailing them twice."""
    try:
        saved = cached_values(path, port.name)
        saved_layout = find_layout(saved, sheet=port.name)
        current = port.values()
        layout = find_layout(current, sheet=port.name)
    except Exception:  # the saved file or the sheet cannot be read now: keep everything
        return
    entries = journal.entries()
    settled = settled_keys(entries, saved, saved_layout) & settled_keys(entries, current, layout)
    with contextlib.suppress(OSError):  # the journal cannot be rewritten now: keep it whole
        journal.compact(settled)
