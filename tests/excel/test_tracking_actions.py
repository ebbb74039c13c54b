"""Refresh Job Status and Get Proofs on the ribbon, through xlwings' remote engine: the book
as the VBA client sends it, the writes as the actions it would carry out in Excel."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlwings as xw
from openpyxl import load_workbook

from xl_mailer import ribbon
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.core.models import REQUIRED_PARAMS, JobRequest
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER
from ..remote import TEMPLATE, actions, payload_from_workbook

FIRST, HEADER_ROW = 5, 4  # the template's first data row and its header row
JOB_ID, HTTP, CODE, TEXT = 20, 21, 22, 23  # 1-based columns T, U, V, W
TEMPLATE_HEADER = [c.value for c in load_workbook(TEMPLATE)["Jobs"][HEADER_ROW]]


def book_with_jobs(
    sandbox: Sandbox, count: int, *, name: Path | None = None
) -> tuple[xw.Book, list[int]]:
    """A template book whose first rows hold jobs made at the sandbox; saved as ``name``."""
    with Click2MailClient(sandbox.url, "sandbox", sandbox.config.password) as client:
        ids = []
        for n in range(count):
            request = JobRequest(FIRST + n, tuple((k, str(v)) for k, v in LETTER.items()))
            made = client.create_job(request)
            assert made.job_id is not None
            ids.append(made.job_id)
    cells: dict[tuple[int, int], object] = {}
    for r, job in enumerate(ids, start=FIRST):
        for c, param in enumerate(REQUIRED_PARAMS, start=1):
            cells[(r, c)] = LETTER[param]
        cells.update({(r, JOB_ID): job, (r, HTTP): 201, (r, CODE): 0, (r, TEXT): "Created"})
    settings = {(2, 2): sandbox.url, (5, 2): "sandbox"}
    payload = payload_from_workbook(changes={"Jobs": cells, "Settings": settings})
    if name is not None:  # desktop Excel's fullname is the saved file's path
        payload["book"]["name"] = str(name)
    return xw.Book(json=payload), ids


def written(book: xw.Book) -> dict[tuple[int, int], object]:
    cells: dict[tuple[int, int], object] = {}
    for action in actions(book, "setValues"):
        for r, line in enumerate(action["values"]):
            for c, value in enumerate(line):
                cells[(action["start_row"] + r + 1, action["start_column"] + c + 1)] = value
    return cells


def column_of(book: xw.Book, name: str) -> int:
    """A column's 1-based number: the template's, else where the action put its header."""
    if name in TEMPLATE_HEADER:
        return TEMPLATE_HEADER.index(name) + 1
    return next(c for (r, c), v in written(book).items() if r == HEADER_ROW and v == name)


def alerts(book: xw.Book) -> list[str]:
    return [a["args"][0] for a in actions(book, "alert")]


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> None:
    monkeypatch.setenv("C2M_PASSWORD", sandbox.config.password)


def test_refresh_job_status_writes_the_state_in_words_and_tracking_once_mailed(
    sandbox: Sandbox,
) -> None:
    sandbox.config.seconds_per_state = 0
    book, ids = book_with_jobs(sandbox, 2)
    with Click2MailClient(sandbox.url, "sandbox", sandbox.config.password) as client:
        Mailing(client).submit_job(ids[1], "User Credit")
    assert ribbon.ACTIONS["refresh_status"](book) == 2
    cells = written(book)
    status, tracking = column_of(book, "Job Status"), column_of(book, "Tracking")
    assert cells[(FIRST, status)] == "Editing" and cells[(FIRST, tracking)] in (None, "")
    assert cells[(FIRST + 1, status)] == "Mailed"
    assert "pieces scanned" in str(cells[(FIRST + 1, tracking)])
    assert all(column != TEXT for _, column in cells)  # Description: create's answer, kept
    assert alerts(book) == ["Refreshed the status of 2 job(s): 1 Editing, 1 Mailed."]


def test_get_proofs_saves_each_pdf_beside_the_book_and_links_it(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    book, ids = book_with_jobs(sandbox, 2, name=tmp_path / "April.xlsm")
    assert ribbon.ACTIONS["get_proofs"](book) == 2
    folder = tmp_path / "April proofs"
    proof = column_of(book, "Proof")
    links = {
        (a["start_row"] + 1, a["start_column"] + 1): a["args"]
        for a in actions(book, "addHyperlink")
    }
    for r, job in enumerate(ids, start=FIRST):
        assert (folder / f"{job}.pdf").read_bytes().startswith(b"%PDF-")
        assert links[(r, proof)][:2] == [str(folder / f"{job}.pdf"), f"April proofs/{job}.pdf"]
    assert alerts(book) == [f"Saved 2 proof(s) in {folder}."]


def test_get_proofs_in_a_book_never_saved_asks_to_save_it_first(sandbox: Sandbox) -> None:
    book, _ = book_with_jobs(sandbox, 1)
    book.api["book"]["name"] = "Book1"
    assert ribbon.ACTIONS["get_proofs"](book) is None
    assert "save the workbook first" in alerts(book)[0]
    assert actions(book, "addHyperlink") == []
