"""Results reach Excel in blocks of rows, never a write per cell or per row (xlwings' remote
engine stands in for Excel and counts the writes). Speed itself is measured by bench/bench.py."""

from __future__ import annotations

import pytest
import xlwings as xw

from xl_mailer import ribbon
from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER
from ..remote import actions, payload_from_workbook


def test_results_reach_excel_in_blocks_of_fifty_rows(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 300
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
