"""The command line writes results into the file in blocks of rows, and a block never rewrites
a row the run did not send."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xl_mailer.app import create
from xl_mailer.core.models import REQUIRED_PARAMS, RESULT_HEADERS
from xl_mailer.headless import xlsx
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER, write_book


def count_block_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows of each block the headless adapter writes, as it writes them."""
    calls: list[int] = []
    original = xlsx.FileSheet.write_block

    def counting(self: xlsx.FileSheet, row: int, column: int, values: list[list[object]]) -> None:
        calls.append(len(values))
        original(self, row, column, values)

    monkeypatch.setattr(xlsx.FileSheet, "write_block", counting)
    return calls


def test_the_headless_run_writes_in_blocks_too(
    tmp_path: Path, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_block_writes(monkeypatch)
    path = write_book(tmp_path / "jobs.xlsx", [LETTER] * 200)
    assert main(["run", str(path), "--concurrency", "8"], out=io.StringIO()) == 0
    assert 200 + 1 <= sum(calls) <= 220  # every row (a few twice), plus the header row
    assert len(calls) <= 200 / 50 + 3


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
    headers = [*REQUIRED_PARAMS, "rtnName", *RESULT_HEADERS, "Request Key"]
    path = write_book(tmp_path / "jobs.xlsx", [LETTER, done, LETTER], headers=headers)
    assert main(["run", str(path), "--concurrency", "1"], out=io.StringIO()) == 0
    sheet = load_workbook(path)["Jobs"]
    column = {name: headers.index(name) + 1 for name in headers}
    assert sheet.cell(3, column["Description"]).value == '=CONCAT("Cre","ated")'  # untouched
    assert [sheet.cell(r, column["HTTP Status"]).value for r in (2, 4)] == [201, 201]


def test_a_run_keeps_only_its_last_rows_to_bridge_and_still_writes_every_row(
    tmp_path: Path, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows a run wrote are kept (to bridge gaps between blocks) only for the last
    ``KNOWN_ROWS``: with 10 of them, 200 rows still each get their results, in few writes."""
    monkeypatch.setattr(create, "KNOWN_ROWS", 10)
    calls = count_block_writes(monkeypatch)
    path = write_book(tmp_path / "jobs.xlsx", [LETTER] * 200)
    assert main(["run", str(path), "--concurrency", "8"], out=io.StringIO()) == 0
    sheet = load_workbook(path)["Jobs"]
    header = [c.value for c in sheet[1]]
    ids = [sheet.cell(r, header.index("Job ID") + 1).value for r in range(2, 202)]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 200
    assert len(calls) <= 200 / 50 + 10
