"""Ribbon actions that send: validate the rows, create their jobs (all, or the selected)."""

from __future__ import annotations

import re

import xlwings as xw

from xl_mailer.app.create import RunOptions
from xl_mailer.app.create import create_jobs as create
from xl_mailer.app.report import totals
from xl_mailer.app.validate import validate
from xl_mailer.core.catalog import default_catalog
from xl_mailer.engine.runner import RunSummary
from xl_mailer.excel.book import (
    Progress,
    action,
    alert,
    connected,
    jobs_sheet,
    log_run,
    read_settings,
)
from xl_mailer.excel.bookjournal import book_journal, held_until_saved
from xl_mailer.excel.uploads import prepare_rows
from xl_mailer.excel.xlbook import quiet_excel, status


@action
def validate_rows(book: xw.Book) -> RunSummary:
    """Check every row and write what is wrong in its Description; send nothing."""
    checked = validate(jobs_sheet(book), default_catalog())
    summary = checked.summary
    fix = " Rows marked 'Not sent' need fixing." if summary.failed else ""
    alert(book, f"Validation: {totals(summary, checked.results, validate_only=True)}.{fix}")
    return summary


def _create(book: xw.Book, rows: list[int] | None) -> RunSummary:
    settings, port = read_settings(book), jobs_sheet(book)
    options = RunOptions(catalog=default_catalog(), concurrency=settings.concurrency, rows=rows)
    with (
        connected(settings) as connection,
        book_journal(book, port, endpoint=settings.endpoint, sending=True) as journal,
    ):
        with quiet_excel(book):
            options = prepare_rows(book, port, connection.client, options)
            progress = Progress(book, "Creating jobs")
            run = create(port, connection.client, options, journal=journal, progress=progress)
        held_until_saved(journal, run)
    status(book, None)
    log_run(book, connection.label, run.summary)
    summary = run.summary
    stopped = f"\n\nStopped: {summary.stopped}" if summary.stopped else ""
    alert(book, f"{summary.line()} in {summary.seconds:.1f} s.{stopped}")
    return summary


@action
def create_jobs(book: xw.Book) -> RunSummary:
    """Create one Click2Mail job per row that has no Job ID yet."""
    return _create(book, rows=None)


@action
def create_selected_jobs(book: xw.Book) -> RunSummary | None:
    """Create jobs only for the rows that are selected."""
    if book.sheets.active.name != jobs_sheet(book).name:
        alert(book, f"Select the rows to send on the {jobs_sheet(book).name} sheet first.")
        return None
    selection = book.selection
    rows = selected_rows(selection.address if selection is not None else None)
    if not rows:
        alert(book, "Select the rows to send first (any cell of each row).")
        return None
    return _create(book, rows=sorted(rows))


def selected_rows(address: str | None) -> set[int]:
    """Row numbers covered by an address such as ``$A$5:$C$7,$B$9`` or ``5:7``."""
    rows: set[int] = set()
    for area in (address or "").replace("$", "").split(","):
        numbers = [int(n) for n in re.findall(r"\d+", area.rpartition("!")[2])]
        if len(numbers) == 1:
            rows.add(numbers[0])
        elif len(numbers) == 2:
            rows.update(range(min(numbers), max(numbers) + 1))
    return rows
