"""Never a duplicate, never a lost job id: request keys, unknown answers, the journal,
reconciliation, a crash, a 401, Ctrl-C and SIGKILL, each run through the command line."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xl_mailer.app.create import RunOptions, run_sheet
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.core.catalog import default_catalog
from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS, JobRequest, JobResult, Outcome
from xl_mailer.engine.journal import Journal, journal_path
from xl_mailer.engine.workbooks import journal_for
from xl_mailer.headless.cli import main
from xl_mailer.headless.xlsx import open_sheet
from xl_mailer.sandbox import Sandbox, SandboxConfig

from ..conftest import LETTER, start_sandbox, write_book

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
    header = [*REQUIRED_PARAMS, *OUTPUT_HEADERS]
    done = [LETTER[p] for p in REQUIRED_PARAMS] + [7, 201, 0, "Created", "k-old"]
    values = [header, done, *([LETTER[p] for p in REQUIRED_PARAMS] for _ in range(3))]
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

        def archived(self) -> list[list[object]]:
            return []

    def send(request: JobRequest) -> JobResult:
        sent.append(request.key)
        return JobResult(Outcome.CREATED, "Created", len(sent), 201, 0)

    run_sheet(Sheet(), send, RunOptions(catalog=default_catalog(), make_key=lambda: next(made)))
    assert sorted(k for k in sent if k) == ["k-a", "k-b", "k-c"]


def test_each_row_is_sent_with_its_own_request_key_as_app_signature_and_the_sheet_keeps_it(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
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


@dataclass
class FaultyRun:
    box: Sandbox
    path: Path
    fault: str
    args: list[str]


@pytest.fixture(params=["timeout", "drop", "gateway524", "malformed", "html500"])
def faulty_run(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FaultyRun]:
    """Four rows run one at a time; the sandbox makes every other job and answers it
    ambiguously. Each fault makes its job before it answers: nothing is left to wait for."""
    fault = request.param
    with start_sandbox(fault=fault, fault_every=2, fault_seconds=1.0) as box:
        env_for(box, monkeypatch)
        path = write_book(tmp_path / "jobs.xlsx", numbered(4), headers=HEADERS)
        args = ["run", str(path), "--concurrency", "1"]
        if fault == "timeout":
            args += ["--timeout", "0.5"]  # the sandbox answers only after a second
        assert main(args, out=io.StringIO()) == 1
        yield FaultyRun(box, path, fault, args)


def test_ambiguous_answers_mark_the_row_unknown_and_a_rerun_never_resends_it(
    faulty_run: FaultyRun,
) -> None:
    box, path = faulty_run.box, faulty_run.path
    unknown = [r for r in rows(path) if str(r[TEXT]).startswith("UNKNOWN:")]
    assert len(unknown) == 2
    assert all(r[KEY] for r in unknown)
    requests_before = box.state.create_requests
    assert main(faulty_run.args, out=io.StringIO()) == 1
    assert box.state.create_requests == requests_before  # nothing re-sent
    assert max(jobs_per_row(box).values()) == 1


def test_reconcile_fills_in_lost_ids_or_marks_rows_safe_then_each_row_has_one_job(
    faulty_run: FaultyRun,
) -> None:
    box, path = faulty_run.box, faulty_run.path
    box.config.fault = None
    assert main(["reconcile", str(path), "--min-age", "0"], out=io.StringIO()) == 0
    table = rows(path)
    made = {r[JOB] for r in table if r[JOB]}
    if faulty_run.fault == "html500":  # nothing was made: the rows are safe to send again
        assert all(str(r[TEXT]).startswith(("Created", "Safe to send again")) for r in table)
    else:
        assert made == set(box.state.jobs)
    assert main(["run", str(path)], out=io.StringIO()) == 0
    assert set(jobs_per_row(box)) == {f"row {i}" for i in range(4)}
    assert max(jobs_per_row(box).values()) == 1
    assert {r[JOB] for r in rows(path)} == set(box.state.jobs)


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


class WatchedJobs(dict[int, object]):
    """The sandbox's jobs, telling a waiting test each time one is made."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()

    def __setitem__(self, key: int, value: object) -> None:
        super().__setitem__(key, value)
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self) >= count, timeout=30)


def watch_jobs(box: Sandbox) -> WatchedJobs:
    jobs = WatchedJobs()
    box.state.jobs = jobs  # type: ignore[assignment]
    return jobs


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "xl_mailer.headless.cli", *args]


def finish(env: dict[str, str], module: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", module, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_sigkill_mid_run_then_rerun_and_reconcile_lose_nothing_and_send_nothing_twice(
    tmp_path: Path,
) -> None:
    n = 60
    with Sandbox(SandboxConfig(latency=0.05)) as box:
        jobs = watch_jobs(box)
        path = write_book(tmp_path / "jobs.xlsx", numbered(n), headers=HEADERS)
        env = {
            **os.environ,
            "C2M_ENDPOINT": box.url,
            "C2M_USERNAME": "sandbox",
            "C2M_PASSWORD": box.config.password,
        }
        runner = subprocess.Popen(
            cli("run", str(path), "--concurrency", "4", "--quiet"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        jobs.wait_for(n // 3)
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
        # requests still on their way may make their jobs while the rerun starts, as they would
        box.config.latency = 0.0
        assert len(box.state.jobs) < n
        # the command users type (xl_mailer.cli) and the module behind it, alike
        rerun = finish(env, "xl_mailer.cli", "run", str(path), "--quiet")
        assert rerun.returncode in (0, 1), rerun.stderr
        # the sandbox makes a job at once: no need to wait before declaring a row safe
        settled = finish(env, "xl_mailer.headless.cli", "reconcile", str(path), "--min-age", "0")
        assert settled.returncode == 0, settled.stdout + settled.stderr
        final = finish(env, "xl_mailer.cli", "run", str(path), "--quiet")
        assert final.returncode == 0, final.stdout + final.stderr
        table = rows(path)
        ids = [r[JOB] for r in table]
        assert all(ids)
        assert sorted(ids) == sorted(box.state.jobs)  # every job is in the workbook, once
        assert max(jobs_per_row(box).values()) == 1  # no row was sent twice
        assert len(box.state.jobs) == n


def test_ctrl_c_on_the_command_line_keeps_every_job_it_made(tmp_path: Path) -> None:
    with Sandbox(SandboxConfig(latency=0.05)) as box:
        jobs = watch_jobs(box)
        path = write_book(tmp_path / "jobs.xlsx", [LETTER] * 80)
        env = {
            "C2M_ENDPOINT": box.url,
            "C2M_USERNAME": "sandbox",
            "C2M_PASSWORD": box.config.password,
            "PATH": "/usr/bin:/bin",
        }
        runner = subprocess.Popen(
            cli("run", str(path), "--quiet"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        jobs.wait_for(12)
        runner.send_signal(signal.SIGINT)
        out, err = runner.communicate(timeout=60)
        assert runner.returncode == 2, out + err
        assert "cancelled" in err.lower()
        # the run waited for the answers of the rows on their way: each job is in the book
        table = list(load_workbook(path)["Jobs"].iter_rows(min_row=2, values_only=True))
        ids = [r[9] for r in table if r[9]]
        assert sorted(ids) == sorted(box.state.jobs)
        assert len(ids) < 80


def test_a_crash_while_sending_marks_the_row_unknown_and_keeps_the_journal(
    tmp_path: Path, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(self: Click2MailClient, request: JobRequest) -> JobResult:
        raise RuntimeError("something unforeseen")

    monkeypatch.setattr(Click2MailClient, "create_job", explode)
    path = write_book(tmp_path / "jobs.xlsx", [LETTER], headers=HEADERS)
    assert main(["run", str(path)], out=io.StringIO()) == 2
    row = [c.value for c in load_workbook(path)["Jobs"][2]]
    assert str(row[TEXT]).startswith("UNKNOWN: sending failed unexpectedly (RuntimeError")
    kept = journal_for(path)
    assert kept is not None and kept.path.exists()


def test_a_401_leaves_no_row_unknown_for_later_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Sandbox(SandboxConfig(fault="password", fault_every=2)) as box:
        env_for(box, monkeypatch)
        path = write_book(tmp_path / "jobs.xlsx", [LETTER] * 3, headers=HEADERS)
        journal = Journal(journal_path(path))
        port = open_sheet(path)
        with Click2MailClient(box.url, "sandbox", box.config.password) as client:
            run = run_sheet(port, client.create_job, RunOptions(concurrency=1), journal=journal)
        port.save()
        journal.close()  # kept, as the ribbon keeps it
        assert run.summary.authentication_failed
        box.state.password_revoked = False
        box.config.fault = None
        assert main(["run", str(path)], out=io.StringIO()) == 0
        assert [r[TEXT] for r in rows(path)] == ["Created"] * 3
        assert len(box.state.jobs) == 3
