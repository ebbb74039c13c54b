"""When a run saves as it goes: checkpoints during its first three quarters of the rows it
sends, none in the last quarter (the final save comes soon; the journal holds every id)."""

from __future__ import annotations

import time

from xl_mailer.app.create import RunOptions, run_sheet
from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS, JobRequest, JobResult, Outcome

from ..conftest import LETTER


class CountingSheet:
    """A sheet that counts its checkpoints and when they came (answers recorded so far)."""

    name = "Jobs"

    def __init__(self, rows: list[list[object]]) -> None:
        self.rows = rows
        self.checkpoints: list[int] = []
        self.answered = 0

    def values(self) -> list[list[object]]:
        return [list(line) for line in self.rows]

    def write_block(self, row: int, column: int, block: list[list[object]]) -> None:
        pass

    def checkpoint(self) -> None:
        self.checkpoints.append(self.answered)

    def row_notes(self, layout: object) -> dict[int, str]:
        return {}

    def archived(self) -> list[list[object]]:
        return []


def test_rows_refused_before_sending_do_not_count_towards_the_last_quarter() -> None:
    good = [LETTER[name] for name in REQUIRED_PARAMS]
    bad = [*good[:-1], "not an id"]  # addressId: refused before anything is sent
    rows = [[*REQUIRED_PARAMS, *OUTPUT_HEADERS]] + [bad] * 120 + [good] * 40
    sheet = CountingSheet(rows)

    def send(request: JobRequest) -> JobResult:
        time.sleep(0.01)  # answers spread over the run, as a network spreads them
        sheet.answered += 1
        return JobResult(Outcome.CREATED, "Created", 245000 + sheet.answered, 201, 0)

    options = RunOptions(concurrency=1, block_rows=5, block_seconds=3600)
    run = run_sheet(sheet, send, options)
    assert run.summary.created == 40 and run.summary.failed == 120
    during = [n for n in sheet.checkpoints if 0 < n < 30]  # before three quarters of 40
    assert during, sheet.checkpoints
    assert not [n for n in sheet.checkpoints if 30 < n < 40]  # none in the last quarter
