"""Regressions for the ways a row could have been sent twice or an id lost, found in review."""

from __future__ import annotations

import datetime as dt
import io
import os
import socket
import ssl
import threading
from pathlib import Path

import pytest
import trustme
from openpyxl import load_workbook

from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.core.errors import ApiError
from xl_mailer.core.models import REQUIRED_PARAMS, JobRequest, JobResult, Outcome
from xl_mailer.engine.journal import Journal, RunLock, journal_path
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox, SandboxConfig

from .conftest import LETTER, Canned, write_book

HEADERS = [*REQUIRED_PARAMS, "rtnName"]
JOB, HTTP, CODE, TEXT, KEY = range(10, 15)
REQUEST = JobRequest(2, tuple((k, str(v)) for k, v in LETTER.items()), "xlm-2611281000-aaaaaa")


def test_a_tls_error_after_the_request_was_written_is_unknown_and_never_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    posts: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            tls = context.wrap_socket(raw, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                data += tls.recv(65536)
            posts.append(data)  # the whole request arrived: a job would be made here
            plain = socket.socket(fileno=tls.detach())
            plain.sendall(b"\x17\x03\x03\x00\x20" + os.urandom(32))  # a corrupt TLS record
            plain.close()

    threading.Thread(target=serve, daemon=True).start()
    port = listener.getsockname()[1]
    client = Click2MailClient(
        f"https://localhost:{port}/molpro", "u", "p", timeout=5, sleep=lambda s: None
    )
    result = client.create_job(REQUEST)
    listener.close()
    assert len(posts) == 1
    assert result.outcome is Outcome.UNKNOWN


def test_an_existing_output_is_refused_so_a_rerun_cannot_send_everything_again(
    tmp_path: Path, sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_book(tmp_path / "in.xlsx", [LETTER, LETTER])
    output = tmp_path / "out.xlsx"
    assert main(["run", str(source), "--output", str(output)], out=io.StringIO()) == 0
    assert main(["run", str(source), "--output", str(output)], out=io.StringIO()) == 2
    assert "exists already and may hold job ids of an earlier run" in capsys.readouterr().err
    assert sandbox_env.state.create_requests == 2
    assert main(["run", str(output)], out=io.StringIO()) == 0  # continuing sends nothing
    assert sandbox_env.state.create_requests == 2


def test_an_output_run_of_a_source_with_an_unfinished_journal_sends_none_of_its_rows(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    source = write_book(tmp_path / "in.xlsx", [LETTER])
    before = source.read_bytes()
    journal = Journal(journal_path(source))  # beside the book, as earlier versions kept it
    journal.sending([REQUEST])
    journal.close()
    output = tmp_path / "o.xlsx"
    assert main(["run", str(source), "--output", str(output)], out=io.StringIO()) == 1
    sheet = load_workbook(output)["Jobs"]
    row = {sheet.cell(1, c.column).value: c.value for c in sheet[2]}
    assert str(row["Description"]).startswith("UNKNOWN: the previous run stopped while this row")
    assert sandbox_env.state.create_requests == 0
    assert source.read_bytes() == before


def test_two_runs_on_one_workbook_cannot_overlap(
    tmp_path: Path, sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [LETTER])
    with RunLock(path):
        assert main(["run", str(path)]) == 2
    assert "another xl-mailer run is working on it" in capsys.readouterr().err
    assert sandbox_env.state.create_requests == 0
    assert main(["run", str(path)], out=io.StringIO()) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><body>Sign in</body></html>", "a <html> document"),
        (b"<?xml version='1.0'?><login><form/></login>", "a <login> document"),
        (
            b"<jobs><status>9</status><description>Not authorized</description></jobs>",
            "with status 9",
        ),
    ],
)
def test_a_listing_that_is_not_one_settles_nothing(
    canned: type[Canned], body: bytes, message: str
) -> None:
    server = canned(200, body)
    with Click2MailClient(server.url, "u", "p") as client, pytest.raises(ApiError, match=message):
        client.find_jobs(dt.date(2026, 11, 28))


def test_a_cleared_job_id_is_put_back_from_the_journal(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    headers = [*HEADERS, "Job ID", "HTTP Status", "Return Code", "Description", "Request Key"]
    # the id was deleted by hand, the rest of the result left behind
    row = {**LETTER, "HTTP Status": 201, "Return Code": 0, "Description": "Created"}
    path = write_book(tmp_path / "jobs.xlsx", [row], headers=headers)
    journal = Journal(journal_path(path))
    params = tuple((k, str(v)) for k, v in LETTER.items())
    made = JobRequest(2, params, "xlm-2611281000-aaaaaa")
    journal.sending([made])
    journal.result(made, JobResult(Outcome.CREATED, "Created", 501, 201, 0))
    journal.close()
    assert main(["run", str(path)], out=io.StringIO()) == 0
    assert load_workbook(path)["Jobs"].cell(2, JOB + 1).value == 501
    assert sandbox_env.state.create_requests == 0


def test_blocks_never_rewrite_rows_the_run_did_not_touch(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    done = {
        **LETTER,
        "Job ID": 9,
        "HTTP Status": 201,
        "Return Code": 0,
        "Description": '=CONCAT("Cre","ated")',
    }
    headers = [*HEADERS, "Job ID", "HTTP Status", "Return Code", "Description", "Request Key"]
    path = write_book(tmp_path / "jobs.xlsx", [LETTER, done, LETTER], headers=headers)
    assert main(["run", str(path), "--concurrency", "1"], out=io.StringIO()) == 0
    sheet = load_workbook(path)["Jobs"]
    assert sheet.cell(3, TEXT + 1).value == '=CONCAT("Cre","ated")'  # untouched formula
    assert [sheet.cell(r, HTTP + 1).value for r in (2, 4)] == [201, 201]


def test_a_password_outside_latin_1_works_and_is_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = "pässwörd-€uro"
    with Sandbox(SandboxConfig(password=secret)) as box:
        monkeypatch.setenv("C2M_ENDPOINT", box.url)
        monkeypatch.setenv("C2M_USERNAME", "sandbox")
        monkeypatch.setenv("C2M_PASSWORD", secret)
        path = write_book(tmp_path / "jobs.xlsx", [LETTER])
        assert main(["run", str(path)], out=io.StringIO()) == 0
        monkeypatch.setenv("C2M_PASSWORD", secret + "x")
        another = write_book(tmp_path / "b.xlsx", [{**LETTER, "addressId": 2003}])
        assert main(["run", str(another)]) == 2
    captured = capfd.readouterr()
    assert secret not in captured.out + captured.err


def test_reconcile_against_an_unreachable_endpoint_says_so_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [LETTER], headers=HEADERS)
    book = load_workbook(path)
    book["Jobs"].cell(1, TEXT + 1, "Description")
    for c, name in enumerate(("Job ID", "HTTP Status", "Return Code"), start=JOB + 1):
        book["Jobs"].cell(1, c, name)
    book["Jobs"].cell(1, KEY + 1, "Request Key")
    book["Jobs"].cell(2, TEXT + 1, "UNKNOWN: no answer")
    book.save(path)
    monkeypatch.setenv("C2M_USERNAME", "u")
    monkeypatch.setenv("C2M_PASSWORD", "p")
    assert main(["reconcile", str(path), "--endpoint", "http://127.0.0.1:9/molpro"]) == 2
    err = capsys.readouterr().err
    assert "Cannot reach http://127.0.0.1:9/molpro" in err and "Traceback" not in err
