"""``xl-mailer status`` and ``xl-mailer proof`` on a workbook file, against the sandbox."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox

from ..conftest import letter, write_book


def jobs_sheet(path: Path) -> tuple[list[object], list[list[object]]]:
    rows = [list(r) for r in load_workbook(path)["Jobs"].iter_rows(values_only=True)]
    return rows[0], rows[1:]


def made(tmp_path: Path, count: int) -> Path:
    path = write_book(tmp_path / "April.xlsx", [letter() for _ in range(count)])
    assert main(["run", str(path)], out=io.StringIO()) == 0
    return path


def test_status_writes_job_status_and_says_each_jobs_state(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = made(tmp_path, 2)
    out = io.StringIO()
    assert main(["status", str(path)], out=out) == 0
    header, rows = jobs_sheet(path)
    status = header.index("Job Status")
    assert header[status + 1] == "Tracking"
    assert [r[status] for r in rows] == ["Editing", "Editing"]
    assert [r[header.index("Description")] for r in rows] == ["Created", "Created"]
    text = out.getvalue()
    assert text.count(": Editing") == 2
    assert "Refreshed the status of 2 job(s): 2 Editing." in text


def test_status_of_a_mailed_job_shows_its_tracking(tmp_path: Path, sandbox_env: Sandbox) -> None:
    sandbox_env.config.seconds_per_state = 0  # mailed as soon as it is submitted
    path = made(tmp_path, 1)
    _, rows = jobs_sheet(path)
    job = rows[0][9]
    assert isinstance(job, int)
    with Click2MailClient(sandbox_env.url, "sandbox", sandbox_env.config.password) as client:
        Mailing(client).submit_job(job, "User Credit")
    out = io.StringIO()
    assert main(["status", str(path)], out=out) == 0
    header, rows = jobs_sheet(path)
    assert rows[0][header.index("Job Status")] == "Mailed"
    assert "pieces scanned" in str(rows[0][header.index("Tracking")])
    assert "Mailed; " in out.getvalue()


def test_proof_saves_each_pdf_beside_the_workbook_with_a_link(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = made(tmp_path, 2)
    out = io.StringIO()
    assert main(["proof", str(path)], out=out) == 0
    header, rows = jobs_sheet(path)
    column = header.index("Proof")
    folder = tmp_path / "April proofs"
    sheet = load_workbook(path)["Jobs"]
    for r, row in enumerate(rows, start=2):
        pdf = folder / f"{row[9]}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-")
        assert row[column] == f"April proofs/{row[9]}.pdf"
        link = sheet.cell(r, column + 1).hyperlink
        assert link is not None and link.target == f"April%20proofs/{row[9]}.pdf"
    assert f"Saved 2 proof(s) in {folder}" in out.getvalue()


def test_a_job_without_a_proof_makes_the_command_fail_and_says_why(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = write_book(tmp_path / "April.xlsx", [letter()])
    book = load_workbook(path)
    sheet = book["Jobs"]
    sheet.cell(1, 10, "Job ID")
    for c, name in enumerate(("HTTP Status", "Return Code", "Description"), start=11):
        sheet.cell(1, c, name)
    sheet.cell(2, 10, 999_999)
    book.save(path)
    out = io.StringIO()
    assert main(["proof", str(path)], out=out) == 1
    assert "job 999999: no proof: " in out.getvalue()
    assert not (tmp_path / "April proofs" / "999999.pdf").exists()


def test_proof_run_again_skips_the_proofs_already_saved_and_says_so(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = made(tmp_path, 2)
    assert main(["proof", str(path)], out=io.StringIO()) == 0
    asked = sandbox_env.state.requests.get("proof", 0)
    out = io.StringIO()
    assert main(["proof", str(path)], out=out) == 0
    assert sandbox_env.state.requests.get("proof", 0) == asked  # no second proof
    folder = tmp_path / "April proofs"
    assert f"Saved 0 proof(s) in {folder}; skipped 2 already saved there" in out.getvalue()
    header, rows = jobs_sheet(path)
    assert [r[header.index("Proof")] for r in rows] == [f"April proofs/{r[9]}.pdf" for r in rows]
    link = load_workbook(path)["Jobs"].cell(2, header.index("Proof") + 1).hyperlink
    assert link is not None and link.target == f"April%20proofs/{rows[0][9]}.pdf"
