from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox

from ..conftest import letter, write_book


def test_demo_creates_jobs_and_shows_documented_refusals(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["demo", "--dir", str(tmp_path)], out=out) == 0
    text = out.getvalue()
    assert "Totals: 4 created, 8 failed" in text
    for expected in (
        "201          0            Created",
        "DocumentId not found",
        "Address List ID not found",
        "Document Type cannot Mail Internationally",
        "Product not authorized for this customer",
        "Project does not exist",
        "Mailing date should be greater than current date.",
        "Not sent: layout 'Adress on Separate Page'",
    ):
        assert expected in text
    assert (tmp_path / "demo-jobs.xlsx").exists()


def test_demo_takes_the_sample_through_the_whole_mailing(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["demo", "--dir", str(tmp_path)], out=out) == 0
    text = out.getvalue()
    for expected in (
        "Documents: 2 uploaded.",
        "address list 'Customers': CASS Standardized",
        "Before creating jobs: 2 row(s) given their ids.",
        "Cost of 4 job(s) not yet submitted: $",
        "Nothing submitted: the 4 approved job(s) cost $",  # the limit of $1, on purpose
        "it answers yes, as --yes does",
        "4 job(s) submitted now for $",
        "Refreshed the status of 4 job(s): 4 Mailed.",
        "Saved 4 proof(s) in",
        "4 jobs created, costed, submitted, mailed and proofed",
    ):
        assert expected in text, expected
    assert text.index("Nothing submitted") < text.index("4 job(s) submitted now")
    proofs = sorted((tmp_path / "demo-jobs proofs").glob("*.pdf"))
    assert len(proofs) == 4 and all(p.read_bytes().startswith(b"%PDF") for p in proofs)
    assert str(proofs[0]) in text
    assert (tmp_path / "demo-letter.pdf").read_bytes().startswith(b"%PDF")


def test_the_demo_run_again_creates_its_jobs_again(tmp_path: Path) -> None:
    # a new sample against a new sandbox: nothing of the first demo holds its rows back
    assert main(["demo", "--dir", str(tmp_path)], out=io.StringIO()) == 0
    again = io.StringIO()
    assert main(["demo", "--dir", str(tmp_path)], out=again) == 0
    assert "Totals: 4 created, 8 failed" in again.getvalue()


def test_missing_credentials_stop_before_anything_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sandbox: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [letter()])
    assert main(["run", str(path), "--endpoint", sandbox.url]) == 2
    err = capsys.readouterr().err
    assert "No Click2Mail username" in err and "C2M_USERNAME" in err
    assert sandbox.state.create_requests == 0


def test_missing_password_says_how_to_set_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C2M_USERNAME", "ops")
    path = write_book(tmp_path / "jobs.xlsx", [letter()])
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "No Click2Mail password for ops at stage" in err
    assert "xl-mailer login" in err and "C2M_PASSWORD" in err


def test_plain_http_to_another_machine_is_refused_before_any_connection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C2M_USERNAME", "ops")
    monkeypatch.setenv("C2M_PASSWORD", "s3cret-value")
    path = write_book(tmp_path / "jobs.xlsx", [letter()])
    assert main(["run", str(path), "--endpoint", "http://c2m.example.com/molpro"]) == 2
    err = capsys.readouterr().err
    assert "uses plain http to c2m.example.com" in err
    assert "s3cret-value" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["run"])
    assert stopped.value.code == 2
    with pytest.raises(SystemExit) as stopped:
        main(["run", "x.xlsx", "--timeout", "0"])
    assert stopped.value.code == 2


def test_the_endpoint_defaults_to_staging_never_production(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C2M_USERNAME", "ops")
    path = write_book(tmp_path / "jobs.xlsx", [letter()])
    main(["run", str(path)])
    assert "at stage" in capsys.readouterr().err


def test_the_installed_command_runs_a_workbook_as_a_subprocess(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [letter(), letter(documentId=9999)])
    env = {
        **os.environ,
        "C2M_ENDPOINT": sandbox.url,
        "C2M_USERNAME": "sandbox",
        "C2M_PASSWORD": sandbox.config.password,
    }
    done = subprocess.run(
        [sys.executable, "-m", "xl_mailer.headless.cli", "run", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "row     2: created  job" in done.stdout
    assert "row     3: failed   [200/1] DocumentId not found" in done.stdout
    assert "Totals: 1 created, 1 failed" in done.stdout
    assert sandbox.config.password not in done.stdout + done.stderr


def test_login_keeps_the_password_in_the_keyring_and_prints_it_nowhere(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    from xl_mailer.click2mail import endpoints
    from xl_mailer.click2mail.credentials import service_name

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        store: dict[tuple[str, str], str] = {}

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        asked: list[str] = []
        monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "s3cr3t!")
        assert main(["login", "--endpoint", "stage", "--username", "ann"]) == 0
        service = service_name(endpoints.resolve("stage"))
        assert Memory.store == {(service, "ann"): "s3cr3t!"}
        assert asked == ["Password for ann at stage: "]
        shown = capsys.readouterr()
        assert "s3cr3t!" not in shown.out + shown.err
        assert "Password kept in the OS keyring for ann at stage." in shown.out

        monkeypatch.setattr("getpass.getpass", lambda prompt: "")
        assert main(["login", "--endpoint", "stage", "--username", "bob"]) == 2
        assert "No password given; nothing stored." in capsys.readouterr().err
        assert (service, "bob") not in Memory.store
    finally:
        keyring.set_keyring(previous)


def test_the_sandbox_command_serves_the_api_until_ctrl_c() -> None:
    import signal

    from xl_mailer.click2mail.client import Click2MailClient
    from xl_mailer.sandbox import PASSWORD, USERNAME

    command = [sys.executable, "-m", "xl_mailer.cli", "sandbox", "--port", "0"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as server:
        try:
            assert server.stdout is not None
            first = server.stdout.readline()
            assert first.startswith("Click2Mail sandbox at http://127.0.0.1:")
            url = first.rsplit(" ", 1)[1].strip()
            assert f"Username: {USERNAME}" in server.stdout.readline()
            with Click2MailClient(url, USERNAME, PASSWORD) as client:
                assert client.check_credentials().fields.get("balance")
            server.send_signal(signal.SIGINT)
            assert server.wait(timeout=30) == 0
        finally:
            if server.poll() is None:
                server.kill()


def test_archive_moves_finished_rows_to_history_and_the_next_days_rows_are_sent(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    from openpyxl import load_workbook

    path = write_book(tmp_path / "jobs.xlsx", [letter(), letter(documentId=1002)])
    assert main(["run", str(path)], out=io.StringIO()) == 0
    out = io.StringIO()
    assert main(["archive", str(path)], out=out) == 0
    assert out.getvalue() == "Moved 2 finished row(s) to the History sheet.\n"
    book = load_workbook(path)
    history = [list(r) for r in book["History"].iter_rows(values_only=True)]
    assert history[0][-1] == "Archived" and len(history) == 3
    assert {line[9] for line in history[1:]} == set(sandbox_env.state.jobs)
    jobs = book["Jobs"]
    assert all(v is None for line in jobs.iter_rows(min_row=2, values_only=True) for v in line)
    # the next day, typed where yesterday's rows were: a new mailing, and yesterday's first
    # one exactly (held back: an old row put back, or the same letter again? a person says)
    for number, row in enumerate((letter(documentId=1003), letter()), start=2):
        for column, name in enumerate(REQUIRED_PARAMS, start=1):
            jobs.cell(number, column, row[name])
    book.save(path)
    assert main(["run", str(path)], out=io.StringIO()) == 1
    assert len(sandbox_env.state.jobs) == 3
    held = load_workbook(path)["Jobs"]["M3"].value
    assert str(held).startswith("Not sent: held back")


def test_archive_refuses_to_move_formulas_that_only_excel_can_adjust_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import load_workbook

    headers = [*REQUIRED_PARAMS, "notes", "Job ID", "HTTP Status", "Return Code", "Description"]
    done = {**letter(), "Job ID": 245986, "notes": "sent"}
    path = write_book(tmp_path / "jobs.xlsx", [done, letter()], headers=headers)
    book = load_workbook(path)
    book["Jobs"]["J3"] = "=Customers!A3"  # a row below the finished one, from another sheet
    book.create_sheet("Customers")["A3"] = "Bob"
    book.save(path)
    before = path.read_bytes()
    assert main(["archive", str(path)], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "J3 holds a formula" in err and "Nothing was moved" in err
    assert "Archive Finished Rows in Excel" in err
    assert path.read_bytes() == before

    book = load_workbook(path)
    book["Jobs"]["J3"] = "Bob"
    book["Customers"]["B1"] = "=Jobs!H2"  # another sheet that points into the rows
    book.save(path)
    assert main(["archive", str(path)], out=io.StringIO()) == 2
    assert "Customers!B1 refers to this sheet" in capsys.readouterr().err
