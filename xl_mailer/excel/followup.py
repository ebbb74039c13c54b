"""Ribbon actions after a run: job states, reconciliation, clearing and archiving rows,
unclaimed jobs."""

from __future__ import annotations

import datetime as dt

import xlwings as xw

from xl_mailer.app.archive import archive_rows as archive
from xl_mailer.app.claims import decide
from xl_mailer.app.clear import clear_results as clear_rows
from xl_mailer.app.reconcile import reconcile_sheet, reconcile_summary
from xl_mailer.app.status import refresh_status as refresh
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.excel.book import action, alert, connected, jobs_sheet, read_settings
from xl_mailer.excel.bookjournal import book_journal
from xl_mailer.excel.unclaimed_sheet import (
    UNCLAIMED_SHEET,
    list_unclaimed,
    read_decisions,
    unclaimed_sheet,
)
from xl_mailer.excel.xlbook import quiet_excel


@action
def refresh_status(book: xw.Book) -> int:
    """Look up each job's current state at Click2Mail: Job Status, Tracking once mailed."""
    settings, port = read_settings(book), jobs_sheet(book)
    with connected(settings) as connection, quiet_excel(book):
        run = refresh(port, Mailing(connection.client), concurrency=settings.concurrency)
    alert(book, run.line())
    return len(run.jobs)


@action
def reconcile(book: xw.Book) -> int:
    """Look UNKNOWN rows up at Click2Mail: fill in their job ids, or mark them safe to send."""
    settings, port = read_settings(book), jobs_sheet(book)
    with (
        connected(settings, concurrency=1) as connection,
        book_journal(book, port, endpoint=settings.endpoint) as journal,
        quiet_excel(book),
    ):
        settled = reconcile_sheet(port, connection.client.find_jobs, journal=journal)
    alert(book, reconcile_summary(settled) + "." if settled else "No row awaits reconciliation.")
    return len(settled)


@action
def clear_results(book: xw.Book) -> int:
    """Clear the results of rows that have no job, so they can be fixed and sent again
    (rows with a Job ID, or whose outcome is UNKNOWN, are kept)."""
    port, endpoint = jobs_sheet(book), read_settings(book).endpoint
    with book_journal(book, port, endpoint=endpoint), quiet_excel(book):  # no run interleaves
        cleared = clear_rows(port)
    alert(book, cleared.line())
    return len(cleared.rows)


@action
def unclaimed_jobs(book: xw.Book) -> int:
    """List the jobs the journal holds that no row claims on their own sheet, after carrying
    out the decisions typed there. Returns how many are still unclaimed."""
    port = jobs_sheet(book)
    with book_journal(book, port, endpoint=read_settings(book).endpoint) as journal:
        if journal is None:
            alert(book, "Save the workbook as a file first: its journal is kept by file.")
            return 0
        sheet = unclaimed_sheet(book)
        listed, attach, release = read_decisions(sheet)
        why = "released on the ribbon"
        done = decide(port, journal, attach_to=attach, release_names=release, why=why)
        list_unclaimed(sheet, done.left, before=len(listed))
    told = f"Attached {len(attach)}, released {len(release)}. " if attach or release else ""
    alert(
        book,
        told
        + (
            f"{len(done.left)} job(s) that no row claims are listed on the '{UNCLAIMED_SHEET}'"
            " sheet. In Decision, type the row each belongs to, or 'release' if it is not this"
            " workbook's to track; then press Unclaimed Jobs again."
            if done.left
            else "No unclaimed jobs: every job the journal holds is in its row."
        ),
    )
    return len(done.left)


@action
def archive_rows(book: xw.Book) -> int:
    """Move every row with a Job ID to the History sheet, stamped with today's date."""
    port, endpoint = jobs_sheet(book), read_settings(book).endpoint
    with book_journal(book, port, endpoint=endpoint), quiet_excel(book):  # no run interleaves
        archived = archive(port, today=dt.date.today())
    alert(book, archived.line() + (" Save the workbook to keep it so." if archived.rows else ""))
    return len(archived.rows)
