"""``xl-mailer cost`` and ``xl-mailer submit`` on workbook files, against the sandbox."""

from __future__ import annotations

import functools
import io
import shutil
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xl_mailer.app.submit import SubmitOptions
from xl_mailer.cli import main
from xl_mailer.engine.joblock import claim_job
from xl_mailer.headless import money
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER, later_clock, still_editing, write_book


def created_book(
    tmp_path: Path, rows: int, submit: list[object], settings: dict[str, object] | None = None
) -> Path:
    """A workbook whose rows were created at the sandbox, with a Submit column (and a
    Settings sheet, if given)."""
    path = write_book(tmp_path / "jobs.xlsx", [LETTER] * rows)
    assert main(["run", str(path)], out=io.StringIO()) == 0
    book = load_workbook(path)
    jobs = book["Jobs"]
    column = jobs.max_column + 1
    jobs.cell(1, column, "Submit")
    for r, value in enumerate(submit, start=2):
        jobs.cell(r, column, value)
    if settings is not None:
        sheet = book.create_sheet("Settings")
        sheet.append(["Setting", "Value"])
        for name, value in settings.items():
            sheet.append([name, value])
    book.save(path)
    return path


def column(path: Path, name: str) -> list[object]:
    jobs = load_workbook(path)["Jobs"]
    header = [c.value for c in jobs[1]]
    at = header.index(name) + 1
    return [jobs.cell(r, at).value for r in range(2, jobs.max_row + 1)]


def answer(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_cost_writes_each_jobs_cost_in_a_currency_format(
    sandbox_env: Sandbox, tmp_path: Path
) -> None:
    path = created_book(tmp_path, 2, [])
    out = io.StringIO()
    assert main(["cost", str(path)], out=out) == 0
    costs = column(path, "Cost")
    assert len(costs) == 2 and all(isinstance(c, float) and c > 0 for c in costs)
    jobs = load_workbook(path)["Jobs"]
    header = [c.value for c in jobs[1]]
    assert jobs.cell(2, header.index("Cost") + 1).number_format == '"$"#,##0.00'
    assert f"${sum(costs):,.2f} in all" in out.getvalue()


def test_submit_one_cent_over_the_limit_sends_nothing(
    sandbox_env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = created_book(tmp_path, 2, ["Yes", "yes"])
    assert main(["cost", str(path)], out=io.StringIO()) == 0
    total = sum(c for c in column(path, "Cost") if isinstance(c, float))
    out = io.StringIO()
    code = main(["submit", str(path), "--limit", f"{total - 0.01:.2f}", "--yes"], out=out)
    assert code == 2
    assert sum(sandbox_env.state.submits.values()) == 0
    assert "over the spend limit" in out.getvalue() and "by $0.01" in out.getvalue()
    assert column(path, "Submitted") == [None, None]


@pytest.mark.parametrize(
    ("limit", "words"),
    [
        (None, "No spend limit is set, so nothing is submitted; set one"),
        ("-5", "--limit must be 0 or more dollars, not '-5'"),
        ("ten", "--limit must be an amount in dollars"),
        ("250,00", "--limit must be an amount in dollars like 250 or 250.00"),
        ("1,5", "like 250 or 250.00 (a comma only between thousands, as in 1,000 or 12,345.67)"),
        ("1.000,00", "not '1.000,00'"),
    ],
)
def test_submit_refuses_a_missing_negative_or_text_limit(
    sandbox_env: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    limit: str | None,
    words: str,
) -> None:
    path = created_book(tmp_path, 1, ["Yes"])
    given = ["--limit", limit] if limit is not None else []
    capsys.readouterr()
    assert main(["submit", str(path), *given, "--yes"], out=io.StringIO()) == 2
    assert words in capsys.readouterr().err
    assert sum(sandbox_env.state.submits.values()) == 0
    assert sandbox_env.state.requests["cost"] == 0


def test_a_negative_spend_limit_on_the_settings_sheet_is_refused(
    sandbox_env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = created_book(tmp_path, 1, ["Yes"], {"Spend Limit": -1})
    capsys.readouterr()
    assert main(["submit", str(path), "--yes"], out=io.StringIO()) == 2
    assert "Settings: Spend Limit must be 0 or more dollars" in capsys.readouterr().err
    assert sum(sandbox_env.state.submits.values()) == 0


def test_submit_asks_first_and_sends_nothing_without_a_yes(
    sandbox_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = created_book(tmp_path, 2, ["Yes", "maybe"], {"Spend Limit": 1000})
    answer(monkeypatch, "n\n")
    out = io.StringIO()
    assert main(["submit", str(path)], out=out) == 2
    text = out.getvalue()
    assert "Submit 1 job(s) for $" in text and "(not production)? " in text and "[y/N]" in text
    assert sum(sandbox_env.state.submits.values()) == 0


def test_submit_uses_the_settings_then_never_submits_a_job_twice(
    sandbox_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {"Spend Limit": "$1,000", "Billing Type": "Invoice"}
    path = created_book(tmp_path, 3, ["Yes", "maybe", None], settings)
    answer(monkeypatch, "y\n")
    out = io.StringIO()
    assert main(["submit", str(path)], out=out) == 1  # row 3 said maybe
    ids = column(path, "Job ID")
    assert [sandbox_env.state.submits[int(i)] for i in ids] == [1, 0, 0]  # type: ignore[call-overload]
    assert sandbox_env.state.jobs[int(ids[0])].billing_type == "Invoice"  # type: ignore[call-overload]
    results = column(path, "Submit Result")
    assert results[0] == "Submitted (Invoice): Success"
    assert str(results[1]).startswith("Not submitted: its Submit cell says 'maybe'")
    assert column(path, "Submitted")[0] is not None
    assert "row 3 not submitted" in out.getvalue()

    again = io.StringIO()
    assert main(["submit", str(path), "--yes"], out=again) == 1
    assert [sandbox_env.state.submits[int(i)] for i in ids] == [1, 0, 0]  # type: ignore[call-overload]


def test_a_settings_limit_with_a_decimal_comma_is_refused(
    sandbox_env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = created_book(tmp_path, 1, ["Yes"], {"Spend Limit": "250,00"})
    capsys.readouterr()
    assert main(["submit", str(path), "--yes"], out=io.StringIO()) == 2
    assert (
        "Settings: Spend Limit must be an amount in dollars like 250 or 250.00"
        in capsys.readouterr().err
    )
    assert sum(sandbox_env.state.submits.values()) == 0


def test_submit_refuses_both_rows_of_a_copied_job_and_submits_the_rest(
    sandbox_env: Sandbox, tmp_path: Path
) -> None:
    path = created_book(tmp_path, 2, ["Yes", "Yes"])
    book = load_workbook(path)
    jobs = book["Jobs"]
    jobs.append([c.value for c in jobs[2]])  # row 2 copied to row 4
    book.save(path)
    twice, once = (int(j) for j in column(path, "Job ID")[:2])  # type: ignore[call-overload]
    out = io.StringIO()
    assert main(["submit", str(path), "--limit", "10000", "--yes"], out=out) == 1
    assert sandbox_env.state.submits[twice] == 0 and sandbox_env.state.submits[once] == 1
    results = column(path, "Submit Result")
    assert f"its Job ID {twice} is also in row(s) 4" in str(results[0])
    assert f"its Job ID {twice} is also in row(s) 2" in str(results[2])
    assert "1 job(s) submitted now for $" in out.getvalue()


def test_submit_leaves_a_job_another_run_is_submitting_to_it(
    sandbox_env: Sandbox, tmp_path: Path
) -> None:
    path = created_book(tmp_path, 2, ["Yes", "Yes"])
    busy, free = (int(j) for j in column(path, "Job ID"))  # type: ignore[call-overload]
    other = claim_job(None, busy)  # another run (another book holding the job) submits it
    assert other is not None
    try:
        code = main(["submit", str(path), "--limit", "10000", "--yes"], out=io.StringIO())
    finally:
        other.__exit__(None, None, None)
    assert code == 1
    assert sandbox_env.state.submits[busy] == 0 and sandbox_env.state.submits[free] == 1
    assert column(path, "Submit Result")[0] == (
        f"Not submitted: another xl-mailer run is submitting job {busy} right now; run Submit"
        " again once it has finished"
    )
    assert main(["submit", str(path), "--limit", "10000", "--yes"], out=io.StringIO()) == 0
    assert sandbox_env.state.submits[busy] == 1 and sandbox_env.state.submits[free] == 1


def submit(path: Path, out: io.StringIO | None = None) -> int:
    return main(["submit", str(path), "--limit", "10000", "--yes"], out=out or io.StringIO())


def test_a_copy_does_not_submit_a_job_whose_submit_answer_was_lost(
    sandbox_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The book's submit went through but its answer was lost, and Click2Mail still reads the
    job as Editing. A copy of the book made before (which holds the job, not the UNKNOWN
    mark) submits nothing within 5 minutes: the state folder holds the submit's record."""
    path = created_book(tmp_path, 1, ["Yes"])
    copy = shutil.copy(path, tmp_path / "copy.xlsx")
    (job,) = (int(j) for j in column(path, "Job ID"))  # type: ignore[call-overload]
    sandbox_env.config.fault, sandbox_env.config.fault_on = "drop", "submit"
    assert submit(path) == 1
    assert sandbox_env.state.submits[job] == 1
    assert str(column(path, "Submit Result")[0]).startswith("UNKNOWN:")
    sandbox_env.config.fault = None
    still_editing(monkeypatch)
    out = io.StringIO()
    assert submit(copy, out) == 1
    assert sandbox_env.state.submits[job] == 1
    assert "row 2 still UNKNOWN: a submit of job" in out.getvalue()
    assert "run Submit again after" in out.getvalue()
    assert str(column(copy, "Submit Result")[0]).startswith("UNKNOWN: submit sent")


def test_a_copy_sends_a_lost_submit_that_did_not_take_once_after_5_minutes(
    sandbox_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = created_book(tmp_path, 1, ["Yes"])
    copy = shutil.copy(path, tmp_path / "copy.xlsx")
    (job,) = (int(j) for j in column(path, "Job ID"))  # type: ignore[call-overload]
    sandbox_env.config.fault, sandbox_env.config.fault_on = "html500", "submit"
    assert submit(path) == 1  # the 500 did nothing: the job stays in Editing
    sandbox_env.config.fault = None
    assert submit(copy) == 1
    assert sandbox_env.state.requests["submit"] == 1
    later = functools.partial(SubmitOptions, now=lambda: later_clock(6))
    monkeypatch.setattr(money, "SubmitOptions", later)
    assert submit(copy) == 0
    assert sandbox_env.state.submits[job] == 1 and sandbox_env.state.requests["submit"] == 2
    assert column(copy, "Submit Result")[0] == "Submitted (User Credit): Success"
    assert submit(path) == 0  # the first book settles its mark by the state: nothing sent
    assert sandbox_env.state.requests["submit"] == 2
