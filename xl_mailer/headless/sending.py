"""``xl-mailer run``: validate a workbook's rows, or create their jobs and save the results."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import TextIO

from xl_mailer.app.create import RunOptions, SheetRun, create_jobs
from xl_mailer.app.validate import validate
from xl_mailer.click2mail.connection import connect, endpoint_name
from xl_mailer.core.catalog import Catalog, default_catalog
from xl_mailer.engine.bookid import real_path
from xl_mailer.headless.console import finish, first_ctrl_c_cancels, progress_bar, row_printer
from xl_mailer.headless.heldfile import check_output, held_workbook
from xl_mailer.headless.xlsx import open_sheet


def load_catalog(path: Path | None, *, check: bool) -> Catalog | None:
    if not check:
        return None
    catalog = default_catalog()
    return catalog.merged(Catalog.load(path)) if path else catalog


def run_workbook(args: argparse.Namespace, out: TextIO) -> int:
    catalog = load_catalog(args.catalog, check=not args.no_catalog_check)
    show = row_printer(out, quiet=args.quiet)
    if args.validate_only:
        port = open_sheet(real_path(args.workbook), sheet=args.sheet, write=False)
        return finish(validate(port, catalog, on_result=show), out, where=None)
    if args.output is not None:
        check_output(args.output)
    options = RunOptions(catalog=catalog, concurrency=args.concurrency)
    name = endpoint_name(args.endpoint)
    with (
        held_workbook(
            args.workbook, sheet=args.sheet, endpoint=args.endpoint, output=args.output
        ) as held,
        connect(name, timeout=args.timeout, concurrency=args.concurrency) as connection,
    ):
        where = connection.client.base_url
        label = connection.label if connection.label == where else f"{connection.label} ({where})"
        print(f"Endpoint: {label}", file=out)
        progress, cancel = progress_bar(), threading.Event()
        run: SheetRun | None = None
        try:
            with first_ctrl_c_cancels(cancel, out):
                run = create_jobs(
                    held.port,
                    connection.client,
                    options,
                    journal=held.journal,
                    before_send=held.before_send,
                    progress=progress.update if progress else None,
                    on_result=show,
                    cancel=cancel,
                )
        finally:
            if progress:
                progress.close()
            held.save_run(run)
        held.settle_run(run)
    for row, result in run.recovered:
        print(f"row {row:>5}: recovered from the journal: {result.description}", file=out)
    return finish(run, out, where=held.port.target)
