"""``xl-mailer upload`` and ``xl-mailer run`` with rows that name their document and address
list, on workbook files, against the sandbox over HTTP."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook, load_workbook

from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER

PDF = b"%PDF-1.4\n%%EOF\n"
ADDRESS_HEADER = ["List", "Firstname", "Lastname", "Address1", "City", "State", "Postalcode"]
JOBS_HEADER = [*REQUIRED_PARAMS, "Document", "Address List"]


def mailing_book(path: Path, *, jobs: int = 2, zip_cell: object = "02134") -> Path:
    (path.parent / "letters").mkdir(exist_ok=True)
    (path.parent / "letters" / "renewal.pdf").write_bytes(PDF)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Jobs"
    sheet.append(JOBS_HEADER)
    for _ in range(jobs):
        values = {**LETTER, "documentId": None, "addressId": None}
        sheet.append([values.get(n) for n in REQUIRED_PARAMS] + ["Renewal", "April"])
    documents = book.create_sheet("Documents")
    documents.append(["Document Name", "File", "documentClass"])
    documents.append(["Renewal", "letters/renewal.pdf", "Letter 8.5 x 11"])
    addresses = book.create_sheet("Addresses")
    addresses.append(ADDRESS_HEADER)
    addresses.append(["April", "Ann", "Lee", "1 Main St", "Boston", "MA", zip_cell])
    book.create_sheet("Address Lists").append(["List"])
    book.save(path)
    return path


def sheet(path: Path, name: str) -> list[list[object]]:
    return [list(r) for r in load_workbook(path)[name].iter_rows(values_only=True)]


def test_upload_sends_each_document_and_list_once_and_saves_their_ids(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = mailing_book(tmp_path / "mail.xlsx", zip_cell=2134)
    out = io.StringIO()
    assert main(["upload", str(path), "--poll", "0.01"], out=out) == 0
    text = out.getvalue()
    assert "Documents: 1 uploaded." in text and "address list 'April': CASS Standardized" in text
    assert sandbox_env.state.uploads == {"Renewal": 1}
    assert sandbox_env.state.address_lists == {"April": 1}
    documents, lists = sheet(path, "Documents"), sheet(path, "Address Lists")
    assert documents[0][3:] == ["Document ID", "HTTP Status", "Return Code", "Description"]
    assert isinstance(documents[1][3], int) and documents[1][6] == "Success"
    assert lists[1][:2] == ["April", 1] and lists[1][-1] == "CASS Standardized"

    again = io.StringIO()
    assert main(["upload", str(path), "--poll", "0.01"], out=again) == 0
    assert "nothing to upload" in again.getvalue()
    assert sandbox_env.state.uploads == {"Renewal": 1}
    assert sandbox_env.state.address_lists == {"April": 1}


def test_run_uploads_what_the_rows_name_once_and_a_rerun_uploads_nothing(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = mailing_book(tmp_path / "mail.xlsx", jobs=3)
    out = io.StringIO()
    assert main(["run", str(path)], out=out) == 0
    assert "Before creating jobs: uploaded 1 document(s) and 1 address list(s)" in out.getvalue()
    jobs = sheet(path, "Jobs")
    doc, addr = REQUIRED_PARAMS.index("documentId"), REQUIRED_PARAMS.index("addressId")
    assert len({line[doc] for line in jobs[1:]}) == 1 and jobs[1][doc]
    assert len({line[addr] for line in jobs[1:]}) == 1 and jobs[1][addr]
    assert len(sandbox_env.state.jobs) == 3
    assert main(["run", str(path)], out=io.StringIO()) == 0
    assert sandbox_env.state.uploads == {"Renewal": 1}
    assert sandbox_env.state.address_lists == {"April": 1}
    assert len(sandbox_env.state.jobs) == 3


def test_a_row_whose_list_cannot_be_sent_is_not_sent_and_says_why(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = mailing_book(tmp_path / "mail.xlsx", jobs=1, zip_cell='=TEXT(2134,"00000")')
    assert main(["run", str(path)], out=io.StringIO()) == 1
    jobs = sheet(path, "Jobs")
    text = str(jobs[1][jobs[0].index("Description")])
    assert text.startswith("Not sent: address list 'April': Not sent: on the Addresses sheet")
    assert "Postalcode is a formula that was never calculated" in text
    assert sandbox_env.state.address_lists == {} and sandbox_env.state.jobs == {}
    assert sandbox_env.state.uploads == {"Renewal": 1}  # the document was fine


def test_upload_adds_the_sheets_a_workbook_lacks(tmp_path: Path, sandbox_env: Sandbox) -> None:
    book = Workbook()
    jobs = book.active
    assert jobs is not None
    jobs.title = "Jobs"
    jobs.append(list(REQUIRED_PARAMS))
    path = tmp_path / "plain.xlsx"
    book.save(path)
    out = io.StringIO()
    assert main(["upload", str(path)], out=out) == 0
    assert "Added the Documents sheet" in out.getvalue()
    saved = load_workbook(path)
    assert {"Documents", "Addresses", "Address Lists"} <= set(saved.sheetnames)
    assert sheet(path, "Addresses")[0][:2] == ["List", "Firstname"]
