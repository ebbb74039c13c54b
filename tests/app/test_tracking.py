"""Refresh Job Status and Get Proofs, each run through the openpyxl adapter and through
xlwings' remote engine, against the sandbox over HTTP (its jobs aged on a manual clock)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from xl_mailer.app.create import RunOptions, create_jobs
from xl_mailer.app.proofs import get_proofs
from xl_mailer.app.status import refresh_status, state_words
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.click2mail.readings import JobState
from xl_mailer.core.calls import CallOutcome, CallResult
from xl_mailer.core.errors import ApiError, WorkbookError
from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS
from xl_mailer.sandbox import ManualClock, Sandbox, SandboxConfig

from ..conftest import LETTER
from .adapters import Adapter, FileAdapter, Grid, RemoteAdapter

HEADER = [*REQUIRED_PARAMS, *OUTPUT_HEADERS]
JOB = HEADER.index("Job ID")
TEXT = HEADER.index("Description")
STATUS, TRACKING = len(HEADER), len(HEADER) + 1  # placed right of the table


def row(**changes: object) -> list[object]:
    values = {**LETTER, **changes}
    return [values.get(name) for name in REQUIRED_PARAMS] + [None] * len(OUTPUT_HEADERS)


@pytest.fixture(params=["openpyxl", "xlwings"])
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Adapter:
    return FileAdapter(tmp_path) if request.param == "openpyxl" else RemoteAdapter(tmp_path)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def box(clock: ManualClock) -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seconds_per_state=10), clock=clock) as sandbox:
        yield sandbox


@pytest.fixture
def mailing(box: Sandbox) -> Iterator[Mailing]:
    with Click2MailClient(box.url, "sandbox", box.config.password) as client:
        yield Mailing(client)


def made_jobs(adapter: Adapter, mailing: Mailing, count: int) -> Grid:
    port = adapter.open([HEADER, *(row() for _ in range(count))])
    create_jobs(port, mailing.client, RunOptions(), journal=None)
    return adapter.read()


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("EDITING", "Editing"),
        ("AWAITING_PRODUCTION", "Awaiting Production"),
        ("IN_PRODUCTION", "In Production"),
        ("MAILED", "Mailed"),
        ("Awaiting Production", "Awaiting Production"),
        ("ORDER_SUBMITTED", "Order Submitted"),
        ("SOMETHING_NEW", "Something New"),
        ("Held for review", "Held for review"),
        ("", "State code 4"),
    ],
)
def test_state_names_are_shown_in_words(name: str, words: str) -> None:
    assert state_words(JobState(1, 4, name)) == words


def test_status_writes_each_jobs_state_in_words_and_tracking_once_mailed(
    adapter: Adapter, mailing: Mailing, clock: ManualClock
) -> None:
    made = made_jobs(adapter, mailing, 2)
    first, second = (int(line[JOB]) for line in made[1:])  # type: ignore[call-overload]
    assert mailing.submit_job(second, "User Credit").outcome is CallOutcome.SUBMITTED
    clock.advance(10_000)

    run = refresh_status(adapter.open(made), mailing)
    after = adapter.read()
    assert after[0][STATUS : TRACKING + 1] == ["Job Status", "Tracking"]
    assert after[1][STATUS] == "Editing" and after[1][TRACKING] in (None, "")
    assert after[2][STATUS] == "Mailed"
    assert re.match(r"\d+ of \d+ pieces scanned; latest: \w", str(after[2][TRACKING]))
    assert [line[TEXT] for line in after[1:]] == ["Created", "Created"]  # create's answer
    assert run.rows == [2, 3] and [j.job_id for j in run.jobs] == [first, second]
    assert run.line().startswith("Refreshed the status of 2 job(s): 1 Editing, 1 Mailed")


def test_status_shows_a_job_in_production_and_refreshes_in_place(
    adapter: Adapter, mailing: Mailing, clock: ManualClock
) -> None:
    made = made_jobs(adapter, mailing, 1)
    job = int(made[1][JOB])  # type: ignore[call-overload]
    mailing.submit_job(job, "User Credit")
    refresh_status(adapter.open(made), mailing)
    once = adapter.read()
    assert once[1][STATUS] == "Awaiting Production"
    clock.advance(15)
    refresh_status(adapter.open(once), mailing)
    twice = adapter.read()
    assert twice[0].count("Job Status") == 1  # the column found again, not added twice
    assert twice[1][STATUS] == "In Production"


def test_a_job_click2mail_does_not_know_says_why_in_its_job_status_and_the_others_are_written(
    adapter: Adapter, mailing: Mailing
) -> None:
    made = made_jobs(adapter, mailing, 1)
    made.append(row())
    made[2][JOB], made[2][TEXT] = 999_999, "Created"
    made[0] += ["Job Status", "Tracking"]
    scans = "2 of 2 pieces scanned; latest: Delivered, 2026-12-01"
    made[2] += ["Mailed", scans]  # what an earlier refresh showed
    asked = dt.datetime(2026, 12, 2, 10, 5)
    run = refresh_status(adapter.open(made), mailing, now=lambda: asked)
    after = adapter.read()
    assert after[2][TRACKING] == scans  # a failed read keeps the scans known before
    assert after[1][STATUS] == "Editing"
    shown = str(after[2][STATUS])
    assert shown.startswith("Not read: ") and shown.endswith(" (checked 2026-12-02 10:05)")
    assert "not found" in shown.lower()
    assert [line[TEXT] for line in after[1:]] == ["Created", "Created"]
    assert [j.problem is None for j in run.jobs] == [True, False]


def test_rows_without_a_job_are_left_alone_and_nothing_is_asked(
    adapter: Adapter, mailing: Mailing, box: Sandbox
) -> None:
    port = adapter.open([HEADER, row()])
    run = refresh_status(port, mailing)
    assert run.jobs == [] and box.state.requests.get("status", 0) == 0
    assert "nothing to refresh" in run.line()


def test_proofs_are_saved_beside_the_workbook_and_linked_from_their_rows(
    adapter: Adapter, mailing: Mailing, box: Sandbox
) -> None:
    made = made_jobs(adapter, mailing, 2)
    jobs = [int(line[JOB]) for line in made[1:]]  # type: ignore[call-overload]
    run = get_proofs(adapter.open(made), mailing)
    folder = adapter.folder / "jobs proofs"
    assert run.folder == folder and len(run.saved) == 2 and not run.failed
    for job in jobs:
        assert (folder / f"{job}.pdf").read_bytes().startswith(b"%PDF-")
    after = adapter.read()
    proof = after[0].index("Proof")
    assert [after[r][proof] for r in (1, 2)] == [f"jobs proofs/{job}.pdf" for job in jobs]
    links = adapter.links()
    assert {row for row, _ in links} == {2, 3}
    for (sheet_row, column), target in links.items():
        assert column == proof
        assert target.replace("%20", " ").endswith(f"jobs proofs/{jobs[sheet_row - 2]}.pdf")
    assert "Saved 2 proof(s)" in run.line()


def test_a_rerun_skips_proofs_already_saved_and_remakes_one_whose_pdf_is_gone(
    adapter: Adapter, mailing: Mailing, box: Sandbox
) -> None:
    made = made_jobs(adapter, mailing, 3)
    jobs = [int(line[JOB]) for line in made[1:]]  # type: ignore[call-overload]
    get_proofs(adapter.open(made), mailing)
    once = adapter.read()
    folder = adapter.folder / "jobs proofs"
    (folder / f"{jobs[1]}.pdf").unlink()  # its link stays: the file is gone
    asked = box.state.requests.get("proof", 0)

    run = get_proofs(adapter.open(once), mailing)
    assert box.state.requests.get("proof", 0) == asked + 1  # one new proof, for the gone PDF
    assert [p.job_id for p in run.saved] == [jobs[1]] and not run.failed
    assert [(p.row, p.job_id) for p in run.kept] == [(2, jobs[0]), (4, jobs[2])]
    assert (folder / f"{jobs[1]}.pdf").read_bytes().startswith(b"%PDF-")
    after = adapter.read()
    proof = after[0].index("Proof")
    assert [after[r][proof] for r in (1, 2, 3)] == [f"jobs proofs/{job}.pdf" for job in jobs]
    assert run.line().startswith(f"Saved 1 proof(s) in {folder}; skipped 2 already saved there")


def test_a_row_whose_cell_does_not_link_its_saved_pdf_gets_a_new_proof(
    adapter: Adapter, mailing: Mailing, box: Sandbox
) -> None:
    made = made_jobs(adapter, mailing, 2)
    jobs = [int(line[JOB]) for line in made[1:]]  # type: ignore[call-overload]
    folder = adapter.folder / "jobs proofs"
    folder.mkdir()
    for job in jobs:  # PDFs there, but the rows do not show them (a save that never happened)
        (folder / f"{job}.pdf").write_bytes(b"%PDF-1.4 old")
    made[0].append("Proof")
    made[1].append("No proof: Click2Mail made no proof")
    made[2].append(None)
    run = get_proofs(adapter.open(made), mailing)
    assert box.state.requests.get("proof", 0) == 2 and len(run.saved) == 2 and not run.kept
    assert "skipped" not in run.line()


class NotAPdf:
    """A proof maker whose PDF is refused (the client raises) or is not a PDF at all."""

    def __init__(self, refuse: bool) -> None:
        self.refuse = refuse

    def create_proof(self, job_id: int) -> CallResult:
        return CallResult(CallOutcome.CREATED, "Success", 201, 0, id=7)

    def proof_pdf(self, job_id: int, proof_id: int) -> bytes:
        if self.refuse:
            raise ApiError("GET /jobs/1/proof/7 answered HTTP 200 with no PDF: '<html>'")
        return b"<html>not a pdf</html>"


@pytest.mark.parametrize("refuse", [True, False])
def test_an_answer_that_is_not_a_pdf_is_not_saved(
    adapter: Adapter, refuse: bool, tmp_path: Path
) -> None:
    grid = [HEADER, row()]
    grid[1][JOB] = 1
    run = get_proofs(adapter.open(grid), NotAPdf(refuse))
    assert run.saved == [] and len(run.failed) == 1
    assert not (adapter.folder / "jobs proofs" / "1.pdf").exists()
    after = adapter.read()
    assert str(after[1][after[0].index("Proof")]).startswith("No proof: ")


def test_a_proof_click2mail_refuses_says_why_in_its_row(adapter: Adapter, mailing: Mailing) -> None:
    grid = [HEADER, row()]
    grid[1][JOB] = 999_999
    run = get_proofs(adapter.open(grid), mailing)
    assert run.saved == [] and run.failed[0].problem
    after = adapter.read()
    assert str(after[1][after[0].index("Proof")]).startswith("No proof: ")


def test_a_book_never_saved_has_no_folder_for_proofs(mailing: Mailing) -> None:
    unsaved = RemoteAdapter()  # Excel names a new book "Book1": no folder
    grid = [HEADER, row()]
    grid[1][JOB] = 1
    with pytest.raises(WorkbookError, match="save the workbook first"):
        get_proofs(unsaved.open(grid), mailing)
