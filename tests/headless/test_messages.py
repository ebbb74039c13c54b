"""What the command line tells an operations person: where the results went, rows in sheet
order, what a validation found, what a cancel left behind, what the demo shows on purpose,
and a Log line like the ribbon's. Each message says what happened and what to do, in plain
words, without a traceback."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xl_mailer.app.report import LOG_HEADERS, log_line
from xl_mailer.core.models import REQUIRED_PARAMS, Outcome
from xl_mailer.engine.runner import RunSummary
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox, SandboxConfig

from ..conftest import LETTER, letter, write_book


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["run", *argv], out=out)
    return code, out.getvalue()


def row_numbers(text: str) -> list[int]:
    return [int(line.split(":")[0].split()[1]) for line in text.splitlines() if line[:4] == "row "]


# -- where the results go ----------------------------------------------------------------------


def test_an_owner_column_after_the_parameters_does_not_stop_the_run_and_the_run_says_where(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    headers = [*REQUIRED_PARAMS, "Owner"]
    rows = [letter(Owner="Ann"), letter(Owner="Bob", documentId=1002)]
    path = write_book(tmp_path / "jobs.xlsx", rows, headers=headers)
    code, text = run(str(path))
    assert code == 0, text
    assert "Results go in columns K to P, right of the last column in use" in text
    assert "(your column J is left as it is)" in text
    assert "in use. Insert" not in text
    sheet = load_workbook(path)["Jobs"]
    assert [sheet["J2"].value, sheet["J3"].value] == ["Ann", "Bob"]
    assert sheet["K1"].value == "Job ID" and sheet["K2"].value in sandbox_env.state.jobs


def test_a_workbook_libreoffice_has_open_is_left_alone(
    tmp_path: Path, sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [letter()])
    (tmp_path / ".~lock.jobs.xlsx#").write_text("ann,host,2026", encoding="utf-8")
    before = path.read_bytes()
    assert run(str(path))[0] == 2
    assert "is open in LibreOffice (.~lock.jobs.xlsx# exists); close it there first" in (
        capsys.readouterr().err
    )
    assert path.read_bytes() == before
    assert sandbox_env.state.create_requests == 0


# -- option values typed with a slip ---------------------------------------------------------


def test_spaces_around_an_option_value_do_not_stop_the_row(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = write_book(
        tmp_path / "jobs.xlsx",
        [letter(documentClass=" Letter 8.5 x 11", layout="Address on Separate Page ")],
    )
    assert run(str(path))[0] == 0
    (job,) = sandbox_env.state.jobs.values()
    assert job.params["documentClass"] == "Letter 8.5 x 11"
    assert job.params["layout"] == "Address on Separate Page"


# -- rows in sheet order, and what a validation found ------------------------------------------


def test_rows_are_listed_in_sheet_order_whatever_order_the_answers_came_in(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    rows = [letter(documentId=1000 + n) if n % 3 else letter(layout="Nope") for n in range(1, 13)]
    path = write_book(tmp_path / "jobs.xlsx", rows)
    code, text = run(str(path), "--concurrency", "8")
    assert code == 1
    # the refused rows are recorded before any answer arrives: printed as they came, they
    # would come first
    assert row_numbers(text) == list(range(2, 14))


def test_the_rows_answered_are_listed_even_when_the_run_then_stops_on_an_error(
    tmp_path: Path, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    real_mkstemp = tempfile.mkstemp
    saves: list[str] = []

    def full_disk(*args: object, **kwargs: object) -> tuple[int, str]:
        handle, name = real_mkstemp(*args, **kwargs)  # type: ignore[call-overload]
        saves.append(name)
        if len(saves) == 1:  # the save before sending goes through; the one after does not
            return handle, name
        os.close(handle)
        return os.open("/dev/full", os.O_WRONLY), name

    monkeypatch.setattr("xl_mailer.headless.xlsx.tempfile.mkstemp", full_disk)
    path = write_book(tmp_path / "jobs.xlsx", [letter(), letter(documentId=1002)])
    code, text = run(str(path))
    assert code == 2
    assert row_numbers(text) == [2, 3]
    assert "created  job" in text


def test_validate_only_counts_rows_ready_and_rows_that_would_be_refused(tmp_path: Path) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [letter(), letter(layout="Nope"), letter()])
    code, text = run(str(path), "--validate-only")
    assert code == 1
    assert "Totals: 2 ready to send, 1 would be refused; nothing was sent (validation only)" in text
    assert "failed" not in text and "created" not in text
    assert row_numbers(text) == [2, 3, 4]
    assert "Fix the rows that would be refused (each one's line says why), then check again." in (
        text
    )


def test_totals_say_which_failures_click2mail_refused_and_what_to_do(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    rows = [letter(), letter(documentId=9999), letter(layout="Nope")]
    path = write_book(tmp_path / "jobs.xlsx", rows)
    code, text = run(str(path))
    assert code == 1
    assert "Totals: 1 created, 2 failed (1 refused by Click2Mail, 1 refused before sending)" in text
    assert "Refused by Click2Mail: a row with an HTTP Status and a non-zero Return Code" in text
    assert "(HTTP 200 too) made no job and will not be mailed" in text
    assert "Not sent: a row whose Description starts with 'Not sent' never left" in text


# -- the demo ----------------------------------------------------------------------------------


def test_the_demo_says_which_rows_fail_on_purpose_and_how_to_read_http_200(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["demo", "--dir", str(tmp_path)], out=out) == 0
    text = out.getvalue()
    assert "12 rows: 4 correct ones, and 8 made to fail on purpose" in text
    assert "The 8 failed rows fail on purpose:" in text
    assert "row  8: document 9999 does not exist at Click2Mail" in text
    assert "HTTP 200 only means the answer arrived; the Return Code says it was a refusal." in text
    assert (
        "The demo went as expected: 4 jobs created, costed, submitted, mailed and proofed, and"
        " the 8 rows made to fail were refused." in text
    )
    lines = text.splitlines()
    first = next(n for n, line in enumerate(lines) if line.startswith("---")) + 1
    table = [line.split()[0] for line in lines[first : lines.index("", first)]]
    assert table == [str(n) for n in range(4, 16)]  # the table in sheet order, row by row
    sheet = load_workbook(tmp_path / "demo-jobs.xlsx")["Jobs"]
    column = [cell.value for cell in sheet[3]].index("About this row") + 1
    about = {sheet.cell(row, column).value for row in range(4, 16)}
    assert "Fails on purpose: document 9999 does not exist at Click2Mail" in about


# -- Ctrl-C ------------------------------------------------------------------------------------


def start_run(box: Sandbox, path: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "C2M_ENDPOINT": box.url,
        "C2M_USERNAME": "sandbox",
        "C2M_PASSWORD": box.config.password,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "xl_mailer.cli", "run", str(path), "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def interrupted(box: Sandbox, path: Path, *, after_jobs: int, times: int) -> tuple[int, str]:
    """Run ``path``, press Ctrl-C ``times`` once the sandbox has made ``after_jobs`` jobs;
    the exit code and what the run said on stderr."""
    runner = start_run(box, path)
    deadline = time.monotonic() + 30
    while len(box.state.jobs) < after_jobs:
        assert time.monotonic() < deadline and runner.poll() is None
        time.sleep(0.01)
    for press in range(times):
        if press:
            time.sleep(0.3)
        runner.send_signal(signal.SIGINT)
    _, err = runner.communicate(timeout=60)
    return runner.returncode, err


def test_ctrl_c_says_how_many_rows_were_sent_and_that_running_again_continues(
    tmp_path: Path,
) -> None:
    with Sandbox(SandboxConfig(latency=0.05)) as box:
        path = write_book(tmp_path / "jobs.xlsx", [LETTER] * 60)
        code, err = interrupted(box, path, after_jobs=8, times=1)
        assert code == 2, err
        sent = len(box.state.jobs)
        assert 0 < sent < 60
        assert (
            f"Cancelled with Ctrl-C: {sent} row(s) were sent before the cancel, and their"
            f" answers are saved; {60 - sent} row(s) were not sent. To continue, run the same"
            " command again: rows that have a Job ID are skipped, so nothing is sent twice."
        ) in err
        again = start_run(box, path)
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, out + err
        assert len(box.state.jobs) == 60  # the rest, and nothing twice


def test_a_second_ctrl_c_says_where_the_job_ids_are_and_that_running_again_continues(
    tmp_path: Path,
) -> None:
    # every job is made at once and answered 3 s later: the second Ctrl-C comes while the
    # first four answers are still on their way
    with Sandbox(SandboxConfig(fault="timeout", fault_seconds=3)) as box:
        path = write_book(tmp_path / "jobs.xlsx", [LETTER] * 40)
        code, err = interrupted(box, path, after_jobs=4, times=2)
    assert code == 2, err
    assert "xl-mailer: Stopped at once by a second Ctrl-C, after 0 answer(s)" in err
    assert "Every job id received is in the journal beside the workbook" in err
    assert "To continue, run the same command again: it puts every id back" in err
    assert f"'xl-mailer reconcile {path}' finds out whether its job was made" in err
    assert "Traceback" not in err and err.count("xl-mailer:") == 1


# -- the Log sheet -----------------------------------------------------------------------------


def test_a_headless_run_adds_its_line_to_the_log_sheet_like_the_ribbon(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [letter(), letter(documentId=9999)])
    book = load_workbook(path)
    log = book.create_sheet("Log")
    log.append(list(LOG_HEADERS))
    log.append([dt.datetime(2026, 1, 2, 9, 30), "ann", "stage", 3, 0, 0, 1.5])
    book.save(path)
    before = dt.datetime.now().replace(microsecond=0)
    assert run(str(path))[0] == 1
    lines = [list(r) for r in load_workbook(path)["Log"].iter_rows(values_only=True)]
    assert len(lines) == 3
    when, who, endpoint, created, failed, skipped, seconds = lines[2]
    assert isinstance(when, dt.datetime) and when >= before
    assert who and endpoint == sandbox_env.url
    assert (created, failed, skipped) == (1, 1, 0)
    assert isinstance(seconds, int | float) and seconds >= 0
    assert run(str(path))[0] == 1  # the refused row goes again; the created one is skipped
    lines = [list(r) for r in load_workbook(path)["Log"].iter_rows(values_only=True)]
    assert lines[3][3:6] == [0, 1, 1]


def test_a_workbook_without_a_log_sheet_gets_none(tmp_path: Path, sandbox_env: Sandbox) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [letter()])
    assert run(str(path))[0] == 0
    assert load_workbook(path).sheetnames == ["Jobs"]


def test_the_log_line_is_one_shape_for_both_front_doors() -> None:
    summary = RunSummary(total=5, seconds=2.345)
    for outcome, count in ((Outcome.CREATED, 2), (Outcome.FAILED, 1), (Outcome.SKIPPED, 2)):
        summary.counts[outcome] = count
    line = log_line(
        summary, endpoint="stage", when=dt.datetime(2026, 3, 4, 5, 6, 7, 890), user="ann"
    )
    assert line == [dt.datetime(2026, 3, 4, 5, 6, 7), "ann", "stage", 2, 1, 2, 2.3]
    assert len(line) == len(LOG_HEADERS)
