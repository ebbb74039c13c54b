"""Each use case, run once through the openpyxl adapter and once through xlwings' remote
engine, against the sandbox over HTTP: the same rows give the same cells."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from xl_mailer.app.archive import archive_rows
from xl_mailer.app.claims import decide
from xl_mailer.app.clear import clear_results
from xl_mailer.app.create import RunOptions, create_jobs
from xl_mailer.app.reconcile import reconcile_sheet
from xl_mailer.app.status import refresh_status
from xl_mailer.app.validate import validate
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.core.catalog import default_catalog
from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS, Outcome
from xl_mailer.engine.journal import Journal
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER
from .adapters import Adapter, FileAdapter, Grid, RemoteAdapter

HEADER = [*REQUIRED_PARAMS, *OUTPUT_HEADERS]
JOB, HTTP, CODE, TEXT, KEY, SENT = (HEADER.index(h) for h in OUTPUT_HEADERS)


def row(**changes: object) -> list[object]:
    values = {**LETTER, **changes}
    return [values.get(name) for name in REQUIRED_PARAMS] + [None] * len(OUTPUT_HEADERS)


def results(grid: Grid) -> list[list[object]]:
    """The result cells of every data row (rows padded to the header's width)."""
    return [(line + [None] * len(HEADER))[JOB : SENT + 1] for line in grid[1:]]


@pytest.fixture(params=["openpyxl", "xlwings"])
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Adapter:
    return FileAdapter(tmp_path) if request.param == "openpyxl" else RemoteAdapter()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[Click2MailClient]:
    with Click2MailClient(sandbox.url, "sandbox", sandbox.config.password) as made:
        yield made


def test_validate_writes_valid_or_the_problem_and_sends_nothing(
    adapter: Adapter, sandbox: Sandbox
) -> None:
    port = adapter.open([HEADER, row(), row(color="Purple")])
    run = validate(port, default_catalog())
    cells = results(adapter.read())
    assert cells[0][TEXT - JOB] == "Valid: ready to send"
    assert str(cells[1][TEXT - JOB]).startswith("Not sent:") and "color" in str(
        cells[1][TEXT - JOB]
    )
    assert run.summary.counts[Outcome.VALID] == 1 and run.summary.failed == 1
    assert sandbox.state.jobs == {}


def test_create_writes_each_rows_job_and_a_second_run_sends_nothing(
    adapter: Adapter, sandbox: Sandbox, client: Click2MailClient
) -> None:
    port = adapter.open([HEADER, row(), row(documentId=1002), row(color="Purple")])
    run = create_jobs(port, client, RunOptions(catalog=default_catalog()), journal=None)
    after = adapter.read()
    cells = results(after)
    assert run.summary.created == 2 and run.summary.failed == 1
    assert {cells[0][0], cells[1][0]} == set(sandbox.state.jobs)
    assert cells[0][1:3] == [201, 0] and str(cells[0][3]).startswith("Created")
    assert isinstance(cells[0][SENT - JOB], dt.datetime)
    assert cells[2][0] in (None, "") and str(cells[2][3]).startswith("Not sent:")

    again = create_jobs(
        adapter.open(after), client, RunOptions(catalog=default_catalog()), journal=None
    )
    assert again.summary.created == 0 and len(sandbox.state.jobs) == 2


def test_refresh_status_leaves_each_rows_create_answer_as_it_is(
    adapter: Adapter, sandbox: Sandbox, client: Click2MailClient
) -> None:
    port = adapter.open([HEADER, row(), row(documentId=1002)])
    create_jobs(port, client, RunOptions(), journal=None)
    made = adapter.read()
    run = refresh_status(adapter.open(made), Mailing(client))
    assert run.rows == [2, 3]
    assert results(adapter.read()) == results(made)  # Job ID, 201, 0, Created, ... kept


def test_clear_empties_rows_without_a_job_and_keeps_the_others(
    adapter: Adapter, sandbox: Sandbox, client: Click2MailClient
) -> None:
    port = adapter.open([HEADER, row(), row(color="Purple")])
    create_jobs(port, client, RunOptions(catalog=default_catalog()), journal=None)
    cleared = clear_results(adapter.open(adapter.read()))
    cells = results(adapter.read())
    assert (cleared.rows, cleared.kept) == ([3], 1)
    assert cells[0][0] in sandbox.state.jobs
    assert all(value in (None, "") for value in cells[1])


def test_reconcile_gives_an_unknown_row_the_job_its_lost_answer_made(
    adapter: Adapter, sandbox: Sandbox, client: Click2MailClient, tmp_path: Path
) -> None:
    sandbox.config.fault, sandbox.config.fault_every = "drop", 1  # made, answer lost
    port = adapter.open([HEADER, row()])
    journal = Journal(tmp_path / "journal.jsonl")
    create_jobs(port, client, RunOptions(), journal=journal)
    unknown = adapter.read()
    assert str(results(unknown)[0][3]).startswith("UNKNOWN:")
    sandbox.config.fault = None

    settled = reconcile_sheet(
        adapter.open(unknown), client.find_jobs, journal=journal, min_age=dt.timedelta(0)
    )
    cells = results(adapter.read())
    assert [r for r, _ in settled] == [2]
    assert cells[0][0] in sandbox.state.jobs and len(sandbox.state.jobs) == 1
    assert str(cells[0][3]).startswith("Reconciled: job")


def test_decide_gives_a_job_no_row_claims_to_the_row_a_person_names(
    adapter: Adapter, sandbox: Sandbox, client: Click2MailClient, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    create_jobs(adapter.open([HEADER, row()]), client, RunOptions(), journal=journal)
    (job,) = sandbox.state.jobs
    # the results never reached the sheet, the row moved down one (a row inserted above) and
    # its colour was changed: no row is the request the journal holds
    moved = [HEADER, row(documentId=1009), row(color="Full Color")]
    port = adapter.open(moved)
    listed = decide(port, journal)
    assert [e.result.job_id for e in listed.left] == [job]

    done = decide(adapter.open(moved), journal, attach_to=[(str(job), 3)])
    cells = results(adapter.read())
    assert [a.row for a in done.attached] == [3] and done.left == []
    assert cells[1][0] == job and str(cells[1][3]).startswith("Attached: job")
    assert len(sandbox.state.jobs) == 1


def _day(value: object) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]


def test_archive_moves_each_row_with_a_job_to_history_and_keeps_the_others(
    adapter: Adapter,
) -> None:
    made = [*row()[: len(REQUIRED_PARAMS)], 245986, 201, 0, "Created", "xlm-1", None]
    unknown = [*row()[: len(REQUIRED_PARAMS)], None, None, None, "UNKNOWN: no answer", None, None]
    later = row(documentId=1002)
    grid: Grid = [HEADER, made, row(color="Purple"), unknown, [*made[:9], 245987, *made[10:]]]
    grid.append(later)
    done = archive_rows(adapter.open(grid), today=dt.date(2026, 11, 28))
    assert (done.rows, done.unknown) == ([2, 5], 1)
    assert done.line() == (
        "Moved 2 finished row(s) to the History sheet; 1 row(s) await reconciliation and stay"
        " (run Reconcile first)."
    )
    jobs = adapter.read()
    assert [line[4] for line in jobs[1:4]] == ["Purple", LETTER["color"], LETTER["color"]]
    assert str(jobs[2][TEXT]).startswith("UNKNOWN") and jobs[3][7] == 1002
    assert all(v in (None, "") for line in jobs[4:] for v in line)
    history = adapter.read("History")
    assert history[0] == [*HEADER, "Archived"]
    assert [line[JOB] for line in history[1:]] == [245986, 245987]
    assert [_day(line[-1]) for line in history[1:]] == [dt.date(2026, 11, 28)] * 2


def test_a_second_archive_adds_below_and_a_new_column_at_the_end(adapter: Adapter) -> None:
    kept = [*HEADER, "Archived"]
    old = [*row()[: len(REQUIRED_PARAMS)], 1, 201, 0, "Created", None, None, dt.date(2026, 11, 27)]
    grown = [*HEADER, "Owner"]
    today = [*row()[: len(REQUIRED_PARAMS)], 2, 201, 0, "Created", None, None, "Ann"]
    port = adapter.open([grown, today], history=[kept, old])
    archive_rows(port, today=dt.date(2026, 11, 28))
    history = adapter.read("History")
    assert history[0] == [*kept, "Owner"]
    assert [line[JOB] for line in history[1:]] == [1, 2]
    assert _day(history[2][-2]) == dt.date(2026, 11, 28) and history[2][-1] == "Ann"


def test_the_same_mailing_after_an_archive_is_a_new_job_not_the_archived_one(
    adapter: Adapter, sandbox: Sandbox, client: Click2MailClient, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    create_jobs(adapter.open([HEADER, row()]), client, RunOptions(), journal=journal)
    yesterday = adapter.read()
    archive_rows(adapter.open(yesterday), today=dt.date(2026, 11, 28))
    history = adapter.read("History")
    # the next day: the same mailing again, in the emptied table
    run = create_jobs(
        adapter.open([HEADER, row()], history=history), client, RunOptions(), journal=journal
    )
    assert run.summary.created == 1 and run.recovered == []
    assert len(sandbox.state.jobs) == 2
    assert decide(adapter.open(adapter.read(), history=history), journal).left == []


def test_a_row_sent_with_spaces_taken_from_an_option_says_so_in_its_description(
    adapter: Adapter, sandbox: Sandbox, client: Click2MailClient
) -> None:
    port = adapter.open([HEADER, row(color=" Black and White ")])
    run = create_jobs(port, client, RunOptions(catalog=default_catalog()), journal=None)
    (job,) = sandbox.state.jobs.values()
    text = str(results(adapter.read())[0][TEXT - JOB])
    assert run.summary.created == 1 and job.params["color"] == "Black and White"
    assert text.startswith("Created") and "spaces" in text
