"""End-to-end runs of workbooks the tests build, against the sandbox over real HTTP."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xl_mailer.core.models import REQUIRED_PARAMS, RESULT_HEADERS
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox

from ..conftest import Canned, letter, write_book


def run(*argv: str) -> int:
    return main(["run", *argv], out=io.StringIO())


def sheet_rows(path: Path, sheet: str = "Jobs") -> list[list[object]]:
    return [list(r) for r in load_workbook(path)[sheet].iter_rows(values_only=True)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_results_land_right_of_the_parameters_with_a_title_above_and_blank_rows(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = write_book(
        tmp_path / "jobs.xlsx",
        [letter(), {}, letter(addressId=2999)],
        above=[["April mailing"], []],
    )
    assert run(str(path)) == 1
    rows = sheet_rows(path)
    assert rows[0][0] == "April mailing"
    assert rows[2][9:13] == list(RESULT_HEADERS)
    job_id, http, code, text = rows[3][9:13]
    assert (http, code, text) == (201, 0, "Created")
    assert job_id in sandbox_env.state.jobs
    assert rows[4][9:13] == [None, None, None, None]  # the blank row stays blank
    assert rows[5][9:13] == [None, 200, 3, "Address List ID not found"]


def test_shuffled_columns_and_user_columns_are_left_untouched(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    headers = ["Notes", *reversed(REQUIRED_PARAMS)]
    path = write_book(
        tmp_path / "jobs.xlsx",
        [letter(Notes="call first")],
        headers=headers,
        extra={"R1": "Total", "R2": "=1+2"},
    )
    assert run(str(path)) == 0
    book = load_workbook(path)
    ws = book["Jobs"]
    assert ws["A2"].value == "call first"
    assert ws["R2"].value == "=1+2"  # the user's formula is still a formula
    assert ws["R1"].value == "Total"
    assert [ws.cell(1, c).value for c in range(11, 15)] == list(RESULT_HEADERS)
    assert ws["L2"].value == 201


def test_a_rerun_sends_nothing_for_rows_that_have_a_job_id(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [letter(), letter(documentId=9999)])
    assert run(str(path)) == 1
    first = sandbox_env.state.create_requests
    assert first == 2
    assert run(str(path)) == 1  # the refused row is sent again, the created one is not
    assert sandbox_env.state.create_requests == 3
    assert len(sandbox_env.state.jobs) == 1


def test_a_rerun_of_a_finished_workbook_sends_no_request_at_all(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [letter(), letter()])
    assert run(str(path)) == 0
    assert run(str(path)) == 0
    assert sandbox_env.state.create_requests == 2


def test_a_wrong_password_sends_no_job_and_marks_no_row(
    tmp_path: Path, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C2M_PASSWORD", "wrong")
    path = write_book(tmp_path / "jobs.xlsx", [letter(), letter(layout=None)])
    before = digest(path)
    assert run(str(path)) == 2
    assert sandbox_env.state.create_requests == 0
    assert digest(path) == before


def test_a_password_that_stops_working_mid_run_stops_sending_and_keeps_what_was_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ..conftest import start_sandbox

    with start_sandbox(fault="password", fault_every=3) as box:
        monkeypatch.setenv("C2M_ENDPOINT", box.url)
        monkeypatch.setenv("C2M_USERNAME", "sandbox")
        monkeypatch.setenv("C2M_PASSWORD", "sandbox-password")
        path = write_book(tmp_path / "jobs.xlsx", [letter() for _ in range(6)])
        assert main(["run", str(path), "--concurrency", "1"], out=io.StringIO()) == 2
        rows = sheet_rows(path)
        made = [r[9] for r in rows[1:] if r[9] is not None]
        assert sorted(made) == sorted(box.state.jobs)
        assert len(made) == 2
        assert all(r[10] is None for r in rows[3:])  # no row is marked failed for the 401


def test_validate_only_sends_nothing_and_changes_nothing(
    tmp_path: Path, sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [letter(), letter(color="Purple")])
    before = digest(path)
    assert main(["run", str(path), "--validate-only"]) == 1
    out = capsys.readouterr().out
    assert "row     2: valid" in out
    assert "row     3: invalid  Not sent: color 'Purple' is not allowed" in out
    assert sandbox_env.state.create_requests == 0
    assert digest(path) == before


def test_output_leaves_the_original_byte_for_byte(tmp_path: Path, sandbox_env: Sandbox) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [letter()])
    before = digest(path)
    out = tmp_path / "results.xlsx"
    assert run(str(path), "--output", str(out)) == 0
    assert digest(path) == before
    assert sheet_rows(out)[1][11] == 0


def test_macros_are_kept_in_xlsm(tmp_path: Path, sandbox_env: Sandbox) -> None:
    import shutil
    import zipfile

    import xlwings

    source = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    path = tmp_path / "book.xlsm"
    shutil.copy(source, path)
    book = load_workbook(path, keep_vba=True)
    ws = book["Sheet1"]
    for c, name in enumerate(REQUIRED_PARAMS, start=1):
        ws.cell(1, c, name)
        ws.cell(2, c, letter()[name])
    book.save(path)
    vba = zipfile.ZipFile(path).read("xl/vbaProject.bin")
    assert run(str(path), "--sheet", "Sheet1") == 0
    assert zipfile.ZipFile(path).read("xl/vbaProject.bin") == vba
    assert sheet_rows(path, "Sheet1")[1][10] == 201


def test_text_from_the_server_is_written_as_text_not_a_formula(
    tmp_path: Path, canned: type[Canned], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ..conftest import DATA

    credit = (200, b"<credit><balance>1</balance></credit>")
    server = canned(
        400, (DATA / "formula_description.xml").read_bytes(), routes={"/credit": credit}
    )
    monkeypatch.setenv("C2M_USERNAME", "u")
    monkeypatch.setenv("C2M_PASSWORD", "p")
    path = write_book(tmp_path / "jobs.xlsx", [letter()])
    assert run(str(path), "--endpoint", server.url) == 1
    cell = load_workbook(path)["Jobs"]["M2"]
    assert cell.value.startswith("=HYPERLINK(")
    assert cell.data_type == "s"


def test_each_documented_code_the_sandbox_gives_lands_in_its_row(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    import datetime as dt

    postcard = letter(
        documentClass="Postcard 4.25 x 6",
        layout="Double Sided Postcard",
        envelope=None,
        color="Full Color",
        paperType="White Matte",
        printOption="Printing both sides",
        documentId=1002,
    )
    certified = letter(
        documentClass="Certified Letter 8.5 x 11",
        envelope="Certified Mail Letter Envelope",
        documentId=1003,
    )
    reply = letter(
        documentClass="Reply Letter 8.5 x 11",
        layout="Courtesy Reply Letter",
        envelope="#10 Eco-Envelope - CRM",
    )
    today = dt.date.today()
    cases = [
        (letter(documentId=9999), 200, 1, "DocumentId not found"),
        (letter(jobDocumentId=9999), 200, 1, "Job DocumentId not found"),
        (letter(jobAddressId=9999), 200, 1, "Job Address list Id not found"),
        (letter(addressId=9999), 200, 3, "Address List ID not found"),
        ({**postcard, "addressId": 2002}, 200, 4, "Document Type cannot Mail Internationally"),
        (letter(projectId=9999), 200, 5, "Project does not exist"),
        (reply, 200, 9, "Quantity required for selected product"),
        (
            letter(
                documentClass="Brochure 11 x 8.5",
                layout="Self Mailer",
                envelope=None,
                color="Full Color",
                paperType="100# White Gloss",
                printOption="Printing both sides",
                productionTime="Week 1",
            ),
            400,
            9,
            "Product not authorized for this customer",
        ),
        (
            certified,
            400,
            9,
            "Return address Name OR Return address Organization is required for selected product.",
        ),
        (
            {**postcard, "endorsement": "Return Service Requested"},
            400,
            9,
            "Endorsements not valid for selected product",
        ),
        (
            {**reply, "quantity": 5, "rtnName": "Acme"},
            400,
            9,
            "Return Address not valid for selected product",
        ),
        (letter(quantity=9999), 400, 9, "Maximum Quantity for selected product is 5000"),
        (
            letter(mailingDate=today + dt.timedelta(days=200)),
            400,
            9,
            "Future date greater than 90 days",
        ),
        (letter(mailingDate=today), 400, 9, "Mailing date should be greater than current date."),
    ]
    headers = [
        *REQUIRED_PARAMS,
        "rtnName",
        "endorsement",
        "projectId",
        "mailingDate",
        "quantity",
        "jobDocumentId",
        "jobAddressId",
    ]
    path = write_book(tmp_path / "jobs.xlsx", [case[0] for case in cases], headers=headers)
    assert run(str(path), "--concurrency", "3") == 1
    rows = sheet_rows(path)
    for row, (_, http, code, text) in zip(rows[1:], cases, strict=True):
        assert row[16:20] == [None, http, code, text]
    assert sandbox_env.state.jobs == {}


def test_an_output_workbook_gets_the_mode_the_umask_gives_new_files(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    import os
    import stat

    from xl_mailer.headless import xlsx

    source = write_book(tmp_path / "jobs.xlsx", [letter()])
    output = tmp_path / "out.xlsx"
    assert run(str(source), "--output", str(output)) == 0
    expected = 0o666 & ~xlsx._UMASK  # as the process started: 0644 under the usual 022
    assert stat.S_IMODE(os.stat(output).st_mode) == expected
