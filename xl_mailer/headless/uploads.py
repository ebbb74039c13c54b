"""``xl-mailer upload``: upload the Documents sheet's documents and create the Address Lists
sheet's lists; and the step ``xl-mailer run`` takes first for rows that name them."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import TextIO

from xl_mailer.app.addresses import ListWait, WaitProgress, create_lists, lists_line
from xl_mailer.app.create import RunOptions
from xl_mailer.app.documents import Named, documents_line, upload_documents
from xl_mailer.app.mailing import prepare
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.connection import connect, endpoint_name
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.click2mail.readings import AddressListStatus
from xl_mailer.headless.args import EXIT_OK, EXIT_ROWS_FAILED
from xl_mailer.headless.heldfile import held_workbook
from xl_mailer.headless.xlsx import FileSheet


def list_progress(out: TextIO) -> WaitProgress:
    """A line each time a list's status changes while it is waited for."""
    last: dict[str, str] = {}

    def heard(name: str, status: AddressListStatus, waited: float) -> None:
        if last.get(name) != status.name:
            last[name] = status.name
            print(f"address list {name!r}: {status.name} ({waited:.0f} s)", file=out)

    return heard


def prepare_rows(
    port: FileSheet, client: Click2MailClient, options: RunOptions, out: TextIO
) -> tuple[RunOptions, int]:
    """Upload what the rows name (``app.mailing.prepare``), the file saved before and after
    each upload; the options, less the rows held back for a document or list without an id,
    and how many were held back."""
    ready = prepare(
        port, Mailing(client), rows=options.rows, progress=list_progress(out), save=saver(port)
    )
    line = ready.line()
    if line is not None:
        print(line, file=out)
    return dataclasses.replace(options, rows=ready.rows(options.rows)), len(ready.held)


def saver(port: FileSheet) -> Callable[[], None]:
    """Saves the file now, before an upload leaves and after its answer: a kill at any point
    (SIGKILL, a closed terminal) leaves every row marked or answered on disk."""
    return lambda: port.save(force=True)


def upload_workbook(args: argparse.Namespace, out: TextIO) -> int:
    """Upload every document and create every list that has no id yet, the file saved
    before and after each upload (``saver``), and once more at the end."""
    wait = ListWait(timeout=args.wait, poll=args.poll)
    with (
        held_workbook(args.workbook, sheet=args.sheet, endpoint=args.endpoint, note=False) as held,
        connect(endpoint_name(args.endpoint), timeout=args.timeout) as connection,
    ):
        mailing = Mailing(connection.client)
        try:
            save = saver(held.port)
            documents = upload_documents(held.port, mailing, create=True, save=save)
            print(documents_line(documents), file=out)
            lists = create_lists(
                held.port,
                mailing,
                create=True,
                wait=wait,
                progress=list_progress(out),
                save=save,
            )
            print(lists_line(lists), file=out)
        finally:
            held.port.save()
    return EXIT_ROWS_FAILED if _left(documents) or _left(lists) else EXIT_OK


def _left(done: Named) -> bool:
    """Something was refused, is UNKNOWN or is not ready."""
    return bool(done.refused) or done.not_sent > 0
