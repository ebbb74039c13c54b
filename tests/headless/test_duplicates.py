"""Never a duplicate around a run: a second run, a long run, a renamed, moved, copied or
linked workbook, ``--output``, a hand edit, and a journal that changes under a run.

Each test counts the jobs each row got at the sandbox (rows are told apart by
``rtnName``). The sections are numbered as bench/attacks.py numbers its attacks.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from xl_mailer.app.create import RunOptions, run_sheet
from xl_mailer.app.reconcile import reconcile_sheet
from xl_mailer.click2mail.client import Listing, listing_problem
from xl_mailer.core.models import REQUIRED_PARAMS, JobRequest, JobResult, Outcome
from xl_mailer.engine.bookid import identity_lock
from xl_mailer.engine.journal import Journal, RunLock, journal_path
from xl_mailer.engine.workbooks import identity_of, journal_for
from xl_mailer.headless import heldfile
from xl_mailer.headless.cli import main
from xl_mailer.headless.heldfile import held_workbook
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER, write_book

HEADERS = [*REQUIRED_PARAMS, "rtnName"]
REQUEST = JobRequest(2, tuple((k, str(v)) for k, v in LETTER.items()), "xlm-2611281000-aaaaaa")


def numbered(n: int, **changes: object) -> list[dict[str, object]]:
    return [{**LETTER, "rtnName": f"row {i}", **changes} for i in range(n)]


def table(path: Path) -> list[dict[str, object]]:
    """The data rows of the Jobs sheet, each as header -> value."""
    sheet = load_workbook(path)["Jobs"]
    header = [c.value for c in sheet[1]]
    return [
        dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)
    ]


def jobs_per_row(box: Sandbox) -> Counter[str]:
    return Counter(job.params.get("rtnName", "") for job in box.state.jobs.values())


def run(*args: str) -> int:
    return main([*args], out=io.StringIO())


@pytest.fixture
def after_lock(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[], object]], None]:
    """Make a race deterministic: the next run's file lock is granted only after ``first``
    has run to its end, as when a slow disk or a large workbook keeps a second run waiting
    while the first one finishes."""

    def arrange(first: Callable[[], object]) -> None:
        real = heldfile.RunLock
        pending = [first]

        class SlowLock(real):  # type: ignore[misc, valid-type]
            def __enter__(self) -> Any:
                if pending:
                    monkeypatch.setattr(heldfile, "RunLock", real)  # the first run locks as usual
                    pending.pop()()
                return super().__enter__()

        monkeypatch.setattr(heldfile, "RunLock", SlowLock)

    return arrange


def crash_after_sending(path: Path, *, output: Path | None = None) -> None:
    """A run that sends every row and dies before saving anything but the identity."""
    with held_workbook(path, sheet="Jobs", output=output) as held:
        port, state = held.port, held.state
        port.save(force=True)  # as the run does before its first request leaves
        run_sheet(port, _client().create_job, RunOptions(), journal=state.journal)
        state.journal.close()  # the process dies here: the results never reach the file


_CLIENT: list[Any] = []


def _client() -> Any:
    return _CLIENT[0]


@pytest.fixture
def box(sandbox_env: Sandbox) -> Iterator[Sandbox]:
    from xl_mailer.click2mail.client import Click2MailClient

    with Click2MailClient(
        sandbox_env.url, sandbox_env.config.username, sandbox_env.config.password
    ) as client:
        _CLIENT[:] = [client]
        yield sandbox_env
    _CLIENT.clear()


# -- 1: a second run, or a reconcile, started while a run is going --------------------------------


def test_a_second_run_waiting_for_the_lock_reads_the_book_after_the_first_run(
    tmp_path: Path, box: Sandbox, after_lock: Callable[[Callable[[], object]], None]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(30), headers=HEADERS)
    after_lock(lambda: run("run", str(path)))  # run A finishes while run B waits
    assert run("run", str(path)) == 0  # run B
    assert max(jobs_per_row(box).values()) == 1 and len(box.state.jobs) == 30
    assert {r["Job ID"] for r in table(path)} == set(box.state.jobs)


def test_a_reconcile_waiting_for_the_lock_does_not_write_a_stale_copy(
    tmp_path: Path, box: Sandbox, after_lock: Callable[[Callable[[], object]], None]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(10), headers=HEADERS)
    after_lock(lambda: run("run", str(path)))
    run("reconcile", str(path))
    assert {r["Job ID"] for r in table(path)} == set(box.state.jobs)  # no id overwritten
    assert run("run", str(path)) == 0
    assert len(box.state.jobs) == 10


def test_two_runs_on_one_workbook_cannot_overlap(
    tmp_path: Path, box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [LETTER])
    with RunLock(path):
        assert main(["run", str(path)]) == 2
    assert "another xl-mailer run is working on it" in capsys.readouterr().err
    assert box.state.create_requests == 0
    assert run("run", str(path)) == 0


# -- 2: min-age counts from when the row's request left -------------------------------------------


def test_a_row_sent_late_in_a_long_run_is_not_declared_safe_early(
    tmp_path: Path, box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xl_mailer.core import keys as keys_module

    class LongAgo(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Any:  # type: ignore[override]
            return dt.datetime.now(tz) - dt.timedelta(minutes=30)

    class Clock:  # keys are made when the run starts, half an hour before rows leave
        datetime = LongAgo
        UTC = dt.UTC

    monkeypatch.setattr(keys_module, "dt", Clock)
    box.config.fault, box.config.fault_every = "gateway524", 2  # the job is made, no answer
    path = write_book(tmp_path / "jobs.xlsx", numbered(4), headers=HEADERS)
    assert run("run", str(path)) == 1
    box.config.fault = None
    late = {str(r["rtnName"]) for r in table(path) if str(r["Description"]).startswith("UNKNOWN")}
    assert len(late) == 2
    # Click2Mail has not finished those jobs yet: they are not listed
    unfinished = {i: j for i, j in box.state.jobs.items() if j.params["rtnName"] in late}
    for job_id in unfinished:
        del box.state.jobs[job_id]
    assert run("reconcile", str(path), "--min-age", "60") == 1
    waiting = [str(r["Description"]) for r in table(path) if r["rtnName"] in late]
    assert all(t.startswith("UNKNOWN: no job yet, but Click2Mail may still") for t in waiting)
    box.state.jobs.update(unfinished)  # Click2Mail finishes them
    assert run("reconcile", str(path), "--min-age", "60") == 0
    assert run("run", str(path)) == 0
    assert max(jobs_per_row(box).values()) == 1 and len(box.state.jobs) == 4


# -- 3: doing what the journal-mismatch message says ----------------------------------------------


def test_after_a_crash_and_an_edit_the_ids_come_back_and_the_message_mails_nothing_twice(
    tmp_path: Path, box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(6), headers=HEADERS)
    crash_after_sending(path)
    assert len(box.state.jobs) == 6
    book = load_workbook(path)
    book["Jobs"]["E4"] = "Full Color"  # row 4 (sent as row 2's data) is edited after the crash
    book.save(path)
    assert main(["run", str(path)], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    edited = next(j for j in box.state.jobs.values() if j.params["rtnName"] == "row 2")
    assert f"job {edited.id} (sent from row 4" in err and "xl-mailer unclaimed" in err
    assert "delete" not in err.replace("moved or deleted since", "")
    ids = [r["Job ID"] for r in table(path)]
    assert ids[2] is None and all(ids[i] for i in (0, 1, 3, 4, 5))  # back in their rows
    # what the message says: look, then attach the job to its row
    out = io.StringIO()
    assert main(["unclaimed", str(path)], out=out) == 1
    assert f"unclaimed: job {edited.id}" in out.getvalue()
    assert main(["unclaimed", str(path), "--attach", f"{edited.id}=4"], out=io.StringIO()) == 0
    assert run("run", str(path)) == 0
    assert len(box.state.jobs) == 6 and max(jobs_per_row(box).values()) == 1
    assert table(path)[2]["Job ID"] == edited.id


def test_a_released_job_is_kept_in_the_journal_and_stops_nothing_again(
    tmp_path: Path, box: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(2), headers=HEADERS)
    crash_after_sending(path)
    book = load_workbook(path)
    book["Jobs"].delete_rows(3)  # row 1 deleted: that mailing is handled elsewhere
    book.save(path)
    assert run("run", str(path)) == 2
    (gone,) = [j for j in box.state.jobs.values() if j.params["rtnName"] == "row 1"]
    assert run("unclaimed", str(path), "--release", str(gone.id), "--why", "sent by hand") == 0
    assert run("run", str(path)) == 0
    assert len(box.state.jobs) == 2
    out = io.StringIO()
    main(["unclaimed", str(path), "--all"], out=out)
    assert f"job {gone.id} (sent by hand)" in out.getvalue()


def test_a_crash_before_the_result_columns_existed_can_still_be_attached(
    tmp_path: Path, box: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(1), headers=HEADERS)
    crash_after_sending(path)
    book = load_workbook(path)
    book["Jobs"]["E2"] = "Full Color"
    book.save(path)
    assert run("run", str(path)) == 2
    (job,) = box.state.jobs
    assert run("unclaimed", str(path), "--attach", f"{job}=2") == 0  # no "cell is in use"
    assert table(path)[0]["Job ID"] == job
    assert run("run", str(path)) == 0 and len(box.state.jobs) == 1


def test_attaching_a_job_to_a_row_of_another_mailing_is_refused(
    tmp_path: Path, box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [*numbered(1), *numbered(2, addressId=2003)[1:]]  # row 2: list 2001, row 3: 2003
    path = write_book(tmp_path / "jobs.xlsx", rows, headers=HEADERS)
    crash_after_sending(path)
    book = load_workbook(path)
    book["Jobs"].delete_rows(2)  # the 2003 row moves up to row 2 ...
    book["Jobs"]["E2"] = "Full Color"  # ... and is edited
    book.save(path)
    assert run("run", str(path)) == 2
    first = next(j for j in box.state.jobs.values() if j.params["rtnName"] == "row 0")
    second = next(j for j in box.state.jobs.values() if j.params["rtnName"] == "row 1")
    out = io.StringIO()
    main(["unclaimed", str(path)], out=out)
    assert f"job {first.id} (request key" in out.getvalue() and "addressId 2001" in out.getvalue()
    assert main(["unclaimed", str(path), "--attach", f"{first.id}=2"]) == 2  # "sent from row 2"
    assert "it is another mailing" in capsys.readouterr().err
    assert run("unclaimed", str(path), "--attach", f"{second.id}=2") in (0, 1)
    assert table(path)[0]["Job ID"] == second.id


# -- 4: the lock and the journal belong to the workbook, not to a path ----------------------------


def test_run_and_run_with_output_started_together_mail_each_row_once(
    tmp_path: Path, box: Sandbox, after_lock: Callable[[Callable[[], object]], None]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(20), headers=HEADERS)
    output = tmp_path / "out.xlsx"
    after_lock(lambda: run("run", str(path)))
    run("run", str(path), "--output", str(output))
    assert len(box.state.jobs) == 20 and max(jobs_per_row(box).values()) == 1


def test_a_run_on_an_output_waits_for_the_run_writing_it(tmp_path: Path, box: Sandbox) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(3), headers=HEADERS)
    output = tmp_path / "out.xlsx"
    assert run("run", str(path), "--output", str(output)) == 0
    with identity_lock(identity_of(output) or "", "x"):  # a run on the source is going
        assert run("run", str(output)) == 2
    assert len(box.state.jobs) == 3


@pytest.mark.parametrize("how", ["rename", "move"])
def test_a_workbook_renamed_or_moved_after_a_crash_keeps_its_journal(
    tmp_path: Path, box: Sandbox, how: str
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(8), headers=HEADERS)
    crash_after_sending(path)
    target = tmp_path / ("renamed.xlsx" if how == "rename" else "elsewhere/jobs.xlsx")
    target.parent.mkdir(exist_ok=True)
    shutil.move(path, target)
    assert run("run", str(target)) == 0
    assert len(box.state.jobs) == 8
    assert {r["Job ID"] for r in table(target)} == set(box.state.jobs)


def test_the_original_after_a_finished_output_run_sends_nothing_again(
    tmp_path: Path, box: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(5), headers=HEADERS)
    assert run("run", str(path), "--output", str(tmp_path / "out.xlsx")) == 0
    assert run("run", str(path)) == 1  # the source carries no identity: rows are held back
    assert len(box.state.jobs) == 5
    assert all(str(r["Description"]).startswith("Not sent: held back:") for r in table(path))
    book = load_workbook(path)  # edited since: still the same workbook, still held back
    book["Jobs"].cell(7, 1, "Letter 8.5 x 11")
    book.save(path)
    assert run("run", str(path), "--output", str(tmp_path / "week2.xlsx")) == 1
    assert len(box.state.jobs) == 5


def test_the_original_after_a_killed_output_run_sends_nothing_again(
    tmp_path: Path, box: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(5), headers=HEADERS)
    crash_after_sending(path, output=tmp_path / "out.xlsx")
    assert run("run", str(path)) == 0
    assert len(box.state.jobs) == 5


def test_a_run_through_a_link_writes_the_real_file_and_the_link_stays_a_link(
    tmp_path: Path, box: Sandbox, after_lock: Callable[[Callable[[], object]], None]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(6), headers=HEADERS)
    link = tmp_path / "shortcut.xlsx"
    link.symlink_to(path)
    after_lock(lambda: run("run", str(path)))  # a run on the real path, at the same time
    assert run("run", str(link)) == 0
    assert link.is_symlink() and len(box.state.jobs) == 6
    assert {r["Job ID"] for r in table(path)} == set(box.state.jobs)


def test_a_copy_of_a_workbook_with_unsettled_jobs_is_named_and_sends_nothing(
    tmp_path: Path, box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(4), headers=HEADERS)
    crash_after_sending(path)
    copy = tmp_path / "copy.xlsx"
    shutil.copyfile(path, copy)
    assert main(["run", str(copy)], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert str(path) in err and str(copy) in err and "Nothing was sent" in err
    assert len(box.state.jobs) == 4
    copy.unlink()  # what the message says: keep one of the two
    assert run("run", str(path)) == 0 and len(box.state.jobs) == 4


def test_a_copy_made_before_the_run_finished_gets_the_ids_instead_of_mailing_again(
    tmp_path: Path, box: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(5), headers=HEADERS)
    with held_workbook(path, sheet="Jobs") as held:
        port = held.port
        port.save(force=True)  # what a run does before its first request leaves
    copy = tmp_path / "copy.xlsx"
    shutil.copyfile(path, copy)  # taken mid-run: the identity, but none of the results
    assert run("run", str(path)) == 0
    assert run("run", str(copy)) == 0
    assert len(box.state.jobs) == 5
    assert [r["Job ID"] for r in table(copy)] == [r["Job ID"] for r in table(path)]
    assert str(table(copy)[0]["Description"]).startswith("Recovered: job")


def test_a_finished_workbook_copied_for_new_rows_sends_only_the_new_rows(
    tmp_path: Path, box: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(3), headers=HEADERS)
    assert run("run", str(path)) == 0
    fresh = tmp_path / "next.xlsx"
    shutil.copyfile(path, fresh)
    book = load_workbook(fresh)
    sheet = book["Jobs"]
    sheet.delete_rows(2, 3)  # next month: last month's rows go, new ones come
    for offset, row in enumerate(
        numbered(2, documentId=1003, documentClass="Certified Letter 8.5 x 11", envelope="Best Fit")
    ):
        for column, name in enumerate(HEADERS, start=1):
            sheet.cell(2 + offset, column, row[name])
    book.save(fresh)
    assert run("run", str(fresh), "--no-catalog-check") == 0
    assert len(box.state.jobs) == 5


def test_the_daily_routine_deleting_finished_rows_and_typing_new_ones_never_stops(
    tmp_path: Path, box: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(2), headers=HEADERS)
    assert run("run", str(path)) == 0
    for day in (1, 2, 3):
        book = load_workbook(path)
        book["Jobs"].delete_rows(2, 2)  # yesterday's finished rows go
        today = [{**row, "rtnName": f"day {day} row {i}"} for i, row in enumerate(numbered(2))]
        for line, row in enumerate(today, start=2):
            for column, name in enumerate(HEADERS, start=1):  # today's rows, typed in their place
                book["Jobs"].cell(line, column, row[name])
        book.save(path)
        assert run("run", str(path)) == 0
    assert len(box.state.jobs) == 8 and set(jobs_per_row(box).values()) == {1}


def test_a_new_row_with_the_values_a_deleted_row_was_mailed_with_is_held_until_released(
    tmp_path: Path, box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(2), headers=HEADERS)
    assert run("run", str(path)) == 0
    yesterday = table(path)[0]["Job ID"]
    book = load_workbook(path)
    book["Jobs"].delete_rows(2, 2)  # yesterday's finished rows go
    for column, name in enumerate(HEADERS, start=1):  # a row with row 2's very values again
        book["Jobs"].cell(2, column, numbered(1)[0][name])
    for column, name in enumerate(HEADERS, start=1):  # and a new one
        book["Jobs"].cell(3, column, numbered(3)[2][name])
    book.save(path)
    # an older copy of row 2 (its results cleared, a sheet put back from a backup), or the same
    # mailing again? Only a person can tell
    assert run("run", str(path)) == 1
    (held, new) = table(path)
    assert str(held["Description"]).startswith("Not sent: held back: this row was mailed")
    assert f"release it first (xl-mailer unclaimed --release {yesterday}" in str(
        held["Description"]
    )
    assert held["Job ID"] is None and new["Job ID"] is not None
    assert len(box.state.jobs) == 3
    assert run("unclaimed", str(path), "--release", str(yesterday)) == 0
    assert run("run", str(path)) == 0
    assert jobs_per_row(box)["row 0"] == 2 and len(box.state.jobs) == 4


def test_an_older_copy_that_never_showed_a_job_holds_back_the_row_it_was_sent_from(
    tmp_path: Path, box: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(1), headers=HEADERS)
    assert run("run", str(path)) == 0  # the workbook has its identity and its first job
    book = load_workbook(path)
    for column, name in enumerate(HEADERS, start=1):
        book["Jobs"].cell(3, column, numbered(2)[1][name])
    book.save(path)
    backup = tmp_path / "backup.xlsx"
    shutil.copyfile(path, backup)  # a backup, before row 3 is sent
    assert run("run", str(path)) == 0
    yesterday = table(path)[1]["Job ID"]
    path.unlink()  # the newer file is lost; the backup is opened and edited
    book = load_workbook(backup)
    book["Jobs"].cell(4, 1, None)
    book.save(backup)
    assert run("run", str(backup)) == 1
    held = table(backup)[1]
    assert str(held["Description"]).startswith("Not sent: held back: this row was mailed")
    assert f"xl-mailer unclaimed --release {yesterday}" in str(held["Description"])
    assert len(box.state.jobs) == 2
    assert run("unclaimed", str(backup), "--release", str(yesterday)) == 0
    assert run("run", str(backup)) == 0
    assert jobs_per_row(box)["row 1"] == 2 and len(box.state.jobs) == 3


def test_another_persons_unfinished_run_of_a_shared_file_stops_a_run_until_it_is_finished(
    tmp_path: Path, box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xl_mailer.engine import workbooks

    path = write_book(tmp_path / "shared.xlsx", numbered(6), headers=HEADERS)
    ann = tmp_path / "ann-state"
    monkeypatch.setenv("XL_MAILER_STATE_DIR", str(ann))
    with held_workbook(path, sheet="Jobs") as held:  # Ann's run dies mid-way
        port, state = held.port, held.state
        port.save(force=True)
        workbooks.mark_unfinished(state.path)
        run_sheet(port, _client().create_job, RunOptions(), journal=state.journal)
    monkeypatch.setenv("XL_MAILER_STATE_DIR", str(tmp_path / "bob-state"))
    assert run("run", str(path)) == 2  # Bob's computer has no journal of Ann's run
    assert len(box.state.jobs) == 6
    monkeypatch.setenv("XL_MAILER_STATE_DIR", str(ann))
    assert run("run", str(path)) == 0  # Ann finishes: her journal puts the ids back
    monkeypatch.setenv("XL_MAILER_STATE_DIR", str(tmp_path / "bob-state"))
    assert run("run", str(path)) == 0
    assert len(box.state.jobs) == 6 and max(jobs_per_row(box).values()) == 1


def test_the_ids_are_kept_when_the_file_that_holds_them_is_moved_away(
    tmp_path: Path, box: Sandbox
) -> None:
    master = write_book(tmp_path / "master.xlsx", numbered(4), headers=HEADERS)
    assert run("run", str(master), "--output", str(tmp_path / "out.xlsx")) == 0
    (tmp_path / "sent").mkdir()
    shutil.move(tmp_path / "out.xlsx", tmp_path / "sent" / "out.xlsx")
    assert run("run", str(master), "--output", str(tmp_path / "out2.xlsx")) == 1  # held back
    assert len(box.state.jobs) == 4


def test_a_master_copied_anew_to_the_same_name_is_held_back_not_marked_created(
    tmp_path: Path, box: Sandbox
) -> None:
    master = write_book(tmp_path / "weekly.xlsx", numbered(3), headers=HEADERS)
    path = tmp_path / "jobs.xlsx"
    shutil.copyfile(master, path)
    assert run("run", str(path)) == 0
    (tmp_path / "archive").mkdir()
    shutil.move(path, tmp_path / "archive" / "week1.xlsx")
    shutil.copyfile(master, path)  # next week, the same master again
    assert run("run", str(path)) == 1
    rows = table(path)
    assert all(r["Job ID"] is None for r in rows)  # no row claims last week's jobs
    assert all(str(r["Description"]).startswith("Not sent: held back:") for r in rows)
    out = io.StringIO()
    main(["unclaimed", str(path)], out=out)
    for job in list(box.state.jobs):
        assert f"job {job}" in out.getvalue()
        assert run("unclaimed", str(path), "--release", str(job)) in (0, 1)
    assert run("run", str(path)) == 0
    assert len(box.state.jobs) == 6 and max(jobs_per_row(box).values()) == 2


def test_a_renamed_copy_of_a_shared_file_carries_the_note_of_an_unfinished_run(
    tmp_path: Path, box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xl_mailer.engine import workbooks

    path = write_book(tmp_path / "shared.xlsx", numbered(5), headers=HEADERS)
    monkeypatch.setenv("XL_MAILER_STATE_DIR", str(tmp_path / "ann-state"))
    with held_workbook(path, sheet="Jobs") as held:  # Ann's run dies mid-way
        port, state = held.port, held.state
        port.set_unfinished(workbooks.whose_run())
        port.save(force=True)  # as the run does before its first request leaves
        run_sheet(port, _client().create_job, RunOptions(), journal=state.journal)
    shutil.copyfile(path, tmp_path / "renamed.xlsx")
    path.unlink()  # the note beside the old name is left behind; the one inside moves along
    monkeypatch.setenv("XL_MAILER_STATE_DIR", str(tmp_path / "bob-state"))
    assert run("run", str(tmp_path / "renamed.xlsx")) == 2
    assert len(box.state.jobs) == 5


def test_jobs_made_on_staging_never_hold_back_a_production_run(
    tmp_path: Path, box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(2), headers=HEADERS)
    assert run("run", str(path)) == 0  # tried out on one account
    book = load_workbook(path)
    for row in (2, 3):  # the results cleared, to mail for real
        for column in range(11, 17):
            book["Jobs"].cell(row, column).value = None
    book.save(path)
    with Sandbox() as other:  # another account: its own journal
        monkeypatch.setenv("C2M_ENDPOINT", other.url)
        monkeypatch.setenv("C2M_PASSWORD", other.config.password)
        assert run("run", str(path)) == 0
        assert len(other.state.jobs) == 2


def test_an_existing_output_is_refused_so_a_rerun_cannot_send_everything_again(
    tmp_path: Path, box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_book(tmp_path / "in.xlsx", [LETTER, LETTER])
    output = tmp_path / "out.xlsx"
    assert main(["run", str(source), "--output", str(output)], out=io.StringIO()) == 0
    assert main(["run", str(source), "--output", str(output)], out=io.StringIO()) == 2
    assert "exists already and may hold job ids of an earlier run" in capsys.readouterr().err
    assert box.state.create_requests == 2
    assert run("run", str(output)) == 0  # continuing sends nothing
    assert box.state.create_requests == 2


def test_an_output_run_of_a_source_with_an_unfinished_journal_sends_none_of_its_rows(
    tmp_path: Path, box: Sandbox
) -> None:
    source = write_book(tmp_path / "in.xlsx", [LETTER])
    before = source.read_bytes()
    journal = Journal(journal_path(source))  # beside the book, as earlier versions kept it
    journal.sending([REQUEST])
    journal.close()
    output = tmp_path / "o.xlsx"
    assert run("run", str(source), "--output", str(output)) == 1
    (row,) = table(output)
    assert str(row["Description"]).startswith("UNKNOWN: the previous run stopped while this row")
    assert box.state.create_requests == 0
    assert source.read_bytes() == before


# -- 5: a listing that may not show every job -----------------------------------------------------


def unknown_rows(tmp_path: Path, box: Sandbox, n: int = 2) -> Path:
    """A workbook whose rows are UNKNOWN and whose jobs Click2Mail never made."""
    box.config.fault, box.config.fault_every = "html500", 1
    path = write_book(tmp_path / "jobs.xlsx", numbered(n), headers=HEADERS)
    assert run("run", str(path)) == 1
    box.config.fault = None
    return path


def read_as_the_client_does(jobs: list[dict[str, str]], server_time: object) -> Listing:
    return Listing(jobs, server_time, listing_problem(jobs, {}))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("jobs", "server_clock", "why"),
    [
        ([{"id": str(i), "appSignature": "x"} for i in range(50)], 0, "exactly 50 jobs"),
        ([{"id": "1", "appSignature": "xlm-2611281"}], 0, "cut short or changed"),
        ([], -2 * 24 * 60, "clock is 2,880 minutes ahead of Click2Mail's"),
        ([], None, "no Date header"),
    ],
)
def test_a_listing_that_may_be_incomplete_declares_no_row_safe(
    tmp_path: Path, box: Sandbox, jobs: list[dict[str, str]], server_clock: int | None, why: str
) -> None:
    from xl_mailer.headless.xlsx import open_sheet

    path = unknown_rows(tmp_path, box)
    port = open_sheet(path)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1)
    server = None if server_clock is None else now + dt.timedelta(minutes=server_clock)
    settled = reconcile_sheet(port, lambda day: read_as_the_client_does(jobs, server), now=now)
    assert [r.outcome for _, r in settled] == [Outcome.UNKNOWN, Outcome.UNKNOWN]
    assert all(why in r.description for _, r in settled)
    assert all("No row was declared safe" in r.description for _, r in settled)


# -- 6: a row with its own appSignature -----------------------------------------------------------


def test_a_row_with_its_own_signature_is_not_given_an_older_job_of_the_same_values(
    tmp_path: Path, box: Sandbox
) -> None:
    row = {**LETTER, "rtnName": "row 0", "appSignature": "april"}
    headers = [*HEADERS, "appSignature"]
    params = tuple((k, str(row[k])) for k in headers)
    earlier = _client().create_job(JobRequest(2, params))  # from an earlier run, last hour
    assert earlier.outcome is Outcome.CREATED
    box.state.jobs[earlier.job_id].created -= dt.timedelta(hours=1)
    box.config.fault, box.config.fault_every = "html500", 1  # this row makes no job
    path = write_book(tmp_path / "jobs.xlsx", [row], headers=headers)
    assert run("run", str(path)) == 1
    box.config.fault = None
    assert run("reconcile", str(path), "--min-age", "0") == 0
    (line,) = table(path)
    assert line["Job ID"] is None and str(line["Description"]).startswith("Safe to send again")
    assert run("run", str(path)) == 0
    assert jobs_per_row(box)["row 0"] == 2  # the earlier job and this row's own
    assert table(path)[0]["Job ID"] != earlier.job_id


# -- 7: hand edits, and a journal that changes under a run ----------------------------------------


def test_a_cleared_job_id_comes_back_from_the_journal(tmp_path: Path, box: Sandbox) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(2), headers=HEADERS)
    assert run("run", str(path)) == 0
    made = table(path)[0]["Job ID"]
    book = load_workbook(path)
    book["Jobs"]["K2"] = None  # the Job ID cleared by hand; Created and the key stay
    book.save(path)
    assert run("run", str(path)) == 0
    assert len(box.state.jobs) == 2 and table(path)[0]["Job ID"] == made


def test_a_cleared_job_id_comes_back_from_the_journal_even_without_its_request_key(
    tmp_path: Path, box: Sandbox
) -> None:
    headers = [*HEADERS, "Job ID", "HTTP Status", "Return Code", "Description", "Request Key"]
    # the id and the key were deleted by hand, the rest of the result left behind
    row = {**LETTER, "HTTP Status": 201, "Return Code": 0, "Description": "Created"}
    path = write_book(tmp_path / "jobs.xlsx", [row], headers=headers)
    journal = Journal(journal_path(path))
    journal.sending([REQUEST])
    journal.result(REQUEST, JobResult(Outcome.CREATED, "Created", 501, 201, 0))
    journal.close()
    assert run("run", str(path)) == 0
    assert table(path)[0]["Job ID"] == 501
    assert box.state.create_requests == 0


def test_a_row_showing_created_without_a_job_id_is_not_sent_until_cleared(
    tmp_path: Path, box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(2), headers=HEADERS)
    assert run("run", str(path)) == 0
    book = load_workbook(path)
    book["Jobs"]["K2"] = None  # the Job ID cleared by hand; Created and the key stay
    book.save(path)
    # on a computer whose journal never saw this workbook
    monkeypatch.setenv("XL_MAILER_STATE_DIR", str(tmp_path / "another-computer"))
    assert run("run", str(path)) == 1
    assert len(box.state.jobs) == 2
    text = str(table(path)[0]["Description"])
    assert "shows Created but no Job ID" in text and "Clear Results" in text
    assert run("run", str(path)) == 1 and len(box.state.jobs) == 2  # still held
    assert run("clear", str(path), "--rows", "2") == 0  # sending it again on purpose
    assert run("run", str(path)) == 0
    assert jobs_per_row(box)["row 0"] == 2


def test_a_journal_deleted_during_a_run_is_reported_before_the_run_says_it_is_done(
    tmp_path: Path,
    box: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from xl_mailer.click2mail.client import Click2MailClient

    real = Click2MailClient.create_job
    path = write_book(tmp_path / "jobs.xlsx", numbered(3), headers=HEADERS)

    def create_and_delete(self: Click2MailClient, request: JobRequest) -> JobResult:
        result = real(self, request)
        journal = journal_for(path)
        if journal is not None:
            journal.path.unlink(missing_ok=True)
        return result

    monkeypatch.setattr(Click2MailClient, "create_job", create_and_delete)
    assert main(["run", str(path)], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "was deleted while the run was writing it" in err
    assert {r["Job ID"] for r in table(path)} == set(box.state.jobs)  # saved all the same


def test_a_bad_journal_record_names_its_line_and_what_is_wrong(
    tmp_path: Path, box: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(1), headers=HEADERS)
    legacy = tmp_path / ".jobs.xlsx.xl-mailer-journal"
    records = [
        {"e": "send", "row": 2, "key": "xlm-2611281000-aaaaaaaaaa", "digest": "d"},
        {
            "e": "result",
            "key": "xlm-2611281000-aaaaaaaaaa",
            "outcome": "created",
            "job": "x7",
            "http": 201,
            "code": 0,
            "text": "Created",
        },
    ]
    legacy.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main(["run", str(path)], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "line 2 (result record): 'job' is \"x7\", but must be a job id" in err
    assert "KeyError" not in err and "unexpected" not in err
    assert len(box.state.jobs) == 0


def test_a_journal_that_cannot_be_written_says_what_was_sent_without_a_traceback(
    tmp_path: Path,
    box: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import errno

    from xl_mailer.engine import journal as journal_module

    real_write = os.write
    writes = [0]

    def full_disk(descriptor: int, data: Any) -> int:
        if b'"e":"send"' in bytes(data):
            writes[0] += 1
            if writes[0] > 2:  # the first batches fit; then the disk is full
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(descriptor, data)

    monkeypatch.setattr(journal_module.os, "write", full_disk)
    path = write_book(tmp_path / "jobs.xlsx", numbered(12), headers=HEADERS)
    assert main(["run", str(path), "--concurrency", "1"], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert (
        "the journal could not be written (No space left on device): nothing was sent after row"
        in err
    )
    assert "Stopped: stopped" not in err and "Traceback" not in err
    sent = len(box.state.jobs)
    assert 0 < sent < 12
    assert sum(1 for r in table(path) if r["Job ID"]) == sent  # every id it got is saved


def test_a_copy_that_sent_rows_of_its_own_still_holds_back_a_mailing_sent_from_the_other(
    tmp_path: Path, box: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(1), headers=HEADERS)
    assert run("run", str(path)) == 0  # the workbook has its identity and a first job
    copy = tmp_path / "copy.xlsx"
    shutil.copyfile(path, copy)

    def add(where: Path, row: dict[str, object]) -> None:
        book = load_workbook(where)
        sheet = book["Jobs"]
        line = sheet.max_row + 1
        for column, name in enumerate(HEADERS, start=1):
            sheet.cell(line, column, row[name])
        book.save(where)

    acme, beta = numbered(3)[1], numbered(3)[2]
    add(path, acme)
    assert run("run", str(path)) == 0  # Acme, from the original
    add(copy, beta)
    assert run("run", str(copy)) == 0  # Beta, from the copy, which never showed Acme
    add(copy, acme)  # the Acme row reaches the copy too (typed, or pasted from the other)
    assert run("run", str(copy)) == 1
    assert str(table(copy)[-1]["Description"]).startswith("Not sent: held back")
    assert jobs_per_row(box) == {"row 0": 1, "row 1": 1, "row 2": 1}


def test_a_state_folder_put_back_from_a_backup_does_not_let_a_crashed_runs_rows_go_twice(
    tmp_path: Path, box: Sandbox
) -> None:
    state = Path(os.environ["XL_MAILER_STATE_DIR"])
    rows = numbered(6)
    path = write_book(tmp_path / "jobs.xlsx", rows[:2], headers=HEADERS)
    assert run("run", str(path)) == 0
    backup = tmp_path / "state-backup"
    shutil.copytree(state, backup)
    book = load_workbook(path)
    for line, row in enumerate(rows[2:4], start=4):
        for column, name in enumerate(HEADERS, start=1):
            book["Jobs"].cell(line, column, row[name])
    book.save(path)
    assert run("run", str(path)) == 0  # the workbook's mark now counts these sends too
    shutil.rmtree(state)
    shutil.copytree(backup, state)  # the journal goes back to before them: it numbers anew
    book = load_workbook(path)
    for line, row in enumerate(rows[4:], start=6):
        for column, name in enumerate(HEADERS, start=1):
            book["Jobs"].cell(line, column, row[name])
    book.save(path)
    crash_after_sending(path)
    assert run("run", str(path)) == 0
    assert jobs_per_row(box) == {f"row {i}": 1 for i in range(6)}
