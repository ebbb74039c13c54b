"""Structure of a fast run: block writes, one keep-alive pool, shared backoff, clean cancel.

Speed itself is measured by bench/bench.py, never by a timed test."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest
import xlwings as xw

from xl_mailer import ribbon
from xl_mailer.click2mail.client import SharedBackoff
from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox

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
