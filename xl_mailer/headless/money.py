"""``xl-mailer cost`` and ``xl-mailer submit``: what the jobs will charge, and submitting the
approved ones under a spend limit, after a question unless ``--yes``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TextIO

from openpyxl.worksheet.worksheet import Worksheet

from xl_mailer.app.cost import CURRENCY_FORMAT, get_costs
from xl_mailer.app.submit import (
    Batch,
    SubmitOptions,
    SubmitRun,
    billing_type,
    spend_limit,
    submit_approved,
)
from xl_mailer.click2mail.connection import Connection, connect, endpoint_name
from xl_mailer.click2mail.endpoints import PRODUCTION_URL
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.click2mail.settings import Settings, from_mapping
from xl_mailer.engine.joblock import claim_job
from xl_mailer.headless.args import EXIT_OK, EXIT_ROWS_FAILED, EXIT_STOPPED
from xl_mailer.headless.heldfile import held_workbook
from xl_mailer.headless.xlsx import FileSheet

SETTINGS_SHEET = "Settings"
MONEY_SETTINGS = ("spend limit", "billing type")


def money_settings(port: FileSheet) -> Settings:
    """The Settings sheet's Spend Limit and Billing Type (the command line names the
    endpoint and the rest)."""
    book = port.book
    if SETTINGS_SHEET not in book.sheetnames or not isinstance(
        sheet := book[SETTINGS_SHEET], Worksheet
    ):
        return Settings()
    values = {
        str(line[0]).strip(): line[1]
        for line in sheet.iter_rows(max_col=2, values_only=True)
        if line[0] is not None and str(line[0]).strip().lower() in MONEY_SETTINGS
    }
    return from_mapping(values)


def currency(port: FileSheet, column: int | None, rows: Iterable[int]) -> None:
    """Give the Cost cells written a currency format."""
    if column is None:
        return
    for row in rows:
        port.sheet.cell(row=row, column=column + 1).number_format = CURRENCY_FORMAT


def where(connection: Connection) -> str:
    label, url = connection.label, connection.client.base_url
    return label if label == url else f"{label} ({url})"


def cost_workbook(args: argparse.Namespace, out: TextIO) -> int:
    with (
        held_workbook(args.workbook, sheet=args.sheet, endpoint=args.endpoint, note=False) as held,
        connect(
            endpoint_name(args.endpoint), timeout=args.timeout, concurrency=args.concurrency
        ) as connection,
    ):
        print(f"Endpoint: {where(connection)}", file=out)
        costed = get_costs(held.port, Mailing(connection.client), concurrency=args.concurrency)
        currency(held.port, costed.column, (row for row, _ in costed.read))
        held.port.save()
    for row, amount in costed.read:
        print(f"row {row:>5}: ${amount:,.2f}", file=out)
    for row, why in costed.failed:
        print(f"row {row:>5}: cost not read: {why}", file=out)
    print(costed.line(), file=out)
    return EXIT_ROWS_FAILED if costed.failed else EXIT_OK


def ask(question: str, out: TextIO) -> bool:
    """The question on the terminal; only y or yes goes ahead (end of input: no)."""
    print(f"{question} [y/N] ", end="", file=out, flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def submit_workbook(args: argparse.Namespace, out: TextIO) -> int:
    with held_workbook(args.workbook, sheet=args.sheet, endpoint=args.endpoint, note=False) as held:
        settings = money_settings(held.port)
        limit = spend_limit(args.limit, settings.spend_limit)  # refused before connecting
        options = SubmitOptions(
            limit=limit,
            billing_type=billing_type(args.billing_type, settings.billing_type),
            concurrency=args.concurrency,
        )
        with connect(
            endpoint_name(args.endpoint), timeout=args.timeout, concurrency=args.concurrency
        ) as connection:
            shown = where(connection)
            production = connection.client.base_url == PRODUCTION_URL
            print(f"Endpoint: {shown}", file=out)

            def confirm(batch: Batch) -> bool:
                question = batch.prompt(shown, production=production)
                if args.yes:
                    print(question.replace("?", ": yes (--yes)", 1), file=out)
                    return True
                return ask(question, out)

            run: SubmitRun | None = None
            try:
                run = submit_approved(
                    held.port,
                    Mailing(connection.client),
                    options,
                    confirm=confirm,
                    before_submit=lambda: held.port.save(force=True),
                    claim=lambda job: claim_job(args.endpoint, job),
                )
            finally:
                if run is not None:
                    currency(held.port, run.cost_column, run.cost_rows)
                held.port.save()
    print(run.line(), file=out)
    if run.stopped:
        return EXIT_STOPPED
    return EXIT_ROWS_FAILED if run.problems else EXIT_OK
