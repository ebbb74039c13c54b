"""Ribbon actions with money at stake: Get Cost, and Submit Approved Jobs after a Yes/No."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import xlwings as xw

from xl_mailer.app.cost import CURRENCY_FORMAT, get_costs
from xl_mailer.app.submit import Batch, SubmitOptions, billing_type, spend_limit, submit_approved
from xl_mailer.click2mail.endpoints import PRODUCTION_URL
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.engine.joblock import claim_job
from xl_mailer.excel.book import TITLE, action, alert, connected, jobs_sheet, read_settings
from xl_mailer.excel.bookjournal import book_journal
from xl_mailer.excel.xlbook import BookSheet, quiet_excel, status


def currency(port: BookSheet, column: int | None, rows: Iterable[int]) -> None:
    """Give the Cost cells written a currency format (one call per cell: few rows)."""
    if column is None:
        return
    for row in rows:
        port.sheet.range((row, column + 1)).number_format = CURRENCY_FORMAT


def ask_yes_no(book: xw.Book) -> Callable[[str], bool]:
    """A Yes/No dialog; only Yes goes ahead (xlwings Server answers through a callback,
    not here: there it reads as No, and nothing is submitted)."""

    def ask(question: str) -> bool:
        return book.app.alert(question, title=TITLE, buttons="yes_no") == "yes"

    return ask


@action
def get_cost(book: xw.Book) -> int:
    """Write each created job's cost (not yet submitted) into Cost; the total in an alert."""
    settings, port = read_settings(book), jobs_sheet(book)
    with (
        connected(settings) as connection,
        book_journal(book, port, endpoint=settings.endpoint),  # no run interleaves
        quiet_excel(book),
    ):
        status(book, "Reading costs from Click2Mail...")
        costed = get_costs(port, Mailing(connection.client), concurrency=settings.concurrency)
        currency(port, costed.column, (row for row, _ in costed.read))
        status(book, None)
    alert(book, costed.line())
    return len(costed.read)


@action
def submit_approved_jobs(book: xw.Book, confirm: Callable[[str], bool] | None = None) -> int:
    """Submit the rows whose Submit says Yes, under the spend limit, after a Yes/No dialog
    (``confirm`` hears the question instead, in tests). Returns the jobs submitted."""
    settings, port = read_settings(book), jobs_sheet(book)
    options = SubmitOptions(
        limit=spend_limit(None, settings.spend_limit),
        billing_type=billing_type(None, settings.billing_type),
        concurrency=settings.concurrency,
    )
    ask = confirm or ask_yes_no(book)
    with (
        connected(settings) as connection,
        book_journal(book, port, endpoint=settings.endpoint),  # no run interleaves
        quiet_excel(book),
    ):
        production = connection.client.base_url == PRODUCTION_URL
        label = connection.label

        def confirmed(batch: Batch) -> bool:
            status(book, None)
            return ask(batch.prompt(label, production=production))

        status(book, "Checking and costing the approved jobs...")
        # No before_submit: the UNKNOWN mark is written into the open book, but saving it is
        # Excel's (and the user's), so after a crash during the POST the saved book does not
        # hold the mark. What protects the job then is its claim: a lock per account and job
        # (two books never submit it at once) holding the job's submit record, written to the
        # state folder before the POST, which keeps any book of this person from sending it
        # again within 5 minutes of a lost answer; and the GET /jobs/{id} just before the
        # POST, so that only a job still in Editing is sent (docs/safety.md, "Submitting").
        run = submit_approved(
            port,
            Mailing(connection.client),
            options,
            confirm=confirmed,
            claim=lambda job: claim_job(settings.endpoint, job),
        )
        currency(port, run.cost_column, run.cost_rows)
        status(book, None)
    alert(book, run.line())
    return len(run.submitted)
