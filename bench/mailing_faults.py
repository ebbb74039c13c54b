"""The fault table's second part: each sandbox fault aimed at the whole mailing's calls that
may change something at Click2Mail (upload a document, create an address list, submit a job,
make a proof, fetch its PDF), run through the command that makes the call; then the fault is
cleared, a person settles what xl-mailer marked UNKNOWN (as the row's Description tells them
to), and the command is run again. The sandbox is the witness: it counts the documents and
lists made per name and the submits per job.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook

from xl_mailer.app.submit import MIN_AGE
from xl_mailer.core.calls import UNKNOWN_PREFIX
from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.engine.bookid import state_dir
from xl_mailer.headless.cli import main
from xl_mailer.headless.demo import LETTER
from xl_mailer.sandbox import Sandbox, SandboxConfig
from xl_mailer.sandbox.pdf import proof_pdf

ROWS = 7
"""Documents, lists and jobs in each workbook: every third call is hit, so two of them."""
TIMEOUT = 0.5
FAULT_SECONDS = 1.5
FAULTS = ("drop", "timeout", "html500", "gateway524", "malformed", "throttle")
CALLS = (
    ("upload", "`POST /documents`", "xl-mailer upload"),
    ("address_list", "`POST /addressLists`", "xl-mailer upload"),
    ("submit", "`POST /jobs/{id}/submit`", "xl-mailer submit --yes"),
    ("proof", "`POST /jobs/{id}/proof`", "xl-mailer proof"),
    ("proof_pdf", "`GET /jobs/{id}/proof/{proofId}`", "xl-mailer proof"),
)
LOST = re.compile(r"submit sent (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")
SEEDED = 10_000
"""The sandbox's own documents (1001-1003) and lists (2001-2003) are below this id; what it
makes is above."""


@dataclass
class MailingRow:
    call: str
    fault: str
    exit_code: int
    done_after_run: int  # ids, submitted jobs or proofs in the workbook
    unknown_after_run: int
    settled_by_hand: int
    missing_final: int  # rows still without their id, Submitted time or proof
    sent_twice: int
    ids_lost: int
    not_pdf: int


def cli(*args: str) -> int:
    return main(list(args), out=io.StringIO())


def make_book(path: Path) -> None:
    """Jobs naming a document and a list each (Submit: Yes), ``ROWS`` of each, the PDFs."""
    book = Workbook()
    jobs = book.active
    assert jobs is not None
    jobs.title = "Jobs"
    jobs.append([*REQUIRED_PARAMS, "Document", "Address List", "Submit"])
    documents = book.create_sheet("Documents")
    documents.append(["Document Name", "File", "documentClass"])
    addresses = book.create_sheet("Addresses")
    addresses.append(["List", "Firstname", "Address1", "City", "State", "Postalcode"])
    book.create_sheet("Address Lists").append(["List"])
    for i in range(1, ROWS + 1):
        (path.parent / f"doc{i}.pdf").write_bytes(proof_pdf([f"document {i}"]))
        documents.append([f"doc {i}", f"doc{i}.pdf", LETTER[0]])
        addresses.append([f"list {i}", f"Person {i}", f"{i} Main St", "Boston", "MA", "02134"])
        jobs.append([*LETTER, None, None, f"doc {i}", f"list {i}", "Yes"])
    book.save(path)


def table(path: Path, sheet: str) -> list[dict[str, object]]:
    book = load_workbook(path)
    try:
        lines = list(book[sheet].iter_rows(values_only=True))
    finally:
        book.close()
    header = [str(v) for v in lines[0]]
    return [dict(zip(header, line, strict=False)) for line in lines[1:]]


def settle_by_hand(path: Path, sheet: str, id_column: str, made: dict[str, list[int]]) -> int:
    """What the row's Description asks a person to do: for each UNKNOWN row, look in
    Click2Mail (here: the sandbox's records) and type the id of what was made under its name
    into the row, or clear the Description to send it again when nothing was made."""
    book = load_workbook(path)
    ws = book[sheet]
    header = [str(c.value) for c in ws[1]]
    name_col = header.index("Document Name" if sheet == "Documents" else "List") + 1
    settled = 0
    for r in range(2, ws.max_row + 1):
        description = ws.cell(r, header.index("Description") + 1).value
        if not (isinstance(description, str) and description.startswith(UNKNOWN_PREFIX)):
            continue
        settled += 1
        ids = made.get(str(ws.cell(r, name_col).value), [])
        if ids:
            ws.cell(r, header.index(id_column) + 1).value = ids[0]
            ws.cell(r, header.index("Description") + 1).value = "typed in by hand"
        else:
            ws.cell(r, header.index("Description") + 1).value = None
    book.save(path)
    return settled


def age_lost_submits(path: Path) -> int:
    """Move each lost submit's time back by ``MIN_AGE`` (its row's mark and its record in the
    state folder), as if the person ran Submit again
    after the wait the row names (a job still in Editing counts as not submitted only then:
    Click2Mail may still be at work on a submit in flight). The table does not wait 5 minutes."""
    book = load_workbook(path)
    ws = book["Jobs"]
    header = [str(c.value) for c in ws[1]]
    column = header.index("Submit Result") + 1
    aged = 0
    for r in range(2, ws.max_row + 1):
        text = str(ws.cell(r, column).value or "")
        found = LOST.search(text)
        if text.startswith(UNKNOWN_PREFIX) and found is not None:
            sent = dt.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S")
            earlier = f"submit sent {sent - MIN_AGE:%Y-%m-%d %H:%M:%S} UTC"
            ws.cell(r, column).value = text.replace(found.group(0), earlier)
            aged += 1
    book.save(path)
    # the same submit's record in the person's state folder (engine/submits.py), aged alike
    for record in (state_dir() / "jobs").glob("*.submit"):
        lines = record.read_text(encoding="utf-8").splitlines()
        if lines:
            sent = dt.datetime.fromisoformat(lines[0])
            record.write_text(f"{(sent - MIN_AGE).isoformat()}\n", encoding="utf-8")
    return aged


def unknown_rows(rows: list[dict[str, object]], column: str) -> int:
    return sum(1 for r in rows if str(r.get(column) or "").startswith(UNKNOWN_PREFIX))


def has(row: dict[str, object], column: str) -> bool:
    """The row has its Submitted time or its proof (not ``No proof: why``)."""
    value = row.get(column)
    return bool(value) and not str(value).startswith("No proof")


def proofs_not_pdf(path: Path) -> int:
    folder = path.parent / f"{path.stem} proofs"
    if not folder.exists():
        return 0
    return sum(1 for f in folder.iterdir() if not f.read_bytes().startswith(b"%PDF"))


def measure_upload(call: str, fault: str, folder: Path) -> MailingRow:
    """Documents (``upload``) or lists (``address_list``) uploaded with the fault on."""
    path = folder / f"{call}-{fault}.xlsx"
    make_book(path)
    documents = call == "upload"
    sheet, id_column = (
        ("Documents", "Document ID") if documents else ("Address Lists", "Address List ID")
    )
    config = SandboxConfig(
        fault=fault, fault_on=call, fault_every=3, fault_seconds=FAULT_SECONDS, address_list_polls=1
    )
    with Sandbox(config) as box:
        os.environ.update(_env(box))
        code = cli("upload", str(path), "--timeout", str(TIMEOUT), "--poll", "0.01", "--wait", "30")
        time.sleep(FAULT_SECONDS + 0.1)  # answers the command gave up on are still being made
        rows = table(path, sheet)
        done = sum(1 for r in rows if r.get(id_column))
        unknown = unknown_rows(rows, "Description")
        box.config.fault = None

        def made() -> dict[str, list[int]]:
            things = box.state.documents if documents else box.state.lists
            named: dict[str, list[int]] = {}
            for thing in things.values():
                if thing.id > SEEDED:
                    named.setdefault(thing.name, []).append(thing.id)
            return named

        settled = settle_by_hand(path, sheet, id_column, made())
        cli("upload", str(path), "--poll", "0.01", "--wait", "30")
        rows = table(path, sheet)
        in_book = {int(str(r[id_column])) for r in rows if r.get(id_column)}
        counter = box.state.uploads if documents else box.state.address_lists
        all_made = {i for ids in made().values() for i in ids}
        return MailingRow(
            call,
            fault,
            code,
            done,
            unknown,
            settled,
            sum(1 for r in rows if not r.get(id_column)),
            sum(1 for n in counter.values() if n > 1),
            len(all_made - in_book),
            0,
        )


def measure_per_job(call: str, fault: str, folder: Path) -> MailingRow:
    """Jobs made without a fault, then submitted (``submit``) or proofed (``proof``,
    ``proof_pdf``) with the fault on."""
    path = folder / f"{call}-{fault}.xlsx"
    make_book(path)
    config = SandboxConfig(fault_seconds=FAULT_SECONDS, address_list_polls=1)
    with Sandbox(config) as box:
        os.environ.update(_env(box))
        cli("run", str(path))
        box.config.fault, box.config.fault_on, box.config.fault_every = fault, call, 3
        submitting = call == "submit"
        command: Callable[..., int]
        if submitting:

            def command(*more: str) -> int:
                return cli("submit", str(path), "--limit", "100000", "--yes", *more)

            column = "Submitted"
        else:

            def command(*more: str) -> int:
                return cli("proof", str(path), *more)

            column = "Proof"
        code = command("--timeout", str(TIMEOUT))
        time.sleep(FAULT_SECONDS + 0.1)
        rows = table(path, "Jobs")
        done = sum(1 for r in rows if has(r, column))
        unknown = unknown_rows(rows, "Submit Result") if submitting else 0
        not_pdf = proofs_not_pdf(path)
        box.config.fault = None
        aged = age_lost_submits(path) if submitting else 0
        command()  # the rerun: submit settles each UNKNOWN row with GET /jobs/{id} first
        rows = table(path, "Jobs")
        in_book = {int(str(r["Job ID"])) for r in rows if r.get("Job ID")}
        return MailingRow(
            call,
            fault,
            code,
            done,
            unknown,
            aged,
            sum(1 for r in rows if not has(r, column)),
            sum(1 for n in box.state.submits.values() if n > 1),
            len(set(box.state.jobs) - in_book),
            max(not_pdf, proofs_not_pdf(path)),
        )


def measure_all(folder: Path, report: Callable[[str], None]) -> list[MailingRow]:
    results = []
    for call, _, _ in CALLS:
        for fault in FAULTS:
            measure = measure_upload if call in ("upload", "address_list") else measure_per_job
            result = measure(call, fault, folder)
            report(f"{call} {fault}: {result}")
            results.append(result)
    return results


def markdown(results: list[MailingRow]) -> list[str]:
    calls = {call: (endpoint, command) for call, endpoint, command in CALLS}
    lines = [
        "## The whole mailing: upload, submit, proof",
        "",
        f"Each fault hits every third call of one kind in a workbook of {ROWS} documents,"
        f" {ROWS} address lists (one address each) and {ROWS} jobs naming them, run through"
        f" the command that makes the call with `--timeout {TIMEOUT}` (the timeout fault"
        f" answers after {FAULT_SECONDS} s). For submit and proof the jobs are made first,"
        " without a fault. Then the fault is cleared and, for uploads, a person settles each"
        " row marked UNKNOWN as its Description says: the id of what Click2Mail made under"
        " that name typed into the row (the script reads it from the sandbox, as the person"
        " would from Click2Mail's website), or the Description cleared when nothing was made."
        " A submit's UNKNOWN rows need no person: the rerun asks `GET /jobs/{id}` first, and"
        " a job still in Editing counts as not submitted once the lost submit is 5 minutes"
        " old (Click2Mail may still be at work on it); the script moves each lost submit's"
        " time back 5 minutes instead of waiting. Then the command runs again. The sandbox is"
        " the witness.",
        "",
        "| call | fault | command | exit code | ids / submitted / proofs in the workbook"
        " after the run | rows marked UNKNOWN | UNKNOWN rows settled by a person (uploads) or"
        " aged 5 minutes (submit) | after the"
        " rerun: rows without their id / Submitted / Proof | uploaded or submitted twice |"
        " ids lost | proofs saved that are not PDFs |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        endpoint, command = calls[r.call]
        lines.append(
            f"| {endpoint} | {r.fault} | `{command}` | {r.exit_code} | {r.done_after_run}"
            f" | {r.unknown_after_run} | {r.settled_by_hand} | {r.missing_final}"
            f" | **{r.sent_twice}** | **{r.ids_lost}** | **{r.not_pdf}** |"
        )
    lines += [
        "",
        "Uploaded twice: a document or list name the sandbox made more than once. Submitted"
        " twice: a job with more than one `POST /jobs/{id}/submit`. Ids lost: a document,"
        " list or job the sandbox made whose id is not in the workbook after the rerun. An"
        " upload or submit whose answer was lost (drop, timeout, 524, malformed), or answered"
        " with a 500 (xl-mailer cannot know that it made nothing; here it did not), is marked"
        " UNKNOWN and never sent again by itself; a 429 made nothing and is retried after its"
        " Retry-After. A proof is neither money nor storage: a lost answer is"
        " simply asked for again, and a body that is not a PDF is never saved as one.",
        "",
    ]
    return lines


def _env(box: Sandbox) -> dict[str, str]:
    return {
        "C2M_ENDPOINT": box.url,
        "C2M_USERNAME": box.config.username,
        "C2M_PASSWORD": box.config.password,
    }
