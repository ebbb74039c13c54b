"""Benchmark xl-mailer against the embedded Click2Mail sandbox (issue 5).

For every size N and sandbox latency L it times, on fresh copies of one
generated workbook (sheet ``Jobs``, the nine required parameters, every row
valid):

(a) the tutorial-style baseline: one ``requests.post`` per row on a new
    connection, lxml for the answer, openpyxl cell by cell, one save at the end;
(b) xl-mailer: ``xl-mailer run WORKBOOK --endpoint URL --concurrency K --quiet``
    through ``xl_mailer.cli.main``;

and, once:

(c) openpyxl alone: ``load_workbook`` + ``save`` of the 10,000-row workbook;
(d) xl-mailer's own CPU per row: ``plan_rows`` on 10,000 rows, then
    ``xmlanswers.parse`` + ``outcomes.create_outcome`` on 10,000 answers.

The sandbox runs in its own process (``python -m xl_mailer.cli sandbox``) on
127.0.0.1, restarted for every run, so the CPU time measured is the client's
only. Every measurement runs in a fresh child process of this script, which
reports its wall time, CPU time (``time.process_time``, all threads) and peak
resident memory (``ru_maxrss``), then checks that every row got a Job ID.

    python bench/bench.py                          # everything (about 35 minutes)
    python bench/bench.py --quick                  # without the 17-minute baseline
    python bench/bench.py --sizes 100 --latencies 0 --repeat 1
    python bench/bench.py --markdown docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import resource
import select
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
"""The checkout this script lives in: its ``xl_mailer`` is the one measured, in every process."""
if (REPO / "xl_mailer").is_dir() and str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from xl_mailer.demo import LETTER as DEMO_LETTER  # noqa: E402
from xl_mailer.models import REQUIRED_PARAMS, RESULT_HEADERS  # noqa: E402
from xl_mailer.sandbox import PASSWORD, USERNAME  # noqa: E402

SIZES = (100, 1_000, 10_000)
LATENCIES = (0.0, 0.1)
CONCURRENCY = 8
REFERENCE_ROWS = 10_000
"""Rows of the workbook for (c) and (d), and the size the memory target applies to."""

QUICK_SKIP_SECONDS = 300.0
"""``--quick`` skips baseline runs whose sleeps alone (N x L) exceed this (N=10,000, L=0.1)."""

REPEAT_UNDER_SECONDS = 30.0
"""Runs whose sleeps alone (N x L, or N x L / K) last at most this run ``--repeat`` times."""

ROW: tuple[object, ...] = (*DEMO_LETTER, 1001, 2001)
"""One valid row, in the order of REQUIRED_PARAMS."""

MEASURE = "_measure"
"""First argument of the child-process form of this script."""

T = TypeVar("T")


# -- what a child measures ---------------------------------------------------


@dataclass
class Sample:
    """One measurement in one fresh process."""

    wall: float
    cpu: float
    rss_mb: float
    rows: int
    created: int = 0
    detail: dict[str, float] = field(default_factory=dict)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def count_job_ids(path: Path) -> int:
    """Rows below the header whose ``Job ID`` cell holds a whole number."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        rows = book["Jobs"].iter_rows(values_only=True)
        header = list(next(rows))
        column = header.index("Job ID")
        return sum(1 for row in rows if isinstance(row[column], int))
    finally:
        book.close()


def measure_baseline(workbook: Path, url: str) -> Sample:
    """(a): sequential, a new connection per call, results written cell by cell."""
    import requests
    from lxml import etree
    from openpyxl import load_workbook

    wall, cpu = time.perf_counter(), time.process_time()
    book = load_workbook(workbook)
    sheet = book["Jobs"]
    names = [sheet.cell(1, c).value for c in range(1, len(REQUIRED_PARAMS) + 1)]
    first = len(names) + 1
    for offset, header in enumerate(RESULT_HEADERS):
        sheet.cell(1, first + offset).value = header
    rows = sheet.max_row - 1
    for r in range(2, sheet.max_row + 1):
        params = {str(name): sheet.cell(r, c).value for c, name in enumerate(names, start=1)}
        response = requests.post(
            f"{url}/jobs",
            data=params,
            auth=(USERNAME, PASSWORD),
            headers={"Accept": "application/xml"},
            timeout=60,
        )
        root = etree.fromstring(response.content)
        sheet.cell(r, first).value = int(root.findtext("id") or 0) or None
        sheet.cell(r, first + 1).value = response.status_code
        sheet.cell(r, first + 2).value = int(root.findtext("status") or -1)
        sheet.cell(r, first + 3).value = root.findtext("description")
    book.save(workbook)
    sample = Sample(time.perf_counter() - wall, time.process_time() - cpu, _peak_mb(), rows)
    sample.created = count_job_ids(workbook)
    return sample


def measure_xl_mailer(workbook: Path, url: str, concurrency: int) -> Sample:
    """(b): the headless run, exactly as the command line does it."""
    from xl_mailer.cli import main

    os.environ["C2M_USERNAME"] = USERNAME
    os.environ["C2M_PASSWORD"] = PASSWORD
    out = io.StringIO()
    argv = ["run", str(workbook), "--endpoint", url, "--concurrency", str(concurrency), "--quiet"]
    wall, cpu = time.perf_counter(), time.process_time()
    code = main(argv, out=out)
    sample = Sample(time.perf_counter() - wall, time.process_time() - cpu, _peak_mb(), 0)
    if code != 0:
        raise SystemExit(f"xl-mailer run exited with {code}:\n{out.getvalue()}")
    sample.created = count_job_ids(workbook)
    sample.rows = sample.created
    return sample


def measure_openpyxl(workbook: Path) -> Sample:
    """(c): openpyxl alone, load and save, nothing else."""
    from openpyxl import load_workbook

    wall, cpu = time.perf_counter(), time.process_time()
    book = load_workbook(workbook)
    rows = book["Jobs"].max_row - 1
    book.save(workbook)
    return Sample(time.perf_counter() - wall, time.process_time() - cpu, _peak_mb(), rows)


def measure_core(rows: int) -> Sample:
    """(d): xl-mailer's own work per row: plan the rows, read the answers, decide outcomes."""
    from xl_mailer import xmlanswers
    from xl_mailer.catalog import default_catalog
    from xl_mailer.models import Outcome
    from xl_mailer.outcomes import create_outcome
    from xl_mailer.rows import plan_rows
    from xl_mailer.sheet import find_layout

    values: list[list[object]] = [[*REQUIRED_PARAMS], *([*ROW] for _ in range(rows))]
    bodies = [
        xmlanswers.build(
            "job",
            {
                "id": 245986 + i,
                "status": 0,
                "description": "Created",
                "statusUrl": f"http://127.0.0.1:8080/molpro/jobs/{245986 + i}",
            },
        )
        for i in range(rows)
    ]
    catalog = default_catalog()

    wall, cpu = time.perf_counter(), time.process_time()
    layout = find_layout(values, sheet="Jobs")
    plans = plan_rows(values, layout, catalog=catalog)
    plan_cpu = time.process_time() - cpu
    parse_start = time.process_time()
    created = 0
    for body in bodies:
        document = xmlanswers.parse(body)
        result = create_outcome(
            201,
            root=document.root,
            code=document.int_field("status"),
            description=document.fields.get("description", ""),
            job_id=document.int_field("id"),
        )
        created += result.outcome is Outcome.CREATED
    parse_cpu = time.process_time() - parse_start
    sample = Sample(time.perf_counter() - wall, time.process_time() - cpu, _peak_mb(), rows)
    if sum(1 for plan in plans if plan.request is not None) != rows:
        raise SystemExit("plan_rows did not plan every row for sending")
    sample.created = created
    sample.detail = {
        "plan_us": plan_cpu / rows * 1e6,
        "parse_us": parse_cpu / rows * 1e6,
    }
    return sample


def measure_offline(workbook: Path, concurrency: int) -> Sample:
    """(e): the headless run with the network taken out: every row is read, planned, journaled
    (fsync and all), answered at once by a stub, written in blocks and saved atomically."""
    from xl_mailer.catalog import default_catalog
    from xl_mailer.jobs import run_sheet
    from xl_mailer.journal import Journal, journal_path
    from xl_mailer.models import JobRequest, JobResult, Outcome

    counter = iter(range(245986, 10**9))

    def instant(request: JobRequest) -> JobResult:
        return JobResult(Outcome.CREATED, "Created", next(counter), 201, 0)

    from xl_mailer.xlsx import open_sheet

    wall, cpu = time.perf_counter(), time.process_time()
    port = open_sheet(workbook)
    journal = Journal(journal_path(workbook))
    run = run_sheet(
        port, send=instant, catalog=default_catalog(), concurrency=concurrency, journal=journal
    )
    port.save()
    journal.discard()
    sample = Sample(
        time.perf_counter() - wall, time.process_time() - cpu, _peak_mb(), run.summary.created
    )
    sample.created = count_job_ids(workbook)
    return sample


def profiled(work: Callable[[], T], *, top: int = 30) -> tuple[T, str]:
    """Run ``work`` under cProfile in every thread (the runner sends from worker threads)."""
    import cProfile
    import pstats
    import threading

    profiles: list[cProfile.Profile] = []

    def start(frame: object, event: str, arg: object) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()

    main = cProfile.Profile()
    threading.setprofile(start)
    main.enable()
    try:
        result = work()
    finally:
        main.disable()
        threading.setprofile(None)
    text = io.StringIO()
    stats = pstats.Stats(main, stream=text)
    for profile in profiles:
        stats.add(profile)
    text.write(f"cProfile of the main thread and {len(profiles)} worker threads\n")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return result, text.getvalue()


def child_main(argv: Sequence[str]) -> int:
    """The child-process form: measure once, print the Sample as the last line of stdout."""
    parser = argparse.ArgumentParser(prog=f"bench.py {MEASURE}")
    parser.add_argument("mode", choices=("a", "b", "c", "d", "e"))
    parser.add_argument("--workbook", type=Path)
    parser.add_argument("--url", default="")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--rows", type=int, default=REFERENCE_ROWS)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    # Import what a run needs before the clock starts: start-up is not the run.
    import lxml.etree  # noqa: F401
    import openpyxl  # noqa: F401
    import requests  # noqa: F401

    import xl_mailer.cli  # noqa: F401

    work: Callable[[], Sample]
    if args.mode == "a":
        work = lambda: measure_baseline(args.workbook, args.url)  # noqa: E731
    elif args.mode == "b":
        work = lambda: measure_xl_mailer(args.workbook, args.url, args.concurrency)  # noqa: E731
    elif args.mode == "c":
        work = lambda: measure_openpyxl(args.workbook)  # noqa: E731
    elif args.mode == "e":
        work = lambda: measure_offline(args.workbook, args.concurrency)  # noqa: E731
    else:
        work = lambda: measure_core(args.rows)  # noqa: E731
    if args.profile:
        sample, report = profiled(work)
        print(report)
    else:
        sample = work()
    print(json.dumps(asdict(sample)), flush=True)
    return 0


# -- the parent: sandbox, workbooks, runs ------------------------------------


def write_workbook(path: Path, rows: int) -> Path:
    """The workbook every run starts from: a header row and ``rows`` valid rows."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Jobs"
    sheet.append(list(REQUIRED_PARAMS))
    for _ in range(rows):
        sheet.append(list(ROW))
    book.save(path)
    return path


def child_environment() -> dict[str, str]:
    """This environment, with the measured checkout first on every child's import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@contextmanager
def sandbox(latency: float, *, start_timeout: float = 30.0) -> Iterator[str]:
    """A fresh sandbox process on 127.0.0.1; yields its base URL, stops it on the way out."""
    command = [sys.executable, "-m", "xl_mailer.cli", "sandbox", "--port", "0"]
    command += ["--latency", f"{latency:g}"]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command,
        cwd=REPO,
        env=child_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # it logs every request there
        text=True,
    )
    try:
        assert process.stdout is not None
        url = ""
        deadline = time.monotonic() + start_timeout
        while not url:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([process.stdout], [], [], max(left, 0))
            if not ready:
                raise RuntimeError(f"the sandbox did not start within {start_timeout:g} s")
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"the sandbox exited with {process.wait()}")
            if line.startswith("Click2Mail sandbox at "):
                url = line.split(" at ", 1)[1].strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the sandbox is not on loopback: {url}")
        yield url
    finally:
        process.terminate()  # SIGTERM: SIGINT is ignored when this script runs in the background
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def run_child(args: Sequence[str], *, timeout: float) -> tuple[Sample, str]:
    """Run this script's child form; return its Sample and whatever else it printed."""
    command = [sys.executable, str(Path(__file__).resolve()), MEASURE, *args]
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        command,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed ({done.returncode}):\n{done.stderr}")
    lines = done.stdout.rstrip("\n").splitlines()
    return Sample(**json.loads(lines[-1])), "\n".join(lines[:-1])


@dataclass
class Result:
    """Median wall and CPU of the repeats of one run; the largest peak memory among them."""

    wall: float
    cpu: float
    rss_mb: float
    rows: int
    repeats: int
    detail: dict[str, float] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.wall

    @property
    def cpu_ms_per_row(self) -> float:
        return self.cpu / self.rows * 1e3


def combine(samples: Sequence[Sample]) -> Result:
    return Result(
        wall=statistics.median(s.wall for s in samples),
        cpu=statistics.median(s.cpu for s in samples),
        rss_mb=max(s.rss_mb for s in samples),
        rows=samples[0].rows,
        repeats=len(samples),
        detail={k: statistics.median(s.detail[k] for s in samples) for k in samples[0].detail},
    )


class Bench:
    """The parent: generates workbooks once, runs each measurement in a fresh child."""

    def __init__(self, workdir: Path, *, concurrency: int, repeat: int) -> None:
        self.workdir = workdir
        self.concurrency = concurrency
        self.repeat = repeat
        self._templates: dict[int, Path] = {}

    def template(self, rows: int) -> Path:
        if rows not in self._templates:
            path = self.workdir / f"template-{rows}.xlsx"
            self._templates[rows] = write_workbook(path, rows)
        return self._templates[rows]

    def fresh_copy(self, rows: int, name: str) -> Path:
        target = self.workdir / f"{name}.xlsx"
        shutil.copyfile(self.template(rows), target)
        return target

    def repeats(self, sleeping: float) -> int:
        return self.repeat if sleeping <= REPEAT_UNDER_SECONDS else 1

    def run(self, mode: str, rows: int, latency: float) -> Result:
        """(a) or (b): each repeat on a fresh copy against a fresh sandbox."""
        sleeping = rows * latency / (self.concurrency if mode == "b" else 1)
        timeout = 120 + 3 * sleeping + 0.05 * rows
        samples = []
        for i in range(self.repeats(sleeping)):
            workbook = self.fresh_copy(rows, f"{mode}-{rows}-{latency:g}-{i}")
            with sandbox(latency) as url:
                extra = ["--url", url, "--concurrency", str(self.concurrency)]
                sample, _ = run_child([mode, "--workbook", str(workbook), *extra], timeout=timeout)
            if sample.created != rows:
                raise RuntimeError(f"({mode}) N={rows} L={latency:g}: {sample.created} Job IDs")
            samples.append(sample)
            workbook.unlink()
        return combine(samples)

    def openpyxl_alone(self, rows: int) -> Result:
        samples = []
        for i in range(self.repeat):
            workbook = self.fresh_copy(rows, f"c-{rows}-{i}")
            samples.append(run_child(["c", "--workbook", str(workbook)], timeout=600)[0])
            workbook.unlink()
        return combine(samples)

    def offline(self, rows: int) -> Result:
        samples = []
        for i in range(self.repeat):
            workbook = self.fresh_copy(rows, f"e-{rows}-{i}")
            args = ["e", "--workbook", str(workbook), "--concurrency", str(self.concurrency)]
            samples.append(run_child(args, timeout=600)[0])
            workbook.unlink()
        return combine(samples)

    def core(self, rows: int) -> Result:
        samples = [
            run_child(["d", "--rows", str(rows)], timeout=600)[0] for _ in range(self.repeat)
        ]
        return combine(samples)

    def profile(self, rows: int) -> str:
        """One extra run of (b) at L=0 under cProfile; timings in it are inflated."""
        workbook = self.fresh_copy(rows, f"profile-{rows}")
        with sandbox(0.0) as url:
            extra = ["--url", url, "--concurrency", str(self.concurrency), "--profile"]
            sample, report = run_child(["b", "--workbook", str(workbook), *extra], timeout=1200)
        workbook.unlink()
        return f"(b) N={rows} L=0 under cProfile: {sample.wall:.2f} s wall\n{report}"


# -- reporting ---------------------------------------------------------------


@dataclass
class Config:
    rows: int
    latency: float
    a: Result | None
    b: Result


@dataclass
class Target:
    name: str
    measured: str
    passed: bool | None  # None: not measured in this run


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


TABLE_HEADER = (
    "N",
    "L (s)",
    "a rows/s",
    "b rows/s",
    "speed-up b/a",
    "b wall / floor",
    "a CPU ms/row",
    "b CPU ms/row",
    "a peak MB",
    "b peak MB",
    "a wall s",
    "b wall s",
    "runs a/b",
)


def table_rows(configs: Sequence[Config], concurrency: int) -> list[list[str]]:
    lines = []
    for config in configs:
        a, b = config.a, config.b
        floor = config.rows * config.latency / concurrency
        lines.append(
            [
                f"{config.rows:,}",
                f"{config.latency:g}",
                _fmt(a.rows_per_second if a else None, ",.1f"),
                f"{b.rows_per_second:,.1f}",
                _fmt(b.rows_per_second / a.rows_per_second if a else None, ".2f"),
                _fmt(b.wall / floor if floor else None, ".3f"),
                _fmt(a.cpu_ms_per_row if a else None, ".3f"),
                f"{b.cpu_ms_per_row:.3f}",
                _fmt(a.rss_mb if a else None, ".1f"),
                f"{b.rss_mb:.1f}",
                _fmt(a.wall if a else None, ".2f"),
                f"{b.wall:.2f}",
                f"{a.repeats if a else '—'}/{b.repeats}",
            ]
        )
    return lines


def plain_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)) for line in rows
    ]
    top = "  ".join(cell.rjust(w) for cell, w in zip(header, widths, strict=True))
    return "\n".join([top, "  ".join("-" * w for w in widths), *lines])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    lines += ["| " + " | ".join(line) + " |" for line in rows]
    return "\n".join(lines)


def find(configs: Sequence[Config], rows: int, latency: float) -> Config | None:
    return next((c for c in configs if c.rows == rows and c.latency == latency), None)


def evaluate(
    configs: Sequence[Config],
    openpyxl: Result,
    core: Result,
    concurrency: int,
    offline: Result,
) -> list[Target]:
    targets = []
    slow = find(configs, 1_000, 0.1)
    name = f"L=0.1, K={concurrency}, N=1,000: b at least 6x faster than a"
    if slow and slow.a:
        ratio = slow.b.rows_per_second / slow.a.rows_per_second
        targets.append(Target(name, f"{ratio:.2f}x", ratio >= 6))
    else:
        targets.append(Target(name, "not measured", None))
    name = f"L=0.1, K={concurrency}, N=1,000: b within 1.25x the floor N*L/K"
    if slow:
        floor = slow.rows * slow.latency / concurrency
        ratio = slow.b.wall / floor
        targets.append(
            Target(name, f"{slow.b.wall:.2f} s / {floor:.2f} s = {ratio:.3f}x", ratio <= 1.25)
        )
    else:
        targets.append(Target(name, "not measured", None))
    per_row = core.cpu / core.rows * 1e6
    targets.append(
        Target(
            f"our own CPU per row (d, {core.rows:,} rows) at most 1 ms",
            f"{per_row:.1f} µs (plan {core.detail['plan_us']:.1f}"
            f" + parse/outcome {core.detail['parse_us']:.1f})",
            per_row <= 1000,
        )
    )
    big = find(configs, openpyxl.rows, 0.0)
    name = f"{openpyxl.rows:,}-row headless run (b, L=0) at most 1.5x openpyxl load+save (c)"
    if big:
        ratio = big.b.wall / openpyxl.wall
        targets.append(
            Target(name, f"{big.b.wall:.2f} s / {openpyxl.wall:.2f} s = {ratio:.2f}x", ratio <= 1.5)
        )
    else:
        targets.append(Target(name, "not measured", None))
    ratio = offline.wall / openpyxl.wall
    targets.append(
        Target(
            "the same run with the network taken out (e) at most 1.5x openpyxl load+save (c)"
            " (not the target as written: shows what xl-mailer adds to openpyxl's own I/O)",
            f"{offline.wall:.2f} s / {openpyxl.wall:.2f} s = {ratio:.2f}x",
            ratio <= 1.5,
        )
    )
    peaks = [c.b.rss_mb for c in configs if c.rows == REFERENCE_ROWS]
    name = f"peak memory of b at {REFERENCE_ROWS:,} rows under 300 MB"
    if peaks:
        targets.append(Target(name, f"{max(peaks):.1f} MB (ru_maxrss)", max(peaks) < 300))
    else:
        targets.append(Target(name, "not measured", None))
    return targets


def verdict(target: Target) -> str:
    return {True: "PASS", False: "FAIL", None: "n/a"}[target.passed]


def code_version() -> str:
    """Which xl-mailer was measured: its folder, a hash of its sources, its commit if known."""
    import hashlib

    import xl_mailer

    package = Path(xl_mailer.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    text = f"{xl_mailer.__version__} from {package}, sources sha256 {digest.hexdigest()[:12]}"
    git = shutil.which("git")
    if git:
        done = subprocess.run(  # noqa: S603 - read-only query
            [git, "-C", str(package), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            text += f", commit {done.stdout.strip()}"
    return text


def machine() -> dict[str, str]:
    """What ran the benchmark."""
    from importlib.metadata import version

    cpu = "unknown"
    memory = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    return {
        "CPUs (nproc)": str(len(os.sched_getaffinity(0))),
        "CPU model": cpu,
        "memory": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "libraries": ", ".join(
            f"{name} {version(name)}" for name in ("openpyxl", "lxml", "requests", "urllib3")
        ),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "xl-mailer": code_version(),
    }


def write_markdown(
    path: Path,
    *,
    command: str,
    configs: Sequence[Config],
    openpyxl: Result,
    core: Result,
    offline: Result,
    targets: Sequence[Target],
    concurrency: int,
    skipped: Sequence[str],
) -> None:
    header_text = "\n".join(f"- **{key}**: {value}" for key, value in machine().items())
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` (see `bench/bench.py`).",
        "",
        "(a) is the tutorial-style baseline: one `requests.post` per row on a new connection,"
        " lxml, openpyxl cell by cell, one save at the end. (b) is"
        f" `xl-mailer run WORKBOOK --endpoint URL --concurrency {concurrency} --quiet`."
        " Both start from a fresh copy of the same workbook (nine required columns, every row"
        " valid) against a fresh sandbox process on 127.0.0.1 (`xl-mailer sandbox --latency L`)."
        " Wall time covers loading and saving the workbook; CPU time is the client process's"
        " only (`time.process_time`, all threads); peak memory is `ru_maxrss` of the fresh child"
        f" process that ran the measurement. The floor is N x L / K with K = {concurrency}."
        f" Runs whose sleeps alone last at most {REPEAT_UNDER_SECONDS:g} s are repeated and"
        " the median is shown (runs a/b: how many runs each value is the median of).",
        "",
        markdown_table(TABLE_HEADER, table_rows(configs, concurrency)),
        "",
        f"- (c) openpyxl alone, `load_workbook` + `save` of the {openpyxl.rows:,}-row workbook:"
        f" {openpyxl.wall:.2f} s wall, {openpyxl.rss_mb:.1f} MB peak.",
        f"- (d) our own CPU per row over {core.rows:,} rows: {core.cpu / core.rows * 1e6:.1f} µs"
        f" (`plan_rows` {core.detail['plan_us']:.1f} µs,"
        f" `parse` + `create_outcome` {core.detail['parse_us']:.1f} µs).",
        f"- (e) the headless run of the {offline.rows:,}-row workbook with the network taken"
        " out (read, plan, journal with its fsyncs, an instant stub answer, block writes, atomic"
        f" save): {offline.wall:.2f} s wall, {offline.rss_mb:.1f} MB peak.",
    ]
    lines += [f"- Not run: {what}." for what in skipped]
    lines += ["", "## Targets", "", "| target | measured | result |", "|---|---|---|"]
    lines += [f"| {t.name} | {t.measured} | {verdict(t)} |" for t in targets]
    lines += ["", "## Machine", "", header_text, ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


# -- the command line --------------------------------------------------------


def _latency(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("latency must be 0 or more seconds")
    return value


def _size(text: str) -> int:
    value = int(text.replace(",", "").replace("_", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("a size must be at least 1 row")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench.py", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=_size, nargs="+", default=list(SIZES), metavar="N")
    parser.add_argument(
        "--latencies", type=_latency, nargs="+", default=list(LATENCIES), metavar="L"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"skip baseline runs whose sleeps alone exceed {QUICK_SKIP_SECONDS:g} s"
        " (N=10,000 at L=0.1 takes about 17 minutes)",
    )
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, metavar="K")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help=f"runs whose sleeps take at most {REPEAT_UNDER_SECONDS:g} s are repeated this often"
        " (median reported; default 3)",
    )
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="write the results here")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="finally, profile one run of (b) at the largest size with L=0",
    )
    parser.add_argument("--workdir", type=Path, help="folder for workbooks (default: a temp dir)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [MEASURE]:
        return child_main(argv[1:])
    args = build_parser().parse_args(argv)
    command = shlex.join(["python", "bench/bench.py", *argv])
    if args.repeat < 1 or args.concurrency < 1:
        raise SystemExit("--repeat and --concurrency must be at least 1")
    temporary = None if args.workdir else tempfile.TemporaryDirectory(prefix="xl-mailer-bench-")
    workdir = args.workdir or Path(temporary.name if temporary else ".")
    workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(workdir, concurrency=args.concurrency, repeat=args.repeat)
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {text}", flush=True)

    try:
        configs: list[Config] = []
        skipped: list[str] = []
        for rows in args.sizes:
            bench.template(rows)
            for latency in args.latencies:
                a: Result | None = None
                if args.quick and rows * latency > QUICK_SKIP_SECONDS:
                    skipped.append(f"(a) at N={rows:,}, L={latency:g} (--quick)")
                    say(f"(a) N={rows:,} L={latency:g}: skipped (--quick)")
                else:
                    a = bench.run("a", rows, latency)
                    say(
                        f"(a) N={rows:,} L={latency:g}: {a.wall:.2f} s,"
                        f" {a.rows_per_second:,.1f} rows/s, {a.cpu_ms_per_row:.3f} ms CPU/row,"
                        f" {a.rss_mb:.1f} MB (x{a.repeats})"
                    )
                b = bench.run("b", rows, latency)
                say(
                    f"(b) N={rows:,} L={latency:g}: {b.wall:.2f} s,"
                    f" {b.rows_per_second:,.1f} rows/s, {b.cpu_ms_per_row:.3f} ms CPU/row,"
                    f" {b.rss_mb:.1f} MB (x{b.repeats})"
                )
                configs.append(Config(rows, latency, a, b))
        openpyxl = bench.openpyxl_alone(REFERENCE_ROWS)
        say(f"(c) openpyxl load+save of {REFERENCE_ROWS:,} rows: {openpyxl.wall:.2f} s")
        core = bench.core(REFERENCE_ROWS)
        say(f"(d) our own CPU: {core.cpu / core.rows * 1e6:.1f} µs per row")
        offline = bench.offline(REFERENCE_ROWS)
        say(f"(e) headless run without the network: {offline.wall:.2f} s")

        targets = evaluate(configs, openpyxl, core, args.concurrency, offline)
        print()
        print(plain_table(TABLE_HEADER, table_rows(configs, args.concurrency)))
        print()
        for target in targets:
            print(f"{verdict(target):4}  {target.name}: {target.measured}")
        if args.markdown:
            write_markdown(
                args.markdown,
                command=command,
                configs=configs,
                openpyxl=openpyxl,
                core=core,
                offline=offline,
                targets=targets,
                concurrency=args.concurrency,
                skipped=skipped,
            )
            say(f"results written to {args.markdown}")
        if args.profile:
            print(bench.profile(max(args.sizes)))
    finally:
        if temporary is not None:
            temporary.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
