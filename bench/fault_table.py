"""Regenerate docs/reliability.md: what each fault does to a run, and that nothing is lost.

    python bench/fault_table.py [--rows 31] [--output docs/reliability.md]

For every fault the embedded sandbox can inject (and a SIGKILL of the runner),
a workbook of numbered rows is run against the sandbox with the fault on every
third ``POST /jobs``; then the fault is cleared (the operator fixes what broke),
UNKNOWN rows are reconciled and the workbook is run again until every row has
its job. The sandbox is the witness: its jobs are counted per row.

Then the same faults are aimed at the whole mailing's calls (upload, address list, submit,
proof; ``bench/mailing_faults.py``), with ``--no-mailing`` to leave them out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mailing_faults import MailingRow, measure_all
from mailing_faults import markdown as mailing_markdown
from openpyxl import Workbook, load_workbook
from sections import write_top

from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS
from xl_mailer.engine.workbooks import journal_for
from xl_mailer.headless.cli import main
from xl_mailer.headless.demo import LETTER as DEMO_LETTER
from xl_mailer.sandbox import Sandbox, SandboxConfig

LETTER = (*DEMO_LETTER, 1001, 2001)
HEADERS = [*REQUIRED_PARAMS, "rtnName"]
COLUMNS = {name: len(HEADERS) + i for i, name in enumerate(OUTPUT_HEADERS)}
TIMEOUT = 0.5

FAULTS = [
    ("latency beyond the timeout", "timeout", "makes the job, answers after 1.5 s (timeout 0.5 s)"),
    ("connection dropped after processing", "drop", "makes the job, closes without answering"),
    ("500 with an HTML page", "html500", "makes nothing, answers 500 text/html"),
    ("524 (gateway timeout)", "gateway524", "makes the job, answers 524 text/html"),
    ("malformed XML", "malformed", "makes the job, answers 201 with cut-off XML"),
    ("429 with Retry-After", "throttle", "makes nothing, answers 429 Retry-After: 1"),
    ("401 mid-run", "password", "the password stops working from the 3rd create on"),
    (
        "SIGKILL of the runner mid-run",
        None,
        "the runner process is killed after a third of the jobs",
    ),
]


@dataclass
class Row:
    fault: str
    behaviour: str
    created_during: int
    ids_after_run: int
    ids_in_journal: int
    unknown_after_run: int
    exit_code: int
    created_final: int
    ids_final: int
    rows_without_job: int
    sent_twice: int
    ids_lost: int


def make_workbook(path: Path, rows: int) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Jobs"
    sheet.append(HEADERS)
    for i in range(rows):
        sheet.append([*LETTER, f"row {i + 1}"])
    book.save(path)


def sheet_rows(path: Path) -> list[tuple[object, ...]]:
    book = load_workbook(path, read_only=True)
    try:
        return list(book["Jobs"].iter_rows(min_row=2, values_only=True))
    finally:
        book.close()


def cell(row: tuple[object, ...], name: str) -> object:
    index = COLUMNS[name]
    return row[index] if index < len(row) else None


def count(path: Path) -> tuple[set[int], int]:
    table = sheet_rows(path)
    ids = {int(str(cell(r, "Job ID"))) for r in table if cell(r, "Job ID")}
    unknown = sum(1 for r in table if str(cell(r, "Description") or "").startswith("UNKNOWN:"))
    return ids, unknown


def environment(box: Sandbox) -> dict[str, str]:
    return {
        "C2M_ENDPOINT": box.url,
        "C2M_USERNAME": box.config.username,
        "C2M_PASSWORD": box.config.password,
    }


def cli(*args: str) -> int:
    return main(list(args), out=io.StringIO())


def run_in_process(path: Path, box: Sandbox) -> int:
    os.environ.update(environment(box))
    return cli("run", str(path), "--concurrency", "4", "--timeout", str(TIMEOUT))


def run_killed(path: Path, box: Sandbox, rows: int) -> int:
    env = {**os.environ, **environment(box)}
    runner = subprocess.Popen(  # noqa: S603 - our own CLI, by its module path
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
    deadline = time.monotonic() + 60
    while len(box.state.jobs) < rows // 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    runner.send_signal(signal.SIGKILL)
    return runner.wait(timeout=30)


def settle(path: Path, box: Sandbox) -> None:
    """Clear the fault, reconcile, and run again until every row has its job (bounded)."""
    box.config.fault = None
    box.config.latency = 0.0
    box.state.password_revoked = False
    os.environ.update(environment(box))
    for _ in range(3):
        cli("reconcile", str(path), "--min-age", "0")  # the sandbox answers at once
        if cli("run", str(path), "--concurrency", "4") == 0:
            return


def measure(label: str, fault: str | None, behaviour: str, rows: int, folder: Path) -> Row:
    path = folder / f"{fault or 'sigkill'}.xlsx"
    make_workbook(path, rows)
    latency = 0.05 if fault is None else 0.0
    config = SandboxConfig(fault=fault, fault_every=3, fault_seconds=1.5, latency=latency)
    with Sandbox(config) as box:
        code = run_killed(path, box, rows) if fault is None else run_in_process(path, box)
        time.sleep(1.6)  # answers the runner gave up on are still being made
        created_during = len(box.state.jobs)
        ids, unknown = count(path)
        kept = journal_for(path, box.url)  # the journal of this account
        journal = {
            e.result.job_id for e in (kept.entries() if kept else []) if e.result.job_id is not None
        }
        settle(path, box)
        final_ids, _ = count(path)
        per_row = Counter(job.params.get("rtnName") for job in box.state.jobs.values())
        table = sheet_rows(path)
        without = sum(1 for r in table if not cell(r, "Job ID"))
        return Row(
            label,
            behaviour,
            created_during,
            len(ids),
            len(journal - ids),
            unknown,
            code,
            len(box.state.jobs),
            len(final_ids),
            without,
            sum(1 for n in per_row.values() if n > 1),
            len(set(box.state.jobs) - final_ids),
        )


def markdown(
    results: list[Row], rows: int, command: str, mailing: list[MailingRow] | None = None
) -> str:
    lines = [
        "# Reliability: faults, duplicates and lost job ids",
        "",
        f"Each fault hits every third `POST /jobs` of a {rows}-row workbook run with"
        f" `--concurrency 4 --timeout {TIMEOUT}` against the embedded sandbox. Then the fault is"
        " cleared (the operator fixes what broke), `xl-mailer reconcile` settles the rows"
        " marked UNKNOWN, and `xl-mailer run` is repeated until every row has its job. The"
        " sandbox is the witness: it counts the jobs each row (told apart by `rtnName`) got.",
        "",
        f"Why {rows} rows: reconcile declares a row safe to send again only from a job listing"
        " it understands, and a listing of a round number of jobs (10, 20, 25, a multiple of"
        " 50) may have been cut by a page limit (the listing's shape is not documented). With"
        " 30 rows the 500 fault leaves exactly 20 jobs, so its rows would rightly stay UNKNOWN"
        " for a person to check; 31 keeps this table about the faults.",
        "",
        "| fault | sandbox behaviour | exit code | jobs created at the sandbox | job ids in the"
        " workbook | more job ids only in the journal | rows marked UNKNOWN | after reconcile"
        " and rerun: jobs / ids in workbook / rows without a job | rows sent twice |"
        " job ids lost |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        exit_text = "killed" if r.exit_code < 0 else str(r.exit_code)
        lines.append(
            f"| {r.fault} | {r.behaviour} | {exit_text} | {r.created_during} | {r.ids_after_run}"
            f" | {r.ids_in_journal} | {r.unknown_after_run}"
            f" | {r.created_final} / {r.ids_final} / {r.rows_without_job}"
            f" | **{r.sent_twice}** | **{r.ids_lost}** |"
        )
    lines += [
        "",
        "Reading the table: after the faulty run, every job the sandbox made is either in the"
        " workbook or its row is marked UNKNOWN (never re-sent until reconciled). A 429 is"
        " retried after its Retry-After (every worker pauses; at most 5 attempts); a row still"
        " refused after that is marked failed (nothing was made) and the rerun sends it. A 401"
        " stops the run:"
        " rows not yet sent stay blank and are sent by the rerun. After SIGKILL, the"
        " workbook's journal (in the user's state folder, named by the identity the workbook"
        " carries; each request's record fsynced before it leaves, each answer"
        " written the moment it arrives) holds the ids the killed process had received but not"
        " saved; the rerun puts them back and marks the rows that were in flight, or journaled"
        " to go next, UNKNOWN for reconciliation. The"
        " columns after the faulty run are read before anything else touches the workbook.",
        "",
        *(mailing_markdown(mailing) if mailing else []),
        f"Regenerate: `{command}`",
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.platform()},"
        f" Python {platform.python_version()}, {os.cpu_count()} cores.",
        "",
    ]
    return "\n".join(lines)


def main_table(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # 31, not 30: with 30 the 500 fault leaves exactly 20 jobs, a number reconcile takes for a
    # possible page limit of the listing (its shape is not documented), so those rows would
    # stay UNKNOWN for a person to check: safe, but not what this table measures
    parser.add_argument("--rows", type=int, default=31)
    parser.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "docs" / "reliability.md",
    )
    parser.add_argument(
        "--no-mailing", action="store_true", help="leave out the upload, submit and proof rows"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    results = []
    with tempfile.TemporaryDirectory() as name:
        os.environ["XL_MAILER_STATE_DIR"] = str(Path(name) / "state")  # journals stay in here
        for label, fault, behaviour in FAULTS:
            result = measure(label, fault, behaviour, args.rows, Path(name))
            print(f"{label}: {result}", flush=True)
            results.append(result)
        mailing = [] if args.no_mailing else measure_all(Path(name), print)
    command = "python bench/fault_table.py" + (f" --rows {args.rows}" if args.rows != 31 else "")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_top(args.output, markdown(results, args.rows, command, mailing))
    print(f"wrote {args.output}")
    bad = [r for r in results if r.sent_twice or r.ids_lost or r.rows_without_job]
    bad_mailing = [m for m in mailing if m.sent_twice or m.ids_lost or m.not_pdf or m.missing_final]
    return 1 if bad or bad_mailing else 0


if __name__ == "__main__":
    sys.exit(main_table())
