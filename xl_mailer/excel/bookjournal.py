"""The journal of a book open in Excel: held under the file's run lock for a whole ribbon
action, told what the file as last saved holds, and kept small by forgetting it.

Excel saves the book, not xl-mailer, so unlike the headless run's journal this
one outlives each run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import xlwings as xw

from xl_mailer.app.archive import HISTORY_SHEET, NOTHING_ARCHIVED, HistoryClaims, history_claims
from xl_mailer.app.create import SheetRun
from xl_mailer.core.errors import WorkbookError
from xl_mailer.core.keys import is_key
from xl_mailer.core.models import KEY_HEADER
from xl_mailer.core.sheet import find_layout
from xl_mailer.engine.bookid import file_digest, file_identity, file_note
from xl_mailer.engine.journal import Journal, RunLock
from xl_mailer.engine.workbooks import (
    BookState,
    book_state,
    forget_settled,
    is_mine,
    keys_in,
    mark_finished,
    mark_unfinished,
    refuse_others_note,
    refuse_others_unfinished,
)
from xl_mailer.excel.xlbook import (
    BookSheet,
    book_identity,
    book_note,
    clear_book_note,
    set_book_identity,
)
from xl_mailer.headless.xlsx import cached_values


@contextlib.contextmanager
def book_journal(
    book: xw.Book, port: BookSheet, *, endpoint: str, sending: bool = False
) -> Iterator[Journal | None]:
    """The journal of the book (None when the book is no file on this machine), under the
    file's run lock and the workbook identity's lock for the whole action, and closed
    afterwards. ``endpoint`` names the Click2Mail account (each has a journal of its own).

    The journal follows the book's identity (a hidden name in the book, given to it
    here if it has none). Before anything is sent (``sending``) the file must carry
    it, so that a renamed or moved file keeps its journal even after Excel crashed:
    a new book is asked to be saved once first. Excel saves the book, not xl-mailer,
    so the journal outlives each run; here it learns what the file as last saved
    holds (``_learn_saved``). Raises WorkbookError.
    """
    try:
        path = Path(book.fullname)
    except (AttributeError, NotImplementedError):
        path = None
    if path is None or not (path.is_absolute() and path.exists()):
        yield None
        return
    with RunLock(path):  # another window's run, or a compaction, must not interleave
        for note in (book_note(book), file_note(path)):  # a command line run's, or a copy's
            refuse_others_note(path, note)
        refuse_others_unfinished(path, lambda: keys_in(cached_values(path, port.name)))
        on_file = file_identity(path)
        carried = book_identity(book) or on_file
        with book_state(path, carried=carried, endpoint=endpoint) as state:
            set_book_identity(book, state.identity)
            if sending and on_file != state.identity:
                raise WorkbookError(
                    path.name,
                    "is new to xl-mailer and now carries its identity (a hidden name), which"
                    " keeps its journal with it if the file is renamed or moved. Save the"
                    " workbook (Ctrl+S), then press Create Jobs again. Nothing was sent",
                )
            if _learn_saved(state, port):
                mark_finished(path)  # the file as saved holds every id the journal knows
                if is_mine(book_note(book)):
                    clear_book_note(book)  # a killed command line run's: gone with the next save
            if sending:
                mark_unfinished(path)  # until a save holds this run's ids too
            yield state.journal


def _learn_saved(state: BookState, port: BookSheet) -> bool:
    """Note which request keys the file as last saved holds (their rows are matched by key
    only from now on), and forget the entries it holds: each leaves a settled record, so
    that a window opened before the save holds those rows back rather than mailing them
    again. Returns whether the saved file holds every job the journal knows of."""
    try:
        saved = cached_values(state.path, port.name)
        layout = find_layout(saved, sheet=port.name)
    except Exception:  # the saved file cannot be read now: learn nothing, keep everything
        return False
    column = layout.results[KEY_HEADER]
    cells = [line[column] for line in saved[layout.first_data_row :] if column < len(line)]
    keys = {cell for cell in cells if isinstance(cell, str) and is_key(cell)}
    archived = _saved_history(state.path)
    keys |= archived.keys
    journal = state.journal
    new = keys - journal.saved_keys()
    if new:
        journal.note_saved(state.path, file_digest(state.path), new)
    if journal.path.exists():
        with contextlib.suppress(Exception):  # cannot be rewritten now: keep it whole
            forget_settled(
                journal, port.name, [saved], held_in=state.path, archived_ids=archived.ids
            )
    known = journal.saved_keys()
    return all(e.key in known for e in journal.entries() if e.may_have_made_a_job)


def _saved_history(path: Path) -> HistoryClaims:
    """What the History sheet of the file as saved holds (nothing, when it has none)."""
    try:
        return history_claims(cached_values(path, HISTORY_SHEET))
    except KeyError:
        return NOTHING_ARCHIVED


def held_until_saved(journal: Journal | None, run: SheetRun) -> None:
    """After a run in Excel: another person's run of the file waits until a save of this
    book holds what this one sent (Excel saves the book, not xl-mailer)."""
    if journal is not None and journal.here:
        sent = run.results + run.recovered
        mark_unfinished(Path(journal.here), {r.request_key for _, r in sent if r.request_key})
