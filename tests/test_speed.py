"""Structure of a fast run: block writes, one keep-alive pool, shared backoff, clean cancel.

Speed itself is measured by bench/bench.py, never by a timed test."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import xlwings as xw
from openpyxl import load_workbook

from xl_mailer import ribbon
from xl_mailer.click2mail.client import SharedBackoff
from xl_mailer.core.models import REQUIRED_PARAMS, JobRequest, JobResult, Outcome
from xl_mailer.core.rows import RowPlan
from xl_mailer.engine.runner import execute
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox, SandboxConfig

from .conftest import LETTER, write_book
from .remote import actions, payload_from_workbook


def test_a_thousand_rows_take_a_handful_of_block_writes_through_the_remote_engine(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 1000
    cells = {
        (5 + r, c + 1): LETTER[name] for r in range(n) for c, name in enumerate(REQUIRED_PARAMS)
    }
    book = xw.Book(
        json=payload_from_workbook(
            changes={"Jobs": cells, "Settings": {(2, 2): sandbox.url, (4, 2): 8, (5, 2): "sandbox"}}
        )
    )
    monkeypatch.setenv("C2M_PASSWORD", sandbox.config.password)
    summary = ribbon.create_jobs(book)
    assert summary.created == n
    writes = [a for a in actions(book, "setValues") if a["sheet_position"] == 0]
    # results go out every 50 rows (or 2 s): about n/50 blocks, never one write per cell or row
    assert n / 50 <= len(writes) <= n / 50 + 3
    # blocks are joined across rows still in flight: a few rows are written twice, none lost
    assert n <= sum(a["row_count"] for a in writes) <= n * 1.1
    assert {a["column_count"] for a in writes} == {6}


def test_the_headless_run_writes_in_blocks_too(
    tmp_path: Path, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xl_mailer.headless import xlsx

    calls: list[int] = []
    original = xlsx.FileSheet.write_block

    def counting(self: xlsx.FileSheet, row: int, column: int, values: list[list[object]]) -> None:
        calls.append(len(values))
        original(self, row, column, values)

    monkeypatch.setattr(xlsx.FileSheet, "write_block", counting)
    path = write_book(tmp_path / "jobs.xlsx", [LETTER] * 300)
    assert main(["run", str(path), "--concurrency", "8"], out=io.StringIO()) == 0
    assert 300 + 1 <= sum(calls) <= 330  # every row (a few twice), plus the header row
    assert len(calls) <= 300 / 50 + 3


def test_workers_share_one_keep_alive_pool(tmp_path: Path, sandbox_env: Sandbox) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [LETTER] * 200)
    assert main(["run", str(path), "--concurrency", "4"], out=io.StringIO()) == 0
    assert sandbox_env.state.create_requests == 200
    assert sandbox_env.state.connections <= 4 + 1  # at most one per worker, plus a spare


def test_a_429_pauses_every_worker_not_just_the_one_that_got_it() -> None:
    backoff = SharedBackoff()
    backoff.push(0.3)
    started = time.monotonic()
    waits: list[float] = []

    def worker() -> None:
        backoff.wait()
        waits.append(time.monotonic() - started)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(waits) == 4 and min(waits) >= 0.29


def test_a_cancelled_run_sends_no_new_rows_and_records_every_answer_in_flight() -> None:
    cancel = threading.Event()
    sent: list[int] = []
    in_flight = threading.Semaphore(0)

    def send(request: JobRequest) -> JobResult:
        sent.append(request.row)
        if len(sent) == 6:
            cancel.set()  # the user pressed Ctrl-C while rows were on their way
        time.sleep(0.05)
        in_flight.release()
        return JobResult(Outcome.CREATED, "Created", request.row)

    plans = [RowPlan(r, request=JobRequest(r, (("documentId", "1"),))) for r in range(2, 102)]
    recorded: list[int] = []
    summary = execute(
        plans, send, record=lambda row, result: recorded.append(row), concurrency=4, cancel=cancel
    )
    assert sorted(recorded) == sorted(sent)  # every answer that arrived was recorded
    assert len(sent) < 20
    assert summary.counts[Outcome.NOT_SENT] == 100 - len(sent)
    assert summary.stopped and summary.stopped.startswith("cancelled")


def test_ctrl_c_on_the_command_line_keeps_every_job_it_made(tmp_path: Path) -> None:
    with Sandbox(SandboxConfig(latency=0.05)) as box:
        path = write_book(tmp_path / "jobs.xlsx", [LETTER] * 80)
        env = {
            "C2M_ENDPOINT": box.url,
            "C2M_USERNAME": "sandbox",
            "C2M_PASSWORD": box.config.password,
            "PATH": "/usr/bin:/bin",
        }
        runner = subprocess.Popen(
            [sys.executable, "-m", "xl_mailer.headless.cli", "run", str(path), "--quiet"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while len(box.state.jobs) < 12 and time.monotonic() < deadline:
            time.sleep(0.01)
        runner.send_signal(signal.SIGINT)
        out, err = runner.communicate(timeout=60)
        assert runner.returncode == 2, out + err
        assert "cancelled" in err.lower()
        time.sleep(0.2)
        table = list(load_workbook(path)["Jobs"].iter_rows(min_row=2, values_only=True))
        ids = [r[9] for r in table if r[9]]
        assert sorted(ids) == sorted(box.state.jobs)
        assert len(ids) < 80


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
def test_a_second_ctrl_c_stops_at_once_without_waiting_for_answers_in_flight() -> None:
    cancel = threading.Event()
    release = threading.Event()
    answered: list[int] = []

    def send(request: JobRequest) -> JobResult:
        cancel.set()  # the first Ctrl-C, as the command line's handler gives it
        release.wait(30)  # an answer that takes its time
        answered.append(request.row)
        return JobResult(Outcome.CREATED, "Created", request.row)

    def second_ctrl_c(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    plans = [RowPlan(r, request=JobRequest(r, (("documentId", "1"),))) for r in range(2, 6)]
    previous = signal.signal(signal.SIGALRM, second_ctrl_c)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(KeyboardInterrupt):
            execute(plans, send, record=lambda row, result: None, concurrency=2, cancel=cancel)
        assert answered == []  # it did not wait for the answers still on their way
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        release.set()
