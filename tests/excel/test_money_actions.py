"""The ribbon's Get Cost and Submit Approved Jobs through xlwings' remote engine, against the
sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook

from xl_mailer import ribbon
from xl_mailer.app.submit import SubmitOptions
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.core.models import JobRequest
from xl_mailer.engine.joblock import claim_job
from xl_mailer.excel import money
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER, later_clock, still_editing
from ..remote import TEMPLATE, actions
from .test_ribbon import FIRST, JOB_ID, TEXT, alerts, make_book, written

_HEADER = [c.value for c in load_workbook(TEMPLATE)["Jobs"][FIRST - 1]]
SUBMIT, COST, SUBMITTED, RESULT = (
    _HEADER.index(name) + 1 for name in ("Submit", "Cost", "Submitted", "Submit Result")
)
_SETTINGS = {row[0].value: row[0].row for row in load_workbook(TEMPLATE)["Settings"].iter_rows()}


@pytest.fixture
def calls(sandbox: Sandbox) -> Iterator[Mailing]:
    made = Mailing(Click2MailClient(sandbox.url, "sandbox", sandbox.config.password))
    yield made
    made.client.close()


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> None:
    monkeypatch.setenv("C2M_PASSWORD", sandbox.config.password)


def settings(
    sandbox: Sandbox, limit: object = None, billing: str | None = None
) -> dict[tuple[int, int], object]:
    cells: dict[tuple[int, int], object] = {(2, 2): sandbox.url, (5, 2): "sandbox"}
    cells.update({(_SETTINGS["Spend Limit"], 2): limit, (_SETTINGS["Billing Type"], 2): billing})
    return cells


def jobs_rows(
    calls: Mailing, approvals: list[object]
) -> tuple[list[int], dict[tuple[int, int], object]]:
    params = tuple((k, str(v)) for k, v in LETTER.items())
    ids: list[int] = []
    cells: dict[tuple[int, int], object] = {}
    for r, approval in enumerate(approvals, start=FIRST):
        job = calls.client.create_job(JobRequest(r, params)).job_id
        assert job is not None
        ids.append(job)
        cells.update({(r, JOB_ID): job, (r, TEXT): "Created", (r, SUBMIT): approval})
    return ids, cells


def test_get_cost_writes_costs_with_a_currency_format_and_alerts_the_total(
    sandbox: Sandbox, calls: Mailing
) -> None:
    ids, cells = jobs_rows(calls, [None, None])
    price = calls.job_cost(ids[0]).total
    book = make_book(cells, settings(sandbox))
    assert ribbon.ACTIONS["get_cost"] is ribbon.get_cost
    assert ribbon.get_cost(book) == 2
    out = written(book)
    assert [out[(r, COST)] for r in (FIRST, FIRST + 1)] == [float(price)] * 2
    formats = actions(book, "setNumberFormat")
    assert {(a["start_row"] + 1, a["start_column"] + 1) for a in formats} == {
        (FIRST, COST),
        (FIRST + 1, COST),
    }
    assert all(a["args"] == ['"$"#,##0.00'] for a in formats)
    assert alerts(book)[0].startswith(f"Cost of 2 job(s) not yet submitted: ${2 * price:,.2f}")


def test_submit_asks_then_submits_under_the_settings_limit(
    sandbox: Sandbox, calls: Mailing
) -> None:
    ids, cells = jobs_rows(calls, ["Yes", "x", "maybe"])
    book = make_book(cells, settings(sandbox, limit=1000, billing="Invoice"))
    asked: list[str] = []
    assert ribbon.ACTIONS["submit_approved_jobs"] is ribbon.submit_approved_jobs
    done = ribbon.submit_approved_jobs(book, confirm=lambda q: asked.append(q) is None)
    assert done == 2
    assert (
        asked[0].startswith("Submit 2 job(s) for $")
        and f"{sandbox.url} (not production)?" in asked[0]
    )
    assert [sandbox.state.submits[i] for i in ids] == [1, 1, 0]
    out = written(book)
    assert dt.datetime.fromisoformat(str(out[(FIRST, SUBMITTED)]))
    assert out[(FIRST, RESULT)] == "Submitted (Invoice): Success"
    assert str(out[(FIRST + 2, RESULT)]).startswith("Not submitted: its Submit cell says 'maybe'")
    assert alerts(book)[0].startswith("2 job(s) submitted now for $")


def test_submit_over_the_limit_sends_nothing_and_asks_nothing(
    sandbox: Sandbox, calls: Mailing
) -> None:
    ids, cells = jobs_rows(calls, ["Yes"])
    price = calls.job_cost(ids[0]).total
    book = make_book(cells, settings(sandbox, limit=float(price) - 0.01))
    asked: list[str] = []
    assert ribbon.submit_approved_jobs(book, confirm=lambda q: asked.append(q) is None) == 0
    assert asked == [] and sandbox.state.submits[ids[0]] == 0
    assert "over the spend limit" in alerts(book)[0]


@pytest.mark.parametrize(
    ("limit", "words"),
    [
        (None, "Stopped: No spend limit is set"),
        (-10, "Stopped: Settings: Spend Limit must be 0 or more dollars"),
        ("plenty", "Stopped: Settings: Spend Limit must be an amount in dollars"),
    ],
)
def test_submit_refuses_a_missing_negative_or_text_limit(
    sandbox: Sandbox, calls: Mailing, limit: object, words: str
) -> None:
    ids, cells = jobs_rows(calls, ["Yes"])
    book = make_book(cells, settings(sandbox, limit=limit))
    assert ribbon.submit_approved_jobs(book, confirm=lambda q: True) is None
    assert alerts(book)[0].startswith(words)
    assert sandbox.state.requests["cost"] == 0 and sandbox.state.submits[ids[0]] == 0


def test_the_yes_no_dialog_without_an_answer_submits_nothing(
    sandbox: Sandbox, calls: Mailing
) -> None:
    """xlwings Server answers a Yes/No through a callback: no answer here reads as No."""
    ids, cells = jobs_rows(calls, ["Yes"])
    book = make_book(cells, settings(sandbox, limit=1000))
    assert ribbon.submit_approved_jobs(book) == 0
    shown = actions(book, "alert")
    assert shown[0]["args"][2] == "yes_no" and shown[0]["args"][0].startswith("Submit 1 job(s)")
    assert sandbox.state.submits[ids[0]] == 0
    assert "not confirmed" in alerts(book)[-1]


def test_submit_counts_only_the_jobs_it_submitted(
    sandbox: Sandbox, calls: Mailing, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, cells = jobs_rows(calls, ["Yes", "Yes"])
    price = calls.job_cost(ids[1]).total
    calls.submit_job(ids[0], "User Credit")  # submitted before, by another run
    # reads that still say Editing (a state Click2Mail has not caught up on): the POST is
    # answered 400 / 9 "impermissible state"
    still_editing(monkeypatch)
    book = make_book(cells, settings(sandbox, limit=10000))
    assert ribbon.submit_approved_jobs(book, confirm=lambda q: True) == 1
    assert alerts(book)[0].startswith(
        f"1 job(s) submitted now for ${price:,.2f}; 1 had been submitted already"
    )
    assert str(written(book)[(FIRST, RESULT)]).startswith("Submitted before this run:")


def test_submit_leaves_a_job_another_book_is_submitting_to_it(
    sandbox: Sandbox, calls: Mailing
) -> None:
    ids, cells = jobs_rows(calls, ["Yes", "Yes"])
    other = claim_job(sandbox.url, ids[0])  # another book's Submit holds the job
    assert other is not None
    try:
        book = make_book(cells, settings(sandbox, limit=10000))
        assert ribbon.submit_approved_jobs(book, confirm=lambda q: True) == 1
    finally:
        other.__exit__(None, None, None)
    assert [sandbox.state.submits[i] for i in ids] == [0, 1]
    assert f"another xl-mailer run is submitting job {ids[0]} right now" in alerts(book)[0]


def test_after_excel_crashes_mid_submit_the_saved_book_does_not_submit_again(
    sandbox: Sandbox, calls: Mailing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ribbon's UNKNOWN mark is never saved before the POST: after Excel crashes, the
    saved book holds the job without it. Click2Mail took the submit but still reads the job
    as Editing; the submit's record in the state folder keeps it from being sent again."""
    ids, cells = jobs_rows(calls, ["Yes"])
    sandbox.config.fault, sandbox.config.fault_on = "drop", "submit"
    book = make_book(cells, settings(sandbox, limit=10000))
    assert ribbon.submit_approved_jobs(book, confirm=lambda q: True) == 0
    assert str(written(book)[(FIRST, RESULT)]).startswith("UNKNOWN:")
    assert sandbox.state.submits[ids[0]] == 1
    sandbox.config.fault = None
    still_editing(monkeypatch)
    reopened = make_book(cells, settings(sandbox, limit=10000))  # as last saved: no mark
    assert ribbon.submit_approved_jobs(reopened, confirm=lambda q: True) == 0
    assert sandbox.state.submits[ids[0]] == 1
    assert f"still UNKNOWN: a submit of job {ids[0]}" in alerts(reopened)[0]
    assert "run Submit again after" in alerts(reopened)[0]
    assert str(written(reopened)[(FIRST, RESULT)]).startswith("UNKNOWN: submit sent")


def test_after_a_crash_a_lost_submit_that_did_not_take_is_sent_once_after_5_minutes(
    sandbox: Sandbox, calls: Mailing, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, cells = jobs_rows(calls, ["Yes"])
    sandbox.config.fault, sandbox.config.fault_on = "html500", "submit"
    book = make_book(cells, settings(sandbox, limit=10000))
    assert ribbon.submit_approved_jobs(book, confirm=lambda q: True) == 0
    sandbox.config.fault = None
    crashed = make_book(cells, settings(sandbox, limit=10000))
    assert ribbon.submit_approved_jobs(crashed, confirm=lambda q: True) == 0
    assert sandbox.state.requests["submit"] == 1
    later = functools.partial(SubmitOptions, now=lambda: later_clock(6))
    monkeypatch.setattr(money, "SubmitOptions", later)
    crashed = make_book(cells, settings(sandbox, limit=10000))
    assert ribbon.submit_approved_jobs(crashed, confirm=lambda q: True) == 1
    assert sandbox.state.submits[ids[0]] == 1 and sandbox.state.requests["submit"] == 2
