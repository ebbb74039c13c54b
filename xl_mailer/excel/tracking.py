"""Ribbon actions that look at a job after it was made: its proof."""

from __future__ import annotations

import xlwings as xw

from xl_mailer.app.proofs import get_proofs as proofs
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.excel.book import action, alert, connected, jobs_sheet, read_settings
from xl_mailer.excel.xlbook import quiet_excel


@action
def get_proofs(book: xw.Book) -> int:
    """Save a proof PDF of each job in ``<workbook name> proofs`` beside the workbook, linked
    from the row's Proof cell. Returns how many were saved."""
    settings, port = read_settings(book), jobs_sheet(book)
    with connected(settings) as connection, quiet_excel(book):
        run = proofs(port, Mailing(connection.client), concurrency=settings.concurrency)
    alert(book, run.line())
    return len(run.saved)
