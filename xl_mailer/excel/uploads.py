"""Ribbon action Upload Documents and Lists, and the step Create Jobs takes first for rows
that name their document or address list."""

from __future__ import annotations

import dataclasses

import xlwings as xw

from xl_mailer.app.addresses import WaitProgress, create_lists, lists_line
from xl_mailer.app.create import RunOptions
from xl_mailer.app.documents import documents_line, upload_documents
from xl_mailer.app.mailing import prepare
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.click2mail.readings import AddressListStatus
from xl_mailer.excel.book import action, alert, connected, jobs_sheet, read_settings
from xl_mailer.excel.bookjournal import book_journal
from xl_mailer.excel.xlbook import BookSheet, quiet_excel, status


def list_progress(book: xw.Book) -> WaitProgress:
    """The status bar says which list is waited for, its status and for how long."""

    def heard(name: str, listed: AddressListStatus, waited: float) -> None:
        status(book, f"Address list {name!r}: {listed.name}, waited {waited:.0f} s")

    return heard


def prepare_rows(
    book: xw.Book, port: BookSheet, client: Click2MailClient, options: RunOptions
) -> RunOptions:
    """Upload what the rows name (``app.mailing.prepare``); the options, less the rows held
    back for a document or list without an id."""
    status(book, "Uploading the documents and address lists the rows name")
    ready = prepare(port, Mailing(client), rows=options.rows, progress=list_progress(book))
    return dataclasses.replace(options, rows=ready.rows(options.rows))


SAVE_TO_KEEP = (
    "Save the workbook now to keep these ids: Excel saves it, not xl-mailer. If it closes"
    " unsaved, uploading again makes a second copy at Click2Mail."
)


@action
def upload_documents_and_lists(book: xw.Book) -> int:
    """Upload each Documents row and create each Address Lists row's list that has no id
    yet, waiting for the lists to be ready, one action at a time per workbook file (its
    run lock). Returns how many calls were sent."""
    settings, port = read_settings(book), jobs_sheet(book)
    with (
        connected(settings) as connection,
        book_journal(book, port, endpoint=settings.endpoint),  # no other action interleaves
        quiet_excel(book),
    ):
        mailing = Mailing(connection.client)
        status(book, "Uploading documents")
        documents = upload_documents(port, mailing, create=True)
        lists = create_lists(port, mailing, create=True, progress=list_progress(book))
    status(book, None)
    sent = len(documents.sent) + len(lists.sent)
    text = f"{documents_line(documents)}\n{lists_line(lists)}"
    alert(book, f"{text}\n{SAVE_TO_KEEP}" if sent else text)
    return sent
