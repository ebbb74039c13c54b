"""``xl-mailer demo``: a sample workbook, the embedded sandbox, the whole mailing (upload,
create, cost, submit, status, proofs), the results table."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from openpyxl import Workbook
from openpyxl.styles import Font

from xl_mailer.core.models import REQUIRED_PARAMS, RESULT_HEADERS
from xl_mailer.engine.bookid import STATE_ENV
from xl_mailer.headless.args import EXIT_OK, EXIT_STOPPED, build_parser
from xl_mailer.headless.demo_mailing import (
    DOCUMENTS,
    LIST_NAME,
    SECONDS_PER_STATE,
    mailing_steps,
    upload_step,
    write_mailing_sheets,
)
from xl_mailer.headless.sending import run_workbook
from xl_mailer.sandbox import Sandbox, SandboxConfig

DEMO_HEADERS = (
    *REQUIRED_PARAMS,
    "rtnName",
    "projectId",
    "mailingDate",
    "Document",
    "Address List",
    "Submit",
)

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
    """About a dozen rows: several valid (two naming the document and address list they
    mail, uploaded first), one invalid, several the sandbox refuses as documented."""
    week = dt.datetime.combine(today + dt.timedelta(days=7), dt.time())
    past = dt.datetime.combine(today - dt.timedelta(days=3), dt.time())
    letter, postcard = DOCUMENTS[0][0], DOCUMENTS[1][0]
    return [
        (*LETTER, None, None, None, None, None, letter, LIST_NAME, "Yes"),
        (*POSTCARD, None, None, None, None, None, postcard, LIST_NAME, "Yes"),
        (*CERTIFIED, 1003.0, 2003.0, "Acme Billing", None, None, None, None, "Yes"),
        (*LETTER[:1], "Adress on Separate Page", *LETTER[2:], 1001, 2001, *NOTHING),
        (*LETTER, 9999, 2001, *NOTHING),
        (*LETTER, 1001, 2999, *NOTHING),
        (*POSTCARD, 1002, 2002, *NOTHING),
        (*BROCHURE, 1002, 2001, *NOTHING),
        (*LETTER, 1001, 2001, None, None, past, None, None, None),
        (*CERTIFIED, 1003, 2003, *NOTHING),
        (*LETTER, 1001, 2001, None, 3999, None, None, None, None),
        (*LETTER[:4], "Full Color", *LETTER[5:], 1001, 2003, "Acme Billing", 3001, week)
        + (None, None, "Yes"),
    ]


NOTHING = (None,) * 6
"""rtnName, projectId, mailingDate, Document, Address List, Submit: all empty."""


FIRST_ROW = 4
"""The sheet row of the first sample row (a title, a blank row and the header are above)."""

ABOUT = "About this row"
"""The sample's last column: what each row shows."""

ON_PURPOSE: dict[int, str] = {
    3: "'Adress' is misspelt, so xl-mailer refused the row before sending it (no HTTP Status)",
    4: "document 9999 does not exist at Click2Mail",
    5: "address list 2999 does not exist at Click2Mail",
    6: "address list 2002 holds addresses abroad, and a postcard cannot be mailed abroad",
    7: "this (practice) account may not order brochures",
    8: "its mailing date is in the past",
    9: "certified mail needs a return name (rtnName), and this row has none",
    10: "project 3999 does not exist at Click2Mail",
}
"""Why each sample row that fails on purpose fails, by its index in ``demo_rows``."""


def about(index: int) -> str:
    """What sample row ``index`` (of ``demo_rows``) shows, for its About column."""
    if index in ON_PURPOSE:
        return f"Fails on purpose: {ON_PURPOSE[index]}"
    if demo_rows(dt.date.today())[index][-3] is not None:
        return "A correct row, naming its Document and Address List: uploaded, then its job made"
    return "A correct row: Click2Mail makes its job"


def write_demo_workbook(path: Path, *, today: dt.date | None = None) -> Path:
    """Write the sample workbook: a title row, a blank row, the header, the rows; each row
    says in its last column whether it fails on purpose, and why."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Jobs"
    sheet["A1"] = "xl-mailer demo: one Click2Mail job per row"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append([*DEMO_HEADERS, *RESULT_HEADERS, ABOUT])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for index, row in enumerate(demo_rows(today or dt.date.today())):
        sheet.append([*row, *([None] * len(RESULT_HEADERS)), about(index)])
    for column in range(12, 13):
        for cells in sheet.iter_cols(min_col=column, max_col=column, min_row=4):
            for cell in cells:
                cell.number_format = "yyyy-mm-dd"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_mailing_sheets(book, path.parent)
    book.save(path)
    return path


def run_demo(folder: Path, out: TextIO) -> int:
    """Write the sample, take it through the whole mailing against a fresh sandbox (upload,
    create, cost, submit, status, proofs), print what each step did and what it shows;
    0 when every row came out as it should."""
    path = write_demo_workbook(folder / "demo-jobs.xlsx")
    rows = len(demo_rows(dt.date.today()))
    print(f"Sample workbook: {path}", file=out)
    print(
        f"It has {rows} rows: {rows - len(ON_PURPOSE)} correct ones, and {len(ON_PURPOSE)} made"
        " to fail on purpose, to show each kind of refusal. They go to the sandbox, a practice"
        " Click2Mail on this computer: nothing is printed, mailed or charged.",
        file=out,
    )
    # a new sample against a new sandbox each time: a journal of its own, so that rows of an
    # earlier demo (whose sandbox and jobs are gone) are not held back as already mailed
    with (
        tempfile.TemporaryDirectory(prefix="xl-mailer-demo-") as state,
        Sandbox(SandboxConfig(seconds_per_state=SECONDS_PER_STATE)) as sandbox,
        _environment(
            {
                STATE_ENV: state,
                "C2M_USERNAME": sandbox.config.username,
                "C2M_PASSWORD": sandbox.config.password,
            }
        ),
    ):
        upload_step(path, sandbox.url, out)
        print("\n2. Create one job per row (xl-mailer run)", file=out)
        args = build_parser().parse_args(["run", str(path), "--endpoint", sandbox.url, "--quiet"])
        code = run_workbook(args, out)
        if code == EXIT_STOPPED:
            return code
        table = read_table(path)
        print_table(table, out)
        print_explanation(out)
        surprises = unexpected(table)
        surprises += mailing_steps(path, sandbox.url, out)
    if surprises:
        print("\nThe demo did NOT go as expected:", file=out)
        for line in surprises:
            print(f"  {line}", file=out)
        print("Please report this, with the lines above.", file=out)
    else:
        print(
            f"\nThe demo went as expected: {rows - len(ON_PURPOSE)} jobs created, costed,"
            f" submitted, mailed and proofed, and the {len(ON_PURPOSE)} rows made to fail were"
            " refused.",
            file=out,
        )
    print(
        f"Open {path.resolve()} to see the results next to each row; its last column says"
        " what each row shows. The Documents and Address Lists sheets show their ids.",
        file=out,
    )
    return 1 if surprises else 0


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set these environment variables for the demo's commands, then put back what was."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


TABLE_COLUMNS = ("documentClass", "documentId", "addressId", *RESULT_HEADERS)


def read_table(path: Path) -> list[tuple[int, dict[str, object]]]:
    """The sample's rows after the run, in sheet order: (sheet row, values by header)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        values = list(book["Jobs"].iter_rows(min_row=FIRST_ROW - 1, values_only=True))
    finally:
        book.close()
    header = [str(name) for name in values[0]]
    return [
        (number, dict(zip(header, line, strict=False)))
        for number, line in enumerate(values[1:], start=FIRST_ROW)
    ]


def print_table(table: list[tuple[int, dict[str, object]]], out: TextIO) -> None:
    lines = [["Row", *TABLE_COLUMNS]]
    lines += [
        [str(number), *(_show(row.get(name)) for name in TABLE_COLUMNS)] for number, row in table
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    widths[-1] = 0  # the description runs to the end of the line
    print("", file=out)
    for n, line in enumerate(lines):
        text = "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
        print(text.rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * (w or 11) for w in widths), file=out)


def print_explanation(out: TextIO) -> None:
    """Why each failed row failed, and how to read a row's results."""
    print(f"\nThe {len(ON_PURPOSE)} failed rows fail on purpose:", file=out)
    for index, why in ON_PURPOSE.items():
        print(f"  row {FIRST_ROW + index:>2}: {why}", file=out)
    print(
        "\nHow to read a row's results:\n"
        "  HTTP Status 201, Return Code 0: created. The Job ID is Click2Mail's number for the"
        " job.\n"
        "  HTTP Status 200 (or 400) with a non-zero Return Code: Click2Mail received the row"
        " and refused the job.\n"
        "    HTTP 200 only means the answer arrived; the Return Code says it was a refusal."
        " No job was made\n"
        "    and nothing will be mailed. The Description says why: fix the row, run again.\n"
        "  No HTTP Status and a Description that starts 'Not sent': xl-mailer found the"
        " problem and never sent the row.\n"
        "  UNKNOWN: the answer was lost; the job may exist. Run 'xl-mailer reconcile"
        " WORKBOOK' before sending it again.",
        file=out,
    )


def unexpected(table: list[tuple[int, dict[str, object]]]) -> list[str]:
    """The sample rows that did not come out as they should: a job for each correct row,
    none for a row that fails on purpose."""
    surprises = []
    for number, row in table:
        index = number - FIRST_ROW
        made = row.get("Job ID") not in (None, "")
        if index in ON_PURPOSE and made:
            surprises.append(f"row {number} should have been refused, but made job {row['Job ID']}")
        elif index not in ON_PURPOSE and not made:
            surprises.append(f"row {number} should have made a job: {row.get('Description')}")
    return surprises


def _show(value: object) -> str:
    return "" if value is None else str(value)


def serve_sandbox(args: argparse.Namespace, out: TextIO) -> int:
    config = SandboxConfig(
        latency=args.latency,
        fault=args.fault,
        fault_on=args.fault_on,
        fault_every=args.fault_every,
        seconds_per_state=args.seconds_per_state,
    )
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
