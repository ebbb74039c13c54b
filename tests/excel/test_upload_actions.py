"""The ribbon's Upload Documents and Lists, and Create Jobs with rows that name their document
and address list, through xlwings' remote engine, against the sandbox over HTTP."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlwings as xw
from openpyxl import load_workbook

from xl_mailer import ribbon
from xl_mailer.core.models import REQUIRED_PARAMS, Outcome
from xl_mailer.engine.journal import RunLock
from xl_mailer.sandbox import Sandbox
from xl_mailer.sandbox.pdf import proof_pdf

from ..conftest import LETTER, start_sandbox
from ..remote import TEMPLATE, actions, payload_from_workbook
from .test_ribbon import FIRST, JOB_ID, TEXT, alerts

_JOBS = [c.value for c in load_workbook(TEMPLATE)["Jobs"][FIRST - 1]]
DOCUMENT, ADDRESS_LIST = _JOBS.index("Document") + 1, _JOBS.index("Address List") + 1
DOCUMENT_ID, ADDRESS_ID = _JOBS.index("documentId") + 1, _JOBS.index("addressId") + 1
DOCUMENT_ID_COLUMN = 5  # the Documents sheet's Document ID (E)
LIST_ID_COLUMN = 3  # the Address Lists sheet's Address List ID (C)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A sandbox whose lists are ready at the first poll (the ribbon polls every 5 s)."""
    box = start_sandbox(address_list_polls=1)
    yield box
    box.stop()


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> None:
    monkeypatch.setenv("C2M_PASSWORD", sandbox.config.password)


def mailing_book(
    sandbox: Sandbox, folder: Path, jobs: int = 0, name: Path | None = None
) -> xw.Book:
    """The template with a document (an absolute path: a remote book has no folder), one
    recipient in list 'April', and ``jobs`` rows naming both; ``name``: the saved file's
    path, as desktop Excel gives it."""
    pdf = folder / "renewal.pdf"
    pdf.write_bytes(proof_pdf(["Renewal"]))
    address = ["April", "Ann", "Lee", None, "1 Main St", None, None, "Boston", "MA", "02134"]
    cells: dict[tuple[int, int], object] = {}
    for r in range(FIRST, FIRST + jobs):
        values = {**LETTER, "documentId": None, "addressId": None}
        cells.update({(r, c): values[n] for c, n in enumerate(REQUIRED_PARAMS, start=1)})
        cells.update({(r, DOCUMENT): "Renewal", (r, ADDRESS_LIST): "April"})
    changes = {
        "Jobs": cells,
        "Settings": {(2, 2): sandbox.url, (5, 2): "sandbox"},
        "Documents": {(2, 1): "Renewal", (2, 2): str(pdf), (2, 3): "Letter 8.5 x 11"},
        "Addresses": {(2, c): value for c, value in enumerate(address, start=1)},
        "Address Lists": {(2, 1): "April"},
    }
    payload = payload_from_workbook(changes=changes)
    if name is not None:
        payload["book"]["name"] = str(name)
    return xw.Book(json=payload)


def written_on(book: xw.Book, sheet: str) -> dict[tuple[int, int], object]:
    """Every cell the actions write on ``sheet``, keyed by 1-based (row, column)."""
    cells: dict[tuple[int, int], object] = {}
    for action in actions(book, "setValues"):
        if book.sheets[action["sheet_position"]].name != sheet:
            continue
        for r, line in enumerate(action["values"]):
            for c, value in enumerate(line):
                cells[(action["start_row"] + r + 1, action["start_column"] + c + 1)] = value
    return cells


def test_upload_action_uploads_the_document_and_list_once_and_writes_their_ids(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    book = mailing_book(sandbox, tmp_path)
    assert ribbon.ACTIONS["upload_documents_and_lists"] is ribbon.upload_documents_and_lists
    assert ribbon.upload_documents_and_lists(book) == 2
    assert sandbox.state.uploads == {"Renewal": 1}
    assert sandbox.state.address_lists == {"April": 1}
    documents = written_on(book, "Documents")
    (document_id,) = [i for i, d in sandbox.state.documents.items() if d.name == "Renewal"]
    (list_id,) = [i for i, a in sandbox.state.lists.items() if a.name == "April"]
    assert documents[(2, DOCUMENT_ID_COLUMN)] == document_id
    assert written_on(book, "Address Lists")[(2, LIST_ID_COLUMN)] == list_id
    text = alerts(book)[0]
    assert "Documents: 1 uploaded." in text and "Address lists: 1 created, 1 ready." in text


def test_create_jobs_uploads_what_its_rows_name_then_makes_their_jobs(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    book = mailing_book(sandbox, tmp_path, jobs=2)
    assert ribbon.create_jobs(book).counts[Outcome.CREATED] == 2
    assert sandbox.state.uploads == {"Renewal": 1}  # one document for both rows
    assert sandbox.state.address_lists == {"April": 1}
    (document_id,) = [i for i, d in sandbox.state.documents.items() if d.name == "Renewal"]
    (list_id,) = [i for i, a in sandbox.state.lists.items() if a.name == "April"]
    jobs = written_on(book, "Jobs")
    for r in (FIRST, FIRST + 1):
        assert jobs[(r, DOCUMENT_ID)] == document_id and jobs[(r, ADDRESS_ID)] == list_id
        assert jobs[(r, TEXT)] == "Created" and jobs[(r, JOB_ID)] in sandbox.state.jobs
    made = [job.params for job in sandbox.state.jobs.values()]
    assert {(p["documentId"], p["addressId"]) for p in made} == {(str(document_id), str(list_id))}


def test_create_jobs_holds_back_a_row_whose_document_is_missing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    book = mailing_book(sandbox, tmp_path, jobs=1)
    (tmp_path / "renewal.pdf").unlink()
    ribbon.create_jobs(book)
    assert sandbox.state.create_requests == 0 and not sandbox.state.uploads
    jobs = written_on(book, "Jobs")
    assert "Renewal" in str(jobs[(FIRST, TEXT)])


def test_the_upload_action_says_the_workbook_must_be_saved_to_keep_the_ids(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    book = mailing_book(sandbox, tmp_path)
    ribbon.upload_documents_and_lists(book)
    assert "Save the workbook now to keep these ids: Excel saves it" in alerts(book)[0]


def test_the_upload_action_waits_for_no_other_action_on_the_same_file(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    path = tmp_path / "jobs.xlsm"
    shutil.copyfile(TEMPLATE, path)
    with RunLock(path):  # another window (or the command line) is working on this file
        book = mailing_book(sandbox, tmp_path, name=path)
        assert ribbon.upload_documents_and_lists(book) is None
    assert "another xl-mailer run is working on it" in alerts(book)[0]
    assert sandbox.state.uploads == {} and sandbox.state.address_lists == {}
