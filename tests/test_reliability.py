"""Never a duplicate, never a lost job id: unknown answers, journal, reconciliation, SIGKILL."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xl_mailer.app.reconcile import Pending, settle, start_date
from xl_mailer.core.keys import key_date, key_time, new_key
from xl_mailer.core.models import REQUIRED_PARAMS, JobRequest, JobResult, Outcome
from xl_mailer.engine.journal import Journal, journal_path
from xl_mailer.engine.workbooks import journal_for
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox, SandboxConfig

from .conftest import LETTER, start_sandbox, write_book

HEADERS = [*REQUIRED_PARAMS, "rtnName"]
JOB, HTTP, CODE, TEXT, KEY = range(10, 15)  # 0-based columns of the output in these books


def rows(path: Path) -> list[list[object]]:
    return [list(r) for r in load_workbook(path)["Jobs"].iter_rows(min_row=2, values_only=True)]


def numbered(n: int) -> list[dict[str, object]]:
    """Rows told apart by rtnName, so the sandbox can say which row each job came from."""
    return [{**LETTER, "rtnName": f"row {i}"} for i in range(n)]


def env_for(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C2M_ENDPOINT", box.url)
    monkeypatch.setenv("C2M_USERNAME", box.config.username)
    monkeypatch.setenv("C2M_PASSWORD", box.config.password)


def jobs_per_row(box: Sandbox) -> Counter[str]:
    return Counter(job.params.get("rtnName", "") for job in box.state.jobs.values())


def test_a_run_never_gives_two_rows_one_key_nor_reuses_a_key_in_the_sheet() -> None:
    from xl_mailer.app.create import RunOptions, run_sheet
    from xl_mailer.core.catalog import default_catalog
    from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS, JobResult, Outcome

    from .conftest import LETTER as ROW

    header = [*REQUIRED_PARAMS, *OUTPUT_HEADERS]
    done = [ROW[p] for p in REQUIRED_PARAMS] + [7, 201, 0, "Created", "k-old"]
    values = [header, done, *([ROW[p] for p in REQUIRED_PARAMS] for _ in range(3))]
    made = iter(["k-old", "k-a", "k-a", "k-b", "k-a", "k-c"])  # a generator that repeats itself
    sent: list[str | None] = []

    class Sheet:
        name = "Jobs"

        def values(self) -> list[list[object]]:
            return [list(line) for line in values]

        def write_block(self, row: int, column: int, block: list[list[object]]) -> None:
            pass

        def checkpoint(self) -> None:
            pass

        def row_notes(self, layout: object) -> dict[int, str]:
            return {}

    def send(request: JobRequest) -> JobResult:
        sent.append(request.key)
        return JobResult(Outcome.CREATED, "Created", len(sent), 201, 0)

    run_sheet(Sheet(), send, RunOptions(catalog=default_catalog(), make_key=lambda: next(made)))
    assert sorted(k for k in sent if k) == ["k-a", "k-b", "k-c"]


def test_request_keys_are_unique_dated_and_sent_as_app_signature(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    made = dt.datetime(2026, 11, 28, 13, 45, tzinfo=dt.UTC)
    assert key_date(new_key(made)) == dt.date(2026, 11, 28)
    assert key_time(new_key(made)) == made
    assert len(new_key()) == 25
    assert len({new_key() for _ in range(1000)}) == 1000
    path = write_book(tmp_path / "jobs.xlsx", numbered(3), headers=HEADERS)
    assert main(["run", str(path)], out=io.StringIO()) == 0
    table = rows(path)
    keys = {row[KEY] for row in table}
    assert len(keys) == 3
    sent = {job.params["appSignature"]: job.id for job in sandbox_env.state.jobs.values()}
    assert {row[KEY]: row[JOB] for row in table} == sent
    assert not journal_path(path).exists()  # the saved workbook holds everything


def test_a_users_own_app_signature_is_sent_unchanged(tmp_path: Path, sandbox_env: Sandbox) -> None:
    path = write_book(
        tmp_path / "jobs.xlsx",
        [{**LETTER, "appSignature": "april"}],
        headers=[*REQUIRED_PARAMS, "appSignature"],
    )
    assert main(["run", str(path)], out=io.StringIO()) == 0
    (job,) = sandbox_env.state.jobs.values()
    assert job.params["appSignature"] == "april"


@pytest.mark.parametrize("fault", ["timeout", "drop", "gateway524", "malformed", "html500"])
def test_ambiguous_answers_mark_the_row_unknown_and_a_rerun_never_resends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    with start_sandbox(fault=fault, fault_every=2, fault_seconds=1.0) as box:
        env_for(box, monkeypatch)
        path = write_book(tmp_path / "jobs.xlsx", numbered(4), headers=HEADERS)
        args = ["run", str(path), "--concurrency", "1", "--timeout", "0.5"]
        assert main(args, out=io.StringIO()) == 1
        time.sleep(1.0)  # a timed-out job is still being made
        unknown = [r for r in rows(path) if str(r[TEXT]).startswith("UNKNOWN:")]
        assert len(unknown) == 2
        assert all(r[KEY] for r in unknown)
        requests_before = box.state.create_requests
        assert main(args, out=io.StringIO()) == 1
        assert box.state.create_requests == requests_before  # nothing re-sent
        assert max(jobs_per_row(box).values()) == 1


@pytest.mark.parametrize("fault", ["timeout", "drop", "gateway524", "malformed", "html500"])
def test_reconcile_fills_in_lost_ids_or_marks_rows_safe_then_each_row_has_one_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    with start_sandbox(fault=fault, fault_every=2, fault_seconds=1.0) as box:
        env_for(box, monkeypatch)
        path = write_book(tmp_path / "jobs.xlsx", numbered(6), headers=HEADERS)
        main(["run", str(path), "--concurrency", "1", "--timeout", "0.5"], out=io.StringIO())
        time.sleep(1.0)
        box.config.fault = None
        assert main(["reconcile", str(path), "--min-age", "0"], out=io.StringIO()) == 0
        table = rows(path)
        made = {r[JOB] for r in table if r[JOB]}
        if fault == "html500":  # nothing was made: the rows are safe to send again
            assert all(str(r[TEXT]).startswith(("Created", "Safe to send again")) for r in table)
        else:
            assert made == set(box.state.jobs)
        assert main(["run", str(path)], out=io.StringIO()) == 0
        assert set(jobs_per_row(box)) == {f"row {i}" for i in range(6)}
        assert max(jobs_per_row(box).values()) == 1
        assert {r[JOB] for r in rows(path)} == set(box.state.jobs)


SENT = dt.datetime(2026, 11, 28, 10, 0, 0)  # UTC, naive, as the Sent (UTC) column holds it


def pending(key: str | None, **params: str) -> Pending:
    base = {k: str(v) for k, v in LETTER.items()}
    base.update(params)
    items = tuple(base.items()) + ((("appSignature", key),) if key else ())
    return Pending(7, key, items, SENT, SENT + dt.timedelta(seconds=30))


def made(minutes: float) -> str:
    """A listing's createdDate this many minutes after SENT."""
    return (SENT + dt.timedelta(minutes=minutes)).isoformat()


LISTED = {k: str(v) for k, v in LETTER.items()}


@pytest.mark.parametrize(
    ("row", "jobs", "outcome", "text"),
    [
        (
            pending("k1"),
            [{**LISTED, "id": "5", "appSignature": "k1"}],
            Outcome.CREATED,
            "Reconciled: job 5 exists at Click2Mail",
        ),
        (
            pending("k1"),
            [{**LISTED, "id": "5", "appSignature": "k2"}],
            Outcome.FAILED,
            "Safe to send again: Click2Mail has no job with request key k1 (checked 2026-11-28)",
        ),
        (pending("k1"), [], Outcome.FAILED, "Safe to send again"),
        (
            pending("k1"),
            [{**LISTED, "id": "5", "appSignature": "k1", "addressId": "2002"}],
            Outcome.UNKNOWN,
            "UNKNOWN: job(s) 5 carry this row's request key but other parameters",
        ),
        (
            pending("k1"),
            [
                {**LISTED, "id": "5", "appSignature": "k1"},
                {**LISTED, "id": "6", "appSignature": "k1"},
            ],
            Outcome.UNKNOWN,
            "UNKNOWN: 2 jobs at Click2Mail match this row (5, 6)",
        ),
        (
            pending(None),
            [{**LISTED, "id": "8", "createdDate": made(1)}],
            Outcome.CREATED,
            "Reconciled: job 8",
        ),
        (
            pending(None),
            [
                {**LISTED, "id": "8", "createdDate": made(1)},
                {**LISTED, "id": "9", "createdDate": made(2)},
            ],
            Outcome.UNKNOWN,
            "UNKNOWN: 2 jobs at Click2Mail match this row",
        ),
        (  # item 6: an earlier job with the same values is not this row's
            pending(None),
            [{**LISTED, "id": "4", "createdDate": made(-60)}],
            Outcome.FAILED,
            "Safe to send again: Click2Mail has no job with these parameters",
        ),
        (  # made about when the row left: cannot be told apart
            pending(None),
            [{**LISTED, "id": "4", "createdDate": made(0)}],
            Outcome.UNKNOWN,
            "UNKNOWN: job 4 has this row's values and appSignature and was made about when",
        ),
        (  # a listing that does not say when its jobs were made proves nothing
            pending(None),
            [{**LISTED, "id": "4"}],
            Outcome.UNKNOWN,
            "UNKNOWN: Click2Mail's listing does not say when its jobs were made",
        ),
        (  # a job another row holds is not this row's
            pending(None),
            [{**LISTED, "id": "77", "createdDate": made(1)}],
            Outcome.FAILED,
            "Safe to send again",
        ),
        (
            pending(None),
            [{"id": "3", "appSignature": "xlm-x", "documentClass": "Other"}],
            Outcome.FAILED,
            "Safe to send again: Click2Mail has no job with these parameters",
        ),
    ],
)
def test_settle_decides_from_the_listing(
    row: Pending, jobs: list[dict[str, str]], outcome: Outcome, text: str
) -> None:
    long_after = dt.datetime(2026, 11, 28, 23, 0)
    claimed = {77: "row 3"}
    result = settle(row, jobs, dt.date(2026, 11, 28), now=long_after, claimed=claimed)
    assert result.outcome is outcome
    assert result.description.startswith(text)


def test_the_listing_starts_a_day_before_the_earliest_send() -> None:
    today = dt.date(2026, 11, 28)
    keys = [
        Pending(1, "k1", (), dt.datetime(2026, 11, 20, 10, 0)),
        Pending(2, "k2", (), dt.datetime(2026, 11, 25, 23, 59)),
    ]
    assert start_date(keys, today) == dt.date(2026, 11, 19)
    assert start_date([Pending(1, None, ())], today) == dt.date(2026, 11, 20)


def test_reconcile_with_nothing_pending_sends_nothing(tmp_path: Path, sandbox_env: Sandbox) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(1), headers=HEADERS)
    out = io.StringIO()
    assert main(["reconcile", str(path)], out=out) == 0
    assert "Nothing to reconcile" in out.getvalue()


def test_the_journal_puts_back_ids_the_workbook_never_got(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(3), headers=HEADERS)
    journal = Journal(journal_path(path))
    # a previous run made row 2's job and died before saving; row 3 was on its way
    params = tuple((k, str(v)) for k, v in numbered(3)[0].items())
    made = JobRequest(
        2, (*params, ("appSignature", "xlm-2611281000-aaaaaa")), "xlm-2611281000-aaaaaa"
    )
    journal.sending([made])
    journal.result(made, JobResult(Outcome.CREATED, "Created", 777, 201, 0))
    params3 = tuple((k, str(v)) for k, v in numbered(3)[1].items())
    lost = JobRequest(3, params3, "xlm-2611281000-bbbbbb")
    journal.sending([lost])
    journal.close()
    out = io.StringIO()
    assert main(["run", str(path)], out=out) == 1  # row 3 is UNKNOWN
    table = rows(path)
    assert table[0][JOB] == 777 and table[0][KEY] == "xlm-2611281000-aaaaaa"
    assert str(table[1][TEXT]).startswith("UNKNOWN: the previous run stopped while this row")
    assert table[1][KEY] == "xlm-2611281000-bbbbbb"
    assert table[2][HTTP] == 201  # the third row was sent as usual
    assert sandbox_env.state.create_requests == 1
    assert "recovered from the journal" in out.getvalue()


@pytest.mark.parametrize("created", [True, False])
def test_a_journal_entry_no_row_matches_stops_the_run_before_anything_is_sent(
    tmp_path: Path, sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str], created: bool
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", numbered(1), headers=HEADERS)
    before = path.read_bytes()
    journal = Journal(journal_path(path))
    stray = JobRequest(9, (("documentClass", "Postcard 4.25 x 6"),), "xlm-2611281000-cccccc")
    journal.sending([stray])
    if created:
        journal.result(stray, JobResult(Outcome.CREATED, "Created", 4242, 201, 0))
    journal.close()
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    what = "job 4242" if created else "a request whose answer was lost"
    assert f"{what} (sent from row 9, request key xlm-2611281000-cccccc)" in err
    assert "Nothing new was sent" in err and "xl-mailer unclaimed" in err
    assert "delete the journal" not in err and "then delete" not in err  # it may hold other ids
    assert sandbox_env.state.create_requests == 0
    assert path.read_bytes() == before
    assert not journal_path(path).exists()  # an old journal beside the book moved in
    moved = journal_for(path)
    assert moved is not None and [e.key for e in moved.entries()] == [stray.key]


def test_a_cut_journal_line_is_ignored(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    request = JobRequest(2, (("documentId", "1"),), "k")
    journal.sending([request])
    journal.close()
    with (tmp_path / "j").open("a") as handle:
        handle.write('{"e":"result","row":2,"key":"k","outc')
    (entry,) = Journal(tmp_path / "j").entries()
    assert entry.result.outcome is Outcome.UNKNOWN


def test_sigkill_mid_run_then_rerun_and_reconcile_lose_nothing_and_send_nothing_twice(
    tmp_path: Path,
) -> None:
    n = 60
    with Sandbox(SandboxConfig(latency=0.05)) as box:
        path = write_book(tmp_path / "jobs.xlsx", numbered(n), headers=HEADERS)
        env = {
            **os.environ,
            "C2M_ENDPOINT": box.url,
            "C2M_USERNAME": "sandbox",
            "C2M_PASSWORD": box.config.password,
        }
        runner = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "xl_mailer.headless.cli",
                "run",
                str(path),
                "--concurrency",
                "4",
                "--quiet",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while len(box.state.jobs) < n // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
        time.sleep(0.3)  # requests in flight finish at the sandbox
        made_before_rerun = len(box.state.jobs)
        assert 0 < made_before_rerun < n
        rerun = subprocess.run(
            [sys.executable, "-m", "xl_mailer.cli", "run", str(path), "--quiet"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert rerun.returncode in (0, 1), rerun.stderr
        settled = subprocess.run(
            # the sandbox makes a job at once: no need to wait before declaring a row safe
            [
                sys.executable,
                "-m",
                "xl_mailer.headless.cli",
                "reconcile",
                str(path),
                "--min-age",
                "0",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert settled.returncode == 0, settled.stdout + settled.stderr
        final = subprocess.run(
            [sys.executable, "-m", "xl_mailer.cli", "run", str(path), "--quiet"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert final.returncode == 0, final.stdout + final.stderr
        table = rows(path)
        ids = [r[JOB] for r in table]
        assert all(ids)
        assert sorted(ids) == sorted(box.state.jobs)  # every job is in the workbook, once
        assert max(jobs_per_row(box).values()) == 1  # no row was sent twice
        assert len(box.state.jobs) == n
