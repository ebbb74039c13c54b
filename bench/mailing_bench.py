"""Benchmark the whole mailing of issue 12 against the embedded Click2Mail sandbox.

(1) per-job calls: ``xl-mailer cost``, ``status`` and ``proof`` over N created jobs (1,000),
    against a sandbox at latency L with concurrency K, compared with the floor N x L / K
    (proof makes two calls per job, ``POST /jobs/{id}/proof`` then ``GET`` of the PDF, so its
    floor is 2 x N x L / K);
(2) the address list: ``xl-mailer upload`` of a workbook whose Addresses sheet holds 10,000
    recipients, our own CPU and extra peak memory, the whole command and the build-and-send
    inside it (``Mailing.create_address_list``), next to bench/address_list.py's pure build;
(3) a whole mailing of 1,000 rows: upload 2 documents and 1 list of 1,000 addresses, create,
    cost, submit (``--yes --limit`` large), each step's wall and CPU and the total.

Every step is a fresh child process (this script's ``child`` form) running the command through
``xl_mailer.headless.cli.main`` against a sandbox process (``xl-mailer sandbox --latency L``)
started by bench/bench.py's ``sandbox``; values are the minimum of ``--repeat`` runs.

    python bench/mailing_bench.py --markdown docs/benchmarks.md   # everything, about 12 minutes
    python bench/mailing_bench.py --repeat 1 --jobs 100 --recipients 1000   # a quick check
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from measure import CONCURRENCY, ROW, Sample, profiled
from sections import BENCHMARKS, MAILING, write_part

from bench import child_environment, machine, markdown_table, sandbox, write_workbook
from xl_mailer.core.models import REQUIRED_PARAMS

SELF = Path(__file__).resolve()
"""Where this script's section of docs/benchmarks.md starts; it runs to the end of the file."""

JOBS = 1_000
RECIPIENTS = 10_000
LATENCIES = (0.0, 0.1)
FLOOR_LATENCY = 0.1
POLL = 0.2
"""``upload --poll``: the sandbox makes a list ready on its second status read."""
LIMIT = "100000000"
BILLING = "Invoice"
"""Each of the 1,000 jobs mails the whole list, more than the practice account's credit."""
CPU_TARGET_S, MEMORY_TARGET_MB, FLOOR_TARGET = 1.0, 50.0, 1.25
PER_JOB = (("cost", "Cost", 1), ("status", "Job Status", 1), ("proof", "Proof", 2))
"""Command, the column it fills, calls per job."""
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n"
    b"%%EOF\n"
)


# -- the child: one command in a fresh process --------------------------------


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def filled(path: Path, sheet: str, column: str) -> int:
    """Rows below the header of ``sheet`` whose ``column`` is not blank."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        rows = book[sheet].iter_rows(values_only=True)
        header = [str(v) for v in next(rows)]
        index = header.index(column)
        return sum(1 for row in rows if row[index] not in (None, ""))
    finally:
        book.close()


def watch_address_lists(detail: dict[str, float], trace: bool) -> None:
    """Time (and with ``trace``, take the tracemalloc peak of) each
    ``Mailing.create_address_list``: building the XML and sending it, nothing else."""
    import tracemalloc

    from xl_mailer.click2mail.mailing import Mailing

    original = Mailing.create_address_list

    def watched(self: Mailing, *args: Any, **kwargs: Any) -> Any:
        if trace:
            held, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            detail["list_cpu_s"] = detail.get("list_cpu_s", 0.0) + time.process_time() - cpu
            detail["list_wall_s"] = detail.get("list_wall_s", 0.0) + time.perf_counter() - wall
            if trace:
                peak = tracemalloc.get_traced_memory()[1] - held
                detail["list_traced_mb"] = max(detail.get("list_traced_mb", 0.0), peak / 2**20)

    Mailing.create_address_list = watched  # type: ignore[method-assign]


def run_command(
    argv: Sequence[str], workbook: Path, check: str, detail: dict[str, float]
) -> Sample:
    from xl_mailer.headless.cli import main

    out = io.StringIO()
    before = _peak_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    code = main([*argv, str(workbook)], out=out)
    sample = Sample(time.perf_counter() - wall, time.process_time() - cpu, _peak_mb(), 0)
    if code != 0:
        raise SystemExit(f"xl-mailer {shlex.join(argv)} exited with {code}:\n{out.getvalue()}")
    sheet, _, column = check.partition(":")
    sample.rows = sample.created = filled(workbook, sheet, column)
    sample.detail = {**detail, "rss_before_mb": before}
    return sample


def child_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="mailing_bench.py child")
    parser.add_argument("--workbook", type=Path, required=True)
    parser.add_argument("--check", required=True, help="SHEET:COLUMN that must be filled in")
    parser.add_argument("--watch-lists", action="store_true")
    parser.add_argument("--trace", action="store_true", help="tracemalloc (slows the run down)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    # start-up is not the run: import what a command needs before the clock starts
    import lxml.etree  # noqa: F401
    import openpyxl  # noqa: F401
    import requests  # noqa: F401

    import xl_mailer.headless.cli  # noqa: F401
    from xl_mailer.sandbox import PASSWORD, USERNAME

    os.environ["C2M_USERNAME"], os.environ["C2M_PASSWORD"] = USERNAME, PASSWORD
    detail: dict[str, float] = {}
    if args.watch_lists:
        watch_address_lists(detail, args.trace)
    command = [c for c in args.command if c != "--"]

    def work() -> Sample:
        return run_command(command, args.workbook, args.check, detail)

    if args.trace:
        import tracemalloc

        tracemalloc.start()
        sample = work()
        sample.detail["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    elif args.profile:
        sample, report = profiled(work, top=25)
        print(report)
    else:
        sample = work()
    print(json.dumps(asdict(sample)), flush=True)
    return 0


def pure_main(argv: Sequence[str]) -> int:
    """bench/address_list.py's own measurement of the build and of the build and send to an
    instant transport, in this fresh process: CPU (min of runs) and tracemalloc peak."""
    import address_list

    count, repeat = int(argv[0]), int(argv[1])
    data = address_list.recipients(count)
    detail = {}
    for name, step in (("build", address_list.build), ("send", address_list.send)):
        times = []
        for _ in range(repeat):
            start = time.process_time()
            step(data)
            times.append(time.process_time() - start)
        detail[f"{name}_cpu_s"] = min(times)
        detail[f"{name}_traced_mb"] = address_list.peak_mb(step, data)
    print(json.dumps(asdict(Sample(0.0, 0.0, _peak_mb(), count, count, detail))), flush=True)
    return 0


# -- the parent ---------------------------------------------------------------


def run_child(args: Sequence[str], *, timeout: float) -> tuple[Sample, str]:
    command = [sys.executable, str(SELF), *args]
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        command, env=child_environment(), capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed ({done.returncode}):\n{done.stderr}")
    lines = done.stdout.rstrip("\n").splitlines()
    return Sample(**json.loads(lines[-1])), "\n".join(lines[:-1])


def step(
    workbook: Path,
    url: str,
    command: Sequence[str],
    check: str,
    *,
    expect: int,
    timeout: float,
    extra: Sequence[str] = (),
) -> tuple[Sample, str]:
    """One xl-mailer command on ``workbook`` in a fresh child; every row must be done."""
    args = ["child", "--workbook", str(workbook), "--check", check, *extra, "--"]
    sample, text = run_child([*args, *command, "--endpoint", url], timeout=timeout)
    if sample.created != expect:
        raise RuntimeError(f"xl-mailer {command[0]}: {sample.created} of {expect} rows in {check}")
    return sample, text


def copy(source: Path, target: Path) -> Path:
    import shutil

    shutil.copyfile(source, target)
    return target


@dataclass
class Best:
    """The minimum over runs of each value (peak memory: the largest)."""

    wall: float
    cpu: float
    rss_mb: float
    runs: int
    detail: dict[str, float]


def best(samples: Sequence[Sample]) -> Best:
    keys = samples[0].detail
    return Best(
        wall=min(s.wall for s in samples),
        cpu=min(s.cpu for s in samples),
        rss_mb=max(s.rss_mb for s in samples),
        runs=len(samples),
        detail={k: min(s.detail[k] for s in samples) for k in keys},
    )


class MailingBench:
    def __init__(self, workdir: Path, *, concurrency: int, repeat: int, say: Callable[[str], None]):
        self.workdir, self.concurrency, self.repeat, self.say = workdir, concurrency, repeat, say

    def per_job(self, jobs: int, latency: float) -> dict[str, Best]:
        """cost, status and proof, each on a fresh copy of a workbook whose ``jobs`` rows were
        just created, against the sandbox that created them; a fresh sandbox per repeat."""
        template = write_workbook(self.workdir / f"jobs-{jobs}.xlsx", jobs)
        k = ["--concurrency", str(self.concurrency)]
        timeout = 300 + 6 * jobs * latency
        samples: dict[str, list[Sample]] = {name: [] for name, _, _ in PER_JOB}
        for i in range(self.repeat):
            with sandbox(latency) as server:
                created = copy(template, self.workdir / f"created-{i}.xlsx")
                step(
                    created,
                    server.url,
                    ["run", *k, "--quiet"],
                    "Jobs:Job ID",
                    expect=jobs,
                    timeout=timeout,
                )
                for name, column, _ in PER_JOB:
                    book = copy(created, self.workdir / f"{name}-{latency:g}-{i}.xlsx")
                    sample, _ = step(
                        book, server.url, [name, *k], f"Jobs:{column}", expect=jobs, timeout=timeout
                    )
                    samples[name].append(sample)
                    self.say(f"{name} N={jobs:,} L={latency:g} run {i + 1}: {sample.wall:.2f} s")
        return {name: best(found) for name, found in samples.items()}

    def address_list(self, recipients: int) -> tuple[Best, Best, Sample]:
        """``xl-mailer upload`` of one list of ``recipients`` at L=0: untraced runs (CPU, peak
        resident size), one traced run (tracemalloc), and address_list.py's pure build."""
        template = self.workdir / f"list-{recipients}.xlsx"
        mailing_workbook(template, self.workdir, jobs=0, recipients=recipients, documents=0)
        command = ["upload", "--poll", f"{POLL:g}"]
        check = "Address Lists:Address List ID"
        plain, traced = [], []
        for i in range(self.repeat):
            for trace, found in ((False, plain), (True, traced)):
                with sandbox(0.0) as server:
                    book = copy(template, self.workdir / f"list-{i}-{trace}.xlsx")
                    extra = ["--watch-lists", *(["--trace"] if trace else [])]
                    found.append(
                        step(book, server.url, command, check, expect=1, timeout=600, extra=extra)[
                            0
                        ]
                    )
            self.say(f"upload of {recipients:,} recipients run {i + 1}: {plain[-1].cpu:.2f} s CPU")
        pure, _ = run_child(["pure", str(recipients), str(max(self.repeat, 3))], timeout=600)
        return best(plain), best(traced), pure

    def profile_upload(self, recipients: int) -> str:
        template = self.workdir / f"list-{recipients}.xlsx"
        with sandbox(0.0) as server:
            book = copy(template, self.workdir / "list-profile.xlsx")
            command = ["upload", "--poll", f"{POLL:g}"]
            _, text = step(
                book,
                server.url,
                command,
                "Address Lists:Address List ID",
                expect=1,
                timeout=600,
                extra=["--profile"],
            )
        return text

    def whole(self, rows: int, latency: float) -> list[tuple[str, Best]]:
        """upload, run, cost, submit on fresh copies of one workbook, a fresh sandbox a run."""
        template = self.workdir / f"mailing-{rows}.xlsx"
        if not template.exists():
            mailing_workbook(template, self.workdir, jobs=rows, recipients=rows, documents=2)
        k = ["--concurrency", str(self.concurrency)]
        timeout = 300 + 8 * rows * latency
        steps = [
            ("upload", ["upload", "--poll", f"{POLL:g}"], "Address Lists:Address List ID", 1),
            ("create (run)", ["run", *k, "--quiet"], "Jobs:Job ID", rows),
            ("cost", ["cost", *k], "Jobs:Cost", rows),
            (
                "submit",
                ["submit", *k, "--yes", "--limit", LIMIT, "--billing-type", BILLING],
                "Jobs:Submitted",
                rows,
            ),
        ]
        samples: dict[str, list[Sample]] = {name: [] for name, *_ in steps}
        for i in range(self.repeat):
            book = copy(template, self.workdir / f"mailing-{rows}-{latency:g}-{i}.xlsx")
            with sandbox(latency) as server:
                for name, command, check, expect in steps:
                    sample, _ = step(
                        book, server.url, command, check, expect=expect, timeout=timeout
                    )
                    samples[name].append(sample)
            total = sum(found[-1].wall for found in samples.values())
            self.say(f"whole mailing N={rows:,} L={latency:g} run {i + 1}: {total:.2f} s")
        results = [(name, best(samples[name])) for name, *_ in steps]
        totals = [sum(s.wall for s in run) for run in zip(*samples.values(), strict=True)]
        cpus = [sum(s.cpu for s in run) for run in zip(*samples.values(), strict=True)]
        peak = max(b.rss_mb for _, b in results)
        results.append(
            ("total (min of the runs' sums)", Best(min(totals), min(cpus), peak, self.repeat, {}))
        )
        return results


def mailing_workbook(path: Path, folder: Path, *, jobs: int, recipients: int, documents: int):
    """A workbook for the whole mailing: ``documents`` PDFs on the Documents sheet,
    ``recipients`` addresses in one list, ``jobs`` Jobs rows naming a document and the list
    (``documentId``/``addressId`` empty) with Submit = Yes."""
    import address_list
    from openpyxl import Workbook

    from xl_mailer.core.addresses import FIELDS

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Jobs"
    sheet.append([*REQUIRED_PARAMS, "Document", "Address List", "Submit"])
    names = [f"Letter {n + 1}" for n in range(documents)]
    blank = [
        None if p in ("documentId", "addressId") else v
        for p, v in zip(REQUIRED_PARAMS, ROW, strict=True)
    ]
    for n in range(jobs):
        sheet.append([*blank, names[n % len(names)], "Customers", "Yes"])
    docs = book.create_sheet("Documents")
    docs.append(["Document Name", "File", "documentClass"])
    for name in names:
        (folder / f"{name}.pdf").write_bytes(PDF)
        docs.append([name, str(folder / f"{name}.pdf"), ROW[0]])
    addresses = book.create_sheet("Addresses")
    addresses.append(["List", *FIELDS])
    for person in address_list.recipients(recipients):
        addresses.append(["Customers", *(person[f] or None for f in FIELDS)])
    book.create_sheet("Address Lists").append(["List"])
    book["Address Lists"].append(["Customers"])
    book.save(path)


# -- reporting ----------------------------------------------------------------


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def report(
    *,
    command: str,
    jobs: int,
    per_job: dict[float, dict[str, Best]],
    listing: tuple[Best, Best, Sample] | None,
    recipients: int,
    whole: dict[float, list[tuple[str, Best]]],
    concurrency: int,
    repeat: int,
) -> tuple[list[str], list[str]]:
    """The section's lines, and the plain-text lines of the targets."""
    lines = [
        MAILING,
        "",
        "## The whole mailing (issue 12)",
        "",
        f"Produced by `{command}` (see `bench/mailing_bench.py`). Every step is"
        " `xl-mailer COMMAND WORKBOOK --endpoint URL` run through `xl_mailer.headless.cli.main`"
        " in a fresh child process against a fresh sandbox process on 127.0.0.1"
        f" (`xl-mailer sandbox --latency L`), K = {concurrency}. Wall time includes loading and"
        " saving the workbook; CPU is the client process's only (`time.process_time`, all"
        f" threads). Each value is the minimum of {repeat} runs (peak memory: the largest).",
        "",
        "### Per-job calls over created jobs",
        "",
        f"Each run creates {jobs:,} jobs (`xl-mailer run`), then runs each command on a fresh copy"
        " of that workbook against the same sandbox. The floor is N x L / K for `cost` and"
        " `status` (one call per job: `GET /jobs/{id}/cost`, `GET /jobs/{id}`; the jobs are not"
        " mailed, so no tracking call) and 2 x N x L / K for `proof` (two calls per job:"
        " `POST /jobs/{id}/proof`, then `GET /jobs/{id}/proof/{proofId}` for the PDF, saved to"
        " disk).",
        "",
    ]
    header = (
        "command",
        "L (s)",
        "calls/job",
        "wall s",
        "floor s",
        "wall / floor",
        "CPU s",
        "CPU ms/job",
        "peak MB",
        "runs",
    )
    table = []
    for latency, found in per_job.items():
        for name, _, calls in PER_JOB:
            b = found[name]
            floor = calls * jobs * latency / concurrency
            table.append(
                [
                    f"`{name}`",
                    f"{latency:g}",
                    str(calls),
                    f"{b.wall:.2f}",
                    f"{floor:.2f}" if floor else "—",
                    f"{b.wall / floor:.3f}" if floor else "—",
                    f"{b.cpu:.2f}",
                    f"{b.cpu / jobs * 1e3:.3f}",
                    f"{b.rss_mb:.1f}",
                    str(b.runs),
                ]
            )
    lines += [markdown_table(header, table), ""]
    targets: list[tuple[str, str, bool]] = []
    slow = per_job.get(FLOOR_LATENCY)
    for name, _, calls in PER_JOB if slow else ():
        assert slow is not None
        floor = calls * jobs * FLOOR_LATENCY / concurrency
        ratio = slow[name].wall / floor
        formula = "2 x N x L / K" if calls == 2 else "N x L / K"
        targets.append(
            (
                f"`{name}`, N={jobs:,}, L={FLOOR_LATENCY:g}, K={concurrency}: within"
                f" {FLOOR_TARGET}x the floor {formula}",
                f"{slow[name].wall:.2f} s / {floor:.2f} s = {ratio:.3f}x",
                ratio <= FLOOR_TARGET,
            )
        )
    if listing is not None:
        plain, traced, pure = listing
        extra_rss = plain.rss_mb - plain.detail["rss_before_mb"]
        lines += [
            "### The address list",
            "",
            f"`xl-mailer upload --poll {POLL:g}` of a workbook whose Addresses sheet holds"
            f" {recipients:,} recipients in one list (the same addresses as"
            " `bench/address_list.py`, some with `&`, `<`, quotes and non-ASCII), against the"
            ' sandbox at L=0. "Build and send" is the time inside'
            " `Mailing.create_address_list` (build the XML, `POST /addressLists`, read the"
            " answer); the whole command also reads the workbook, checks every address, polls"
            " the list until it is ready and saves the workbook. Memory: the tracemalloc peak"
            " above what was held when the call began, from a separate traced run, and the"
            " growth of the child's peak resident size (`ru_maxrss`) over the command.",
            "",
        ]
        header = ("what", "CPU s", "extra peak MB (tracemalloc)", "wall s")
        table = [
            [
                "build and send, inside `xl-mailer upload`",
                f"{plain.detail['list_cpu_s']:.3f}",
                f"{traced.detail['list_traced_mb']:.1f}",
                f"{plain.detail['list_wall_s']:.3f}",
            ],
            [
                "the whole `xl-mailer upload` command",
                f"{plain.cpu:.3f}",
                f"{traced.detail['traced_peak_mb']:.1f} (peak RSS grew {extra_rss:.1f} MB)",
                f"{plain.wall:.3f}",
            ],
            [
                "`bench/address_list.py`: build the XML alone",
                f"{pure.detail['build_cpu_s']:.3f}",
                f"{pure.detail['build_traced_mb']:.1f}",
                "—",
            ],
            [
                "`bench/address_list.py`: build and send to an instant transport",
                f"{pure.detail['send_cpu_s']:.3f}",
                f"{pure.detail['send_traced_mb']:.1f}",
                "—",
            ],
        ]
        cpu, mb = plain.detail["list_cpu_s"], traced.detail["list_traced_mb"]
        lines += [
            markdown_table(header, table),
            "",
            f"Beyond the build and send, the whole command spends {plain.cpu - cpu:.2f} s of CPU"
            " reading the workbook with openpyxl, checking each address, polling the list and"
            " saving the workbook (`--profile` prints a cProfile of one upload).",
            "",
        ]
        targets.append(
            (
                f"address list of {recipients:,} recipients built and sent (inside `xl-mailer"
                f" upload`): at most {CPU_TARGET_S:g} s of our own CPU",
                f"{cpu:.3f} s = {cpu / CPU_TARGET_S:.2f}x the allowance",
                cpu <= CPU_TARGET_S,
            )
        )
        targets.append(
            (
                f"the same: at most {MEMORY_TARGET_MB:g} MB of extra memory",
                f"{mb:.1f} MB (tracemalloc) = {mb / MEMORY_TARGET_MB:.2f}x the allowance",
                mb <= MEMORY_TARGET_MB,
            )
        )
        targets.append(
            (
                f"the whole `xl-mailer upload` of {recipients:,} recipients (not the target as"
                f" written: workbook read and save included): at most {CPU_TARGET_S:g} s CPU and"
                f" {MEMORY_TARGET_MB:g} MB",
                f"{plain.cpu:.2f} s, {traced.detail['traced_peak_mb']:.1f} MB (tracemalloc),"
                f" peak RSS +{extra_rss:.1f} MB",
                plain.cpu <= CPU_TARGET_S and traced.detail["traced_peak_mb"] <= MEMORY_TARGET_MB,
            )
        )
    if whole:
        rows = next(iter(whole.values()))
        lines += [
            f"### A whole mailing of {jobs:,} rows",
            "",
            "One workbook: 2 documents (small PDFs) on the Documents sheet, 1 list of"
            f" {jobs:,} addresses on the Addresses sheet, {jobs:,} Jobs rows"
            " naming their document and list by name with Submit = Yes. Steps, in order, each"
            f" in a fresh child against one sandbox: `upload --poll {POLL:g}` (its wall includes"
            " one poll interval), `run`, `cost`, `submit --yes --limit"
            f" {LIMIT} --billing-type {BILLING}` (the submit costs every row again, checks each"
            " job's state, then submits: three calls per job). Each step's value is its"
            " minimum over the runs; the total is the minimum of the runs' sums.",
            "",
        ]
        header = ("step", *(f"{label} L={lat:g}" for lat in whole for label in ("wall s", "CPU s")))
        table = []
        for index, (name, _) in enumerate(rows):
            cells = [name]
            for found in whole.values():
                b = found[index][1]
                cells += [f"{b.wall:.2f}", f"{b.cpu:.2f}"]
            table.append(cells)
        lines += [markdown_table(header, table), ""]
    lines += ["### Targets", "", "| target | measured | result |", "|---|---|---|"]
    lines += [f"| {name} | {measured} | {verdict(ok)} |" for name, measured, ok in targets]
    lines += ["", "### Machine", ""]
    lines += [f"- **{key}**: {value}" for key, value in machine().items()]
    plain_targets = [f"{verdict(ok):4}  {name}: {measured}" for name, measured, ok in targets]
    return lines, plain_targets


def write_section(path: Path, text: str) -> None:
    """Write ``text`` as this script's part of ``path`` (bench/sections.py), keeping the
    others."""
    write_part(path, MAILING, text, BENCHMARKS)


# -- the command line ---------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailing_bench.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--jobs",
        type=int,
        default=JOBS,
        help="N for the per-job calls and the whole mailing (default 1,000)",
    )
    parser.add_argument("--recipients", type=int, default=RECIPIENTS)
    parser.add_argument("--latencies", type=float, nargs="+", default=list(LATENCIES))
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, metavar="K")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (minimum kept)")
    parser.add_argument("--only", choices=("per-job", "list", "whole"), nargs="+")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="write the section here")
    parser.add_argument("--profile", action="store_true", help="cProfile one upload at the end")
    parser.add_argument("--workdir", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["child"]:
        return child_main(argv[1:])
    if argv[:1] == ["pure"]:
        return pure_main(argv[1:])
    args = build_parser().parse_args(argv)
    command = shlex.join(["python", "bench/mailing_bench.py", *argv])
    only = set(args.only or ("per-job", "list", "whole"))
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {text}", flush=True)

    with tempfile.TemporaryDirectory(prefix="xl-mailer-mailing-") as temporary:
        workdir = args.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        bench = MailingBench(workdir, concurrency=args.concurrency, repeat=args.repeat, say=say)
        per_job = (
            {lat: bench.per_job(args.jobs, lat) for lat in args.latencies}
            if ("per-job" in only)
            else {}
        )
        listing = bench.address_list(args.recipients) if "list" in only else None
        whole = (
            {lat: bench.whole(args.jobs, lat) for lat in args.latencies}
            if ("whole" in only)
            else {}
        )
        lines, targets = report(
            command=command,
            jobs=args.jobs,
            per_job=per_job,
            listing=listing,
            recipients=args.recipients,
            whole=whole,
            concurrency=args.concurrency,
            repeat=args.repeat,
        )
        print("\n".join(lines[2:]))
        print("\n".join(targets))
        if args.markdown:
            write_section(args.markdown, "\n".join(lines))
            say(f"section written to {args.markdown}")
        if args.profile:
            print(bench.profile_upload(args.recipients))
    return 0


if __name__ == "__main__":
    sys.exit(main())
