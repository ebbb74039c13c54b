"""Regressions for the ways a row could have been sent twice or an id lost, found in review."""

from __future__ import annotations

import datetime as dt
import io
import os
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest
import trustme
from openpyxl import load_workbook

from xl_mailer.app.reconcile import Pending, settle
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.core.errors import ApiError
from xl_mailer.core.models import REQUIRED_PARAMS, JobRequest, JobResult, Outcome
from xl_mailer.core.outcomes import create_outcome
from xl_mailer.core.rows import RowPlan
from xl_mailer.engine.journal import Journal, RunLock, journal_path
from xl_mailer.engine.runner import execute
from xl_mailer.engine.workbooks import journal_for
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


def test_an_answer_that_names_a_job_is_never_a_clean_refusal() -> None:
    refused_with_id = create_outcome(400, root="job", code=9, description="odd", job_id=246001)
    assert (refused_with_id.outcome, refused_with_id.job_id) == (Outcome.UNKNOWN, 246001)
    ok_without_201 = create_outcome(200, root="job", code=0, description="", job_id=246002)
    assert (ok_without_201.outcome, ok_without_201.job_id) == (Outcome.UNKNOWN, 246002)


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


def test_a_listing_without_app_signature_never_declares_a_row_safe() -> None:
    sent = dt.datetime(2026, 11, 28, 10, 0)
    row = Pending(7, "xlm-2611281000-aaaaaa", REQUEST.params, sent, sent)
    listing = [{"id": "777", **{k: str(v) for k, v in LETTER.items()}}]
    later = dt.datetime(2026, 11, 29)
    result = settle(row, listing, later.date(), now=later)
    assert result.outcome is Outcome.UNKNOWN
    assert "does not show appSignature" in result.description


def test_a_row_is_not_declared_safe_while_its_job_may_still_be_in_the_making() -> None:
    # the key was made at 10:00, but the request last left at 10:04:10 (a 429 pause)
    row = Pending(
        7,
        "xlm-2611281000-aaaaaa",
        REQUEST.params,
        dt.datetime(2026, 11, 28, 10, 0),
        dt.datetime(2026, 11, 28, 10, 4, 10),
    )
    soon = dt.datetime(2026, 11, 28, 10, 6)
    result = settle(row, [], soon.date(), now=soon)
    assert result.outcome is Outcome.UNKNOWN
    assert "reconcile again after 2026-11-28 10:09:10 UTC" in result.description
    later = dt.datetime(2026, 11, 28, 10, 9, 10)
    assert settle(row, [], later.date(), now=later).outcome is Outcome.FAILED


def test_a_crash_while_sending_marks_the_row_unknown_and_keeps_the_journal(
    tmp_path: Path, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xl_mailer.click2mail import client as client_module

    def explode(self: Click2MailClient, request: JobRequest) -> JobResult:
        raise RuntimeError("something unforeseen")

    monkeypatch.setattr(client_module.Click2MailClient, "create_job", explode)
    path = write_book(tmp_path / "jobs.xlsx", [LETTER], headers=HEADERS)
    assert main(["run", str(path)], out=io.StringIO()) == 2
    row = [c.value for c in load_workbook(path)["Jobs"][2]]
    assert str(row[TEXT]).startswith("UNKNOWN: sending failed unexpectedly (RuntimeError")
    kept = journal_for(path)
    assert kept is not None and kept.path.exists()


def test_ctrl_c_while_recording_stops_sending_and_records_what_arrives() -> None:
    sent: list[int] = []

    def send(request: JobRequest) -> JobResult:
        sent.append(request.row)
        time.sleep(0.02)
        return JobResult(Outcome.CREATED, "Created", request.row)

    recorded: list[int] = []
    interrupted = [False]

    def record(row: int, result: JobResult) -> None:
        if not interrupted[0]:
            interrupted[0] = True
            raise KeyboardInterrupt
        recorded.append(row)

    plans = [RowPlan(r, request=JobRequest(r, (("documentId", "1"),))) for r in range(2, 202)]
    summary = execute(plans, send, record=record, concurrency=4)
    time.sleep(0.1)
    assert len(sent) < 20  # sending stopped
    assert sorted(recorded) == sorted(sent)  # the interrupted answer is recorded again: none lost
    assert summary.stopped and summary.stopped.startswith("cancelled")


def test_a_401_leaves_no_row_unknown_for_later_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Sandbox(SandboxConfig(fault="password", fault_every=2)) as box:
        monkeypatch.setenv("C2M_ENDPOINT", box.url)
        monkeypatch.setenv("C2M_USERNAME", "sandbox")
        monkeypatch.setenv("C2M_PASSWORD", box.config.password)
        path = write_book(tmp_path / "jobs.xlsx", [LETTER] * 3, headers=HEADERS)
        journal = Journal(journal_path(path))
        from xl_mailer.app.create import RunOptions, run_sheet
        from xl_mailer.headless.xlsx import open_sheet

        port = open_sheet(path)
        with Click2MailClient(box.url, "sandbox", box.config.password) as client:
            run = run_sheet(port, client.create_job, RunOptions(concurrency=1), journal=journal)
        port.save()
        journal.close()  # kept, as the ribbon keeps it
        assert run.summary.authentication_failed
        box.state.password_revoked = False
        box.config.fault = None
        assert main(["run", str(path)], out=io.StringIO()) == 0
        texts = [
            r[TEXT] for r in load_workbook(path)["Jobs"].iter_rows(min_row=2, values_only=True)
        ]
        assert texts == ["Created"] * 3
        assert len(box.state.jobs) == 3


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
