"""``xl-mailer run``: validate a workbook's rows, or create their jobs and save the results."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TextIO

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xl_mailer.app.create import RunOptions, SheetRun, create_jobs
from xl_mailer.app.report import LOG_SHEET, LogValue, log_line
from xl_mailer.app.validate import validate
from xl_mailer.click2mail.connection import connect, endpoint_name
from xl_mailer.core.catalog import Catalog, default_catalog
from xl_mailer.core.sheet import placement
from xl_mailer.engine.bookid import real_path
from xl_mailer.headless.args import EXIT_OK, EXIT_ROWS_FAILED, EXIT_STOPPED
from xl_mailer.headless.console import (
    RowLines,
    finish,
    first_ctrl_c_cancels,
    interrupted_text,
    progress_bar,
)
from xl_mailer.headless.heldfile import check_output, held_workbook
from xl_mailer.headless.uploads import prepare_rows
from xl_mailer.headless.xlsx import open_sheet


def load_catalog(path: Path | None, *, check: bool) -> Catalog | None:
    if not check:
        return None
    catalog = default_catalog()
    return catalog.merged(Catalog.load(path)) if path else catalog


def run_workbook(args: argparse.Namespace, out: TextIO) -> int:
    catalog = load_catalog(args.catalog, check=not args.no_catalog_check)
    lines = RowLines(out, quiet=args.quiet)
    if args.validate_only:
        port = open_sheet(real_path(args.workbook), sheet=args.sheet, write=False)
        checked = validate(port, catalog, on_result=lines)
        lines.print()
        return finish(checked, out, where=None, quiet=args.quiet, validate_only=True)
    if args.output is not None:
        check_output(args.output)
    again = f"'xl-mailer run {args.output}'" if args.output is not None else "the same command"
    options = RunOptions(catalog=catalog, concurrency=args.concurrency)
    name = endpoint_name(args.endpoint)
    cancel = threading.Event()
    held_back = 0
    try:
        with (
            held_workbook(
                args.workbook, sheet=args.sheet, endpoint=args.endpoint, output=args.output
            ) as held,
            connect(name, timeout=args.timeout, concurrency=args.concurrency) as connection,
        ):
            where = connection.client.base_url
            label = connection.label
            print(f"Endpoint: {label if label == where else f'{label} ({where})'}", file=out)
            progress = progress_bar()
            run: SheetRun | None = None
            try:
                with first_ctrl_c_cancels(cancel, out):
                    ready, held_back = prepare_rows(held.port, connection.client, options, out)
                    run = create_jobs(
                        held.port,
                        connection.client,
                        ready,
                        journal=held.journal,
                        before_send=held.before_send,
                        progress=progress.update if progress else None,
                        on_result=lines,
                        cancel=cancel,
                    )
            finally:
                if progress:
                    progress.close()
                if run is not None and (run.results or run.recovered):
                    write_log_line(held.port.book, log_line(run.summary, endpoint=label))
                held.save_run(run)
            held.settle_run(run)
    except KeyboardInterrupt:  # a second Ctrl-C, or one outside the sending: stopped at once
        lines.print()
        text = interrupted_text(
            lines.results,
            again=again,
            workbook=str(args.output or args.workbook),
            second=cancel.is_set(),
        )
        print(f"xl-mailer: {text}", file=sys.stderr)
        return EXIT_STOPPED
    except Exception:  # the rows answered still show, above why the run stopped
        lines.print()
        raise
    placed = placement(run.layout) if run.results or run.recovered else None
    if placed is not None and not args.quiet:
        print(placed, file=out)
    lines.print()
    for row, result in run.recovered:
        print(f"row {row:>5}: recovered from the journal: {result.description}", file=out)
    stopped_by_cancel = (
        cancel.is_set()
        and run.summary.stopped is not None
        and not (run.summary.authentication_failed or run.summary.crashed)
    )
    code = finish(
        run,
        out,
        where=held.port.target,
        quiet=args.quiet,
        cancelled=stopped_by_cancel,
        again=again,
    )
    return EXIT_ROWS_FAILED if held_back and code == EXIT_OK else code


def write_log_line(book: Workbook, line: list[LogValue]) -> None:
    """Add a run's line (``app.report``) below the last line of the Log sheet, when the
    workbook has one; it reaches the file with the run's results."""
    if LOG_SHEET not in book.sheetnames:
        return
    sheet = book[LOG_SHEET]
    if not isinstance(sheet, Worksheet):
        return
    last = 0
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if any(value not in (None, "") for value in values):
            last = number
    for column, value in enumerate(line, start=1):
        cell = sheet.cell(row=last + 1, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # a name or an address is never a formula
