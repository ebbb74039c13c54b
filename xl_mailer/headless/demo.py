"""``xl-mailer demo``: a sample workbook, the embedded sandbox, one run, the results table."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import TextIO

from openpyxl import Workbook
from openpyxl.styles import Font

from xl_mailer.core.models import REQUIRED_PARAMS, RESULT_HEADERS
from xl_mailer.engine.bookid import STATE_ENV
from xl_mailer.headless.args import EXIT_OK, EXIT_STOPPED, build_parser
from xl_mailer.headless.sending import run_workbook
from xl_mailer.sandbox import Sandbox, SandboxConfig

DEMO_HEADERS = (*REQUIRED_PARAMS, "rtnName", "projectId", "mailingDate")

LETTER = (
    "Letter 8.5 x 11",
    "Address on Separate Page",
    "Next Day",
    "#10 Double Window",
    "Black and White",
    "White 24#",
    "Printing One side",
)
POSTCARD = (
    "Postcard 4.25 x 6",
    "Double Sided Postcard",
    "Next Day",
    None,
    "Full Color",
    "White Matte",
    "Printing both sides",
)
CERTIFIED = (
    "Certified Letter 8.5 x 11",
    "Address on Separate Page",
    "Next Day",
    "Certified Mail Letter Envelope",
    "Black and White",
    "White 24#",
    "Printing One side",
)
BROCHURE = (
    "Brochure 11 x 8.5",
    "Self Mailer",
    "Week 1",
    None,
    "Full Color",
    "100# White Gloss",
    "Printing both sides",
)


def demo_rows(today: dt.date) -> list[tuple[object, ...]]:
    """About a dozen rows: several valid, one invalid, several the sandbox refuses as documented."""
    week = dt.datetime.combine(today + dt.timedelta(days=7), dt.time())
    past = dt.datetime.combine(today - dt.timedelta(days=3), dt.time())
    return [
        (*LETTER, 1001, 2001, None, None, None),
        (*POSTCARD, 1002, 2001, None, None, None),
        (*CERTIFIED, 1003.0, 2003.0, "Acme Billing", None, None),
        (*LETTER[:1], "Adress on Separate Page", *LETTER[2:], 1001, 2001, None, None, None),
        (*LETTER, 9999, 2001, None, None, None),
        (*LETTER, 1001, 2999, None, None, None),
        (*POSTCARD, 1002, 2002, None, None, None),
        (*BROCHURE, 1002, 2001, None, None, None),
        (*LETTER, 1001, 2001, None, None, past),
        (*CERTIFIED, 1003, 2003, None, None, None),
        (*LETTER, 1001, 2001, None, 3999, None),
        (*LETTER[:4], "Full Color", *LETTER[5:], 1001, 2003, "Acme Billing", 3001, week),
    ]


def write_demo_workbook(path: Path, *, today: dt.date | None = None) -> Path:
    """Write the sample workbook: a title row, a blank row, the header, the rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Jobs"
    sheet["A1"] = "xl-mailer demo: one Click2Mail job per row"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append([*DEMO_HEADERS, *RESULT_HEADERS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in demo_rows(today or dt.date.today()):
        sheet.append(list(row))
    for column in range(12, 13):
        for cells in sheet.iter_cols(min_col=column, max_col=column, min_row=4):
            for cell in cells:
                cell.number_format = "yyyy-mm-dd"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def run_demo(folder: Path, out: TextIO) -> int:
    """Write the sample, run it against a fresh sandbox and print the table; 0 when it worked."""
    path = write_demo_workbook(folder / "demo-jobs.xlsx")
    print(f"Sample workbook: {path}", file=out)
    # a new sample against a new sandbox each time: a journal of its own, so that rows of an
    # earlier demo (whose sandbox and jobs are gone) are not held back as already mailed
    with tempfile.TemporaryDirectory(prefix="xl-mailer-demo-") as state:
        previous = os.environ.get(STATE_ENV)
        os.environ[STATE_ENV] = state
        try:
            args = build_parser().parse_args(["run", str(path), "--endpoint", "sandbox", "--quiet"])
            code = run_workbook(args, out)
        finally:
            if previous is None:
                os.environ.pop(STATE_ENV, None)
            else:
                os.environ[STATE_ENV] = previous
    if code == EXIT_STOPPED:
        return code
    print_table(path, out)
    print(f"\nOpen {path.resolve()} to see the results next to each row.", file=out)
    return 0


def print_table(path: Path, out: TextIO) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        rows = list(book["Jobs"].iter_rows(min_row=3, values_only=True))
    finally:
        book.close()
    header = list(rows[0])
    wanted = [
        header.index(name) for name in ("documentClass", "documentId", "addressId", *RESULT_HEADERS)
    ]
    table = [[_show(row[i]) for i in wanted] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(wanted))]
    widths[-1] = 0  # the description runs to the end of the line
    print("", file=out)
    for n, line in enumerate(table):
        text = "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
        print(text.rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * (w or 11) for w in widths), file=out)


def _show(value: object) -> str:
    return "" if value is None else str(value)


def serve_sandbox(args: argparse.Namespace, out: TextIO) -> int:
    config = SandboxConfig(latency=args.latency, fault=args.fault, fault_every=args.fault_every)
    sandbox = Sandbox(config, port=args.port, verbose=True)
    print(f"Click2Mail sandbox at {sandbox.url}", file=out)
    print(f"Username: {config.username}  Password: {config.password}  (practice account)", file=out)
    print(
        f"Try: C2M_ENDPOINT={sandbox.url} C2M_USERNAME={config.username}"
        f" C2M_PASSWORD={config.password} xl-mailer run WORKBOOK",
        file=out,
    )
    print("Press Ctrl-C to stop.", file=out, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sandbox.serve_forever()
    return EXIT_OK
