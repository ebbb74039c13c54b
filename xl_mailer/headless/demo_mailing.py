"""The whole mailing in ``xl-mailer demo``: the sample's Documents, Addresses and Address Lists
sheets (with small real PDFs written beside the workbook), and the steps after the jobs are
created: cost, submit under a spend limit, status on a sped-up sandbox clock, proofs."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from xl_mailer.core.addresses import FIELDS
from xl_mailer.headless.args import build_parser
from xl_mailer.headless.money import cost_workbook, submit_workbook
from xl_mailer.headless.tracking import proof_workbook, status_workbook
from xl_mailer.headless.uploads import upload_workbook
from xl_mailer.sandbox.pdf import proof_pdf

SECONDS_PER_STATE = 0.3
"""The demo's sandbox clock: a submitted job spends this long in Awaiting Production and in
In Production, then is Mailed (a real job takes days)."""

LIST_NAME = "Customers"
DOCUMENTS = (
    ("Welcome letter", "demo-letter.pdf", "Letter 8.5 x 11"),
    ("Spring postcard", "demo-postcard.pdf", "Postcard 4.25 x 6"),
)
"""(Document Name, File, documentClass) of the Documents sheet; the files are written beside
the workbook."""

ADDRESSES: tuple[dict[str, str], ...] = (
    {"Firstname": "Ann", "Lastname": "Lee", "Address1": "1 Main St", "City": "Boston"},
    {
        "Firstname": "José",
        "Lastname": "Núñez",
        "Organization": "Brontë & Sons <Books>",
        "Address1": "22 Elm Ave",
        "Address2": "Suite 5",
        "City": "Boston",
    },
    {"Firstname": "Bo", "Lastname": "O'Hara", "Address1": "9 Pier Rd", "City": "Quincy"},
)
"""The Customers list: names with ``&``, ``<``, quotes and accents, which the list's XML keeps."""
STATE, POSTCODE = "MA", "02134"

SPEND_LIMIT = 100
TOO_LOW = 1
"""The two spend limits the demo submits under: the first, on purpose, below the total."""


def write_mailing_sheets(book: Workbook, folder: Path) -> None:
    """Add the Documents, Addresses and Address Lists sheets, and write the PDFs they name."""
    documents = book.create_sheet("Documents")
    documents.append(["Document Name", "File", "documentClass"])
    for name, file, document_class in DOCUMENTS:
        documents.append([name, file, document_class])
        (folder / file).write_bytes(
            proof_pdf([f"xl-mailer demo: {name}", "A practice document: nothing is mailed."])
        )
    addresses = book.create_sheet("Addresses")
    addresses.append(["List", *FIELDS])
    for address in ADDRESSES:
        full = {**address, "State": STATE, "Postalcode": POSTCODE}
        addresses.append([LIST_NAME, *(full.get(name) for name in FIELDS)])
    book.create_sheet("Address Lists").append(["List"])
    for sheet in (documents, addresses, book["Address Lists"]):
        for cell in sheet[1]:
            cell.font = Font(bold=True)


def upload_step(path: Path, endpoint: str, out: TextIO) -> int:
    """Step 1: upload the documents and create the address list (polled every 0.1 s)."""
    step(out, "1. Upload the Documents sheet's PDFs and the Address Lists sheet's list")
    return _command(upload_workbook, ["upload", str(path), "--poll", "0.1"], endpoint, out)


def mailing_steps(path: Path, endpoint: str, out: TextIO) -> list[str]:
    """Steps 3 to 6, after the jobs are made: cost, submit (refused over a limit, then under
    one, with ``--yes``), status once the sped-up clock has mailed them, proofs. What did not
    go as it should, in lines."""
    step(out, "3. Cost each job Click2Mail made (xl-mailer cost)")
    _command(cost_workbook, ["cost", str(path)], endpoint, out)
    step(
        out,
        f"4. Submit the jobs whose Submit cell says Yes (xl-mailer submit --yes). First with a"
        f" spend limit of ${TOO_LOW}, below their total, so nothing is submitted; then with"
        f" ${SPEND_LIMIT}. The demo cannot ask you, so it answers yes, as --yes does; without"
        " --yes, xl-mailer submit asks before it sends anything.",
    )
    _command(
        submit_workbook, ["submit", str(path), "--limit", str(TOO_LOW), "--yes"], endpoint, out
    )
    submitted = column(path, "Submitted")
    if any(value is not None for value in submitted.values()):
        return ["a batch over its spend limit was submitted"]
    print("", file=out)
    _command(
        submit_workbook, ["submit", str(path), "--limit", str(SPEND_LIMIT), "--yes"], endpoint, out
    )
    wait = SECONDS_PER_STATE * 4
    step(
        out,
        f"5. Follow the jobs (xl-mailer status). The practice clock is sped up: a job spends"
        f" {SECONDS_PER_STATE} s in each state instead of days, so after {wait:.1f} s they are"
        " Mailed and scanned.",
    )
    time.sleep(wait)
    _command(status_workbook, ["status", str(path)], endpoint, out)
    step(
        out,
        "6. Get each job's proof (xl-mailer proof), saved beside the workbook (with your own"
        " jobs, look at the proofs before you submit them)",
    )
    _command(proof_workbook, ["proof", str(path)], endpoint, out)
    return mailing_surprises(path)


def mailing_surprises(path: Path) -> list[str]:
    """Each job should be submitted, Mailed, and have a proof that is a PDF."""
    surprises = []
    jobs = column(path, "Job ID")
    states, submitted, proofs = column(path, "Job Status"), column(path, "Submitted"), {}
    folder = path.parent / f"{path.stem} proofs"
    for row, job in jobs.items():
        if job is None:
            continue
        proof = folder / f"{job}.pdf"
        proofs[row] = proof
        if submitted.get(row) is None:
            surprises.append(f"row {row}: job {job} was not submitted")
        if states.get(row) != "Mailed":
            surprises.append(f"row {row}: job {job} is {states.get(row)!r}, not Mailed")
        if not proof.is_file() or not proof.read_bytes().startswith(b"%PDF"):
            surprises.append(f"row {row}: no proof PDF at {proof}")
    return surprises


def column(path: Path, name: str) -> dict[int, object]:
    """The Jobs sheet's ``name`` column by sheet row, below its header (row 3)."""
    book = load_workbook(path, read_only=True)
    try:
        lines = list(book["Jobs"].iter_rows(min_row=3, values_only=True))
    finally:
        book.close()
    header = [str(value) for value in lines[0]]
    if name not in header:
        return {}
    index = header.index(name)
    return {
        number: (line[index] if index < len(line) else None)
        for number, line in enumerate(lines[1:], start=4)
    }


def step(out: TextIO, text: str) -> None:
    print(f"\n{text}", file=out)


def _command(
    command: Callable[[argparse.Namespace, TextIO], int],
    argv: list[str],
    endpoint: str,
    out: TextIO,
) -> int:
    return command(build_parser().parse_args([*argv, "--endpoint", endpoint]), out)
