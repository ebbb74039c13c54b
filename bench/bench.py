"""Benchmark xl-mailer against the embedded Click2Mail sandbox (issue 5).

For every size N and sandbox latency L it times, on fresh copies of one
generated workbook (sheet ``Jobs``, the nine required parameters, every row
valid):

(a) the tutorial-style baseline: one ``requests.post`` per row on a new
    connection, lxml for the answer, openpyxl cell by cell, one save at the end;
(b) xl-mailer: ``xl-mailer run WORKBOOK --endpoint URL --concurrency K --quiet``
    through ``xl_mailer.headless.cli.main``;

and, once:

(c) openpyxl alone: ``load_workbook`` + ``save`` of the 10,000-row workbook;
(d) xl-mailer's own CPU per row: ``plan_rows`` on 10,000 rows, then
    ``xmlanswers.parse`` + ``outcomes.create_outcome`` on 10,000 answers;
(e) xl-mailer's headless run of that workbook with the network taken out (an
    instant stub answers), then (c) again on the workbook it saved;
(f) the CPU, client and sandbox, of one ``POST /jobs`` through http.client,
    requests and xl-mailer's client, against the sandbox at L=0.

The sandbox runs in its own process (``python -m xl_mailer.headless.cli sandbox``) on
127.0.0.1, restarted for every run, so the CPU time measured is the client's
only. Every measurement runs in a fresh child process (``measure.py``), which
reports its wall time, CPU time (``time.process_time``, all threads) and peak
resident memory (``ru_maxrss``), then checks that every row got a Job ID.

    python bench/bench.py --markdown docs/benchmarks.md   # everything (about 30 minutes)
    python bench/bench.py --quick                          # without the 17-minute baseline
    python bench/bench.py --sizes 100 --latencies 0 --repeat 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
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
from dataclasses import dataclass, field
from pathlib import Path

from measure import CONCURRENCY, HTTP_CALLS, REFERENCE_ROWS, REPO, ROW, Sample
from sections import BENCHMARKS, REFERENCE, write_part

from xl_mailer.core.models import REQUIRED_PARAMS

SIZES = (100, 1_000, 10_000)
LATENCIES = (0.0, 0.1)

QUICK_SKIP_SECONDS = 300.0
"""``--quick`` skips baseline runs whose sleeps alone (N x L) exceed this (N=10,000, L=0.1)."""

REPEAT_UNDER_SECONDS = 30.0
"""Runs whose sleeps alone (N x L, or N x L / K) last at most this run ``--repeat`` times."""

MEASURE = Path(__file__).resolve().with_name("measure.py")
"""The child form: one measurement per fresh process."""


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
    # journals and locks of the measured runs stay out of the user's own state folder
    env.setdefault("XL_MAILER_STATE_DIR", str(Path(tempfile.gettempdir()) / "xl-mailer-bench"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@dataclass(frozen=True)
class Server:
    """A running sandbox process: its base URL and process id."""

    url: str
    pid: int


@contextmanager
def sandbox(latency: float, *, start_timeout: float = 30.0) -> Iterator[Server]:
    """A fresh sandbox process on 127.0.0.1; yields it, stops it on the way out."""
    command = [sys.executable, "-m", "xl_mailer.headless.cli", "sandbox", "--port", "0"]
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
        yield Server(url, process.pid)
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
    command = [sys.executable, str(MEASURE), *args]
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
            with sandbox(latency) as server:
                extra = ["--url", server.url, "--concurrency", str(self.concurrency)]
                sample, _ = run_child([mode, "--workbook", str(workbook), *extra], timeout=timeout)
            if sample.created != rows:
                raise RuntimeError(f"({mode}) N={rows} L={latency:g}: {sample.created} Job IDs")
            samples.append(sample)
            workbook.unlink()
        return combine(samples)

    def once(self, mode: str, rows: int, latency: float = 0.0) -> Sample:
        """One run of (b), (c), (g) or (h) on a fresh copy, against a fresh sandbox (except
        (c), which sends nothing); checked: every row got a Job ID."""
        workbook = self.fresh_copy(rows, f"{mode}-{rows}-{latency:g}")
        try:
            if mode == "c":
                return run_child(["c", "--workbook", str(workbook)], timeout=3600)[0]
            with sandbox(latency) as server:
                extra = ["--url", server.url, "--concurrency", str(self.concurrency)]
                timeout = 300 + 3 * rows * latency / self.concurrency + 0.05 * rows
                sample, _ = run_child([mode, "--workbook", str(workbook), *extra], timeout=timeout)
            if sample.created != rows:
                raise RuntimeError(f"({mode}) N={rows} L={latency:g}: {sample.created} Job IDs")
            return sample
        finally:
            workbook.unlink(missing_ok=True)

    def openpyxl_alone(self, rows: int) -> Result:
        samples = []
        for i in range(self.repeat):
            workbook = self.fresh_copy(rows, f"c-{rows}-{i}")
            samples.append(run_child(["c", "--workbook", str(workbook)], timeout=600)[0])
            workbook.unlink()
        return combine(samples)

    def offline(self, rows: int) -> tuple[Result, Result]:
        """(e), then (c) once more on the workbook (e) saved: openpyxl alone loading and
        saving the same rows with their results written."""
        runs, again = [], []
        for i in range(self.repeat):
            workbook = self.fresh_copy(rows, f"e-{rows}-{i}")
            args = ["e", "--workbook", str(workbook), "--concurrency", str(self.concurrency)]
            runs.append(run_child(args, timeout=600)[0])
            again.append(run_child(["c", "--workbook", str(workbook)], timeout=600)[0])
            workbook.unlink()
        return combine(runs), combine(again)

    def http_cost(self, calls: int) -> Result:
        """(f): the cost of one call through each layer, against a sandbox at L=0."""
        samples = []
        for _ in range(self.repeat):
            with sandbox(0.0) as server:
                args = ["f", "--url", server.url, "--server-pid", str(server.pid)]
                samples.append(run_child([*args, "--calls", str(calls)], timeout=600)[0])
        return combine(samples)

    def core(self, rows: int) -> Result:
        samples = [
            run_child(["d", "--rows", str(rows)], timeout=600)[0] for _ in range(self.repeat)
        ]
        return combine(samples)

    def profile(self, rows: int) -> str:
        """One extra run of (b) at L=0 under cProfile; timings in it are inflated."""
        workbook = self.fresh_copy(rows, f"profile-{rows}")
        with sandbox(0.0) as server:
            extra = ["--url", server.url, "--concurrency", str(self.concurrency), "--profile"]
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
    # the old 10,000-row target (b within 1.5x (c)) is replaced by issue 13's (--reference)
    peaks = [c.b.rss_mb for c in configs if c.rows == REFERENCE_ROWS]
    name = f"peak memory of b at {REFERENCE_ROWS:,} rows under 300 MB"
    if peaks:
        targets.append(Target(name, f"{max(peaks):.1f} MB (ru_maxrss)", max(peaks) < 300))
    else:
        targets.append(Target(name, "not measured", None))
    return targets


REFERENCE_MODES = {
    "b": "xl-mailer run",
    "g": "minimal requests.Session client",
    "h": "minimal http.client client",
}


@dataclass
class Reference:
    """Issue 13: (b) against the minimal clients (g) and (h) at N rows, L=0, runs interleaved
    (b, g, h, b, g, h, ...); peak memory of (b) against (c) at a larger size. Minima of the
    rounds: the least each needed on this machine."""

    rows: int
    rounds: int
    samples: dict[str, list[Sample]]
    memory_rows: int = 0
    memory: dict[str, list[Sample]] = field(default_factory=dict)

    def least(self, mode: str, what: str = "wall") -> float:
        return min(getattr(s, what) for s in self.samples[mode])

    def least_memory(self, mode: str) -> float:
        return min(s.rss_mb for s in self.memory[mode])


def measure_reference(
    bench: Bench, rows: int, rounds: int, memory_rows: int, say: Callable[[str], None]
) -> Reference:
    reference = Reference(rows, rounds, {mode: [] for mode in REFERENCE_MODES})
    for round_ in range(1, rounds + 1):
        for mode in REFERENCE_MODES:
            sample = bench.once(mode, rows)
            reference.samples[mode].append(sample)
            say(
                f"round {round_} ({mode}) {REFERENCE_MODES[mode]}, N={rows:,} L=0:"
                f" {sample.wall:.2f} s wall, {sample.cpu / rows * 1e3:.3f} ms CPU/row,"
                f" {sample.rss_mb:.1f} MB"
            )
    if memory_rows:
        reference.memory_rows = memory_rows
        reference.memory = {"b": [], "c": [], "g": []}
        for round_ in range(1, rounds + 1):
            for mode in ("c", "g", "b"):
                sample = bench.once(mode, memory_rows)
                reference.memory[mode].append(sample)
                say(
                    f"round {round_} ({mode}) N={memory_rows:,}: {sample.wall:.2f} s wall,"
                    f" {sample.rss_mb:.1f} MB peak"
                )
    return reference


def reference_targets(reference: Reference, concurrency: int) -> list[Target]:
    n = f"{reference.rows:,} rows, L=0, K={concurrency}"
    b, g, h = (reference.least(m) for m in ("b", "g", "h"))
    cb, cg = reference.least("b", "cpu"), reference.least("g", "cpu")
    per_row = 1e3 / reference.rows
    targets = [
        Target(
            f"{n}: xl-mailer run (b) at most 1.25x the minimal requests.Session client (g)",
            f"{b:.2f} s / {g:.2f} s = {b / g:.2f}x",
            b / g <= 1.25,
        ),
        Target(
            f"{n}: xl-mailer run (b) at most 2.5x the minimal http.client client (h)",
            f"{b:.2f} s / {h:.2f} s = {b / h:.2f}x",
            b / h <= 2.5,
        ),
        Target(
            f"{n}: client CPU per row of (b), everything included, at most 1.25x (g)'s",
            f"{cb * per_row:.3f} ms / {cg * per_row:.3f} ms = {cb / cg:.2f}x",
            cb / cg <= 1.25,
        ),
    ]
    if reference.memory:
        mb, mc = reference.least_memory("b"), reference.least_memory("c")
        targets.append(
            Target(
                f"peak memory at {reference.memory_rows:,} rows: xl-mailer run (b) at most 1.3x"
                " openpyxl's own load + save (c)",
                f"{mb:.1f} MB / {mc:.1f} MB = {mb / mc:.2f}x (the minimal requests client"
                f" (g): {reference.least_memory('g') / mc:.2f}x)",
                mb / mc <= 1.3,
            )
        )
    return targets


def reference_markdown(reference: Reference, concurrency: int, command: str) -> str:
    """The section docs/benchmarks.md shows for issue 13."""
    lines = [
        "## Our overhead against minimal clients (issue 13)",
        "",
        f"Measured by `{command}` on {code_version()}. Each of the {reference.rounds} rounds"
        f" runs (b), (g) and (h) in turn, each on a fresh copy of the same {reference.rows:,}-row"
        f" workbook against a fresh sandbox process at L=0, K={concurrency}; the least of the"
        " rounds is kept (wall and CPU separately). (g) and (h) do the least a complete client"
        " must: openpyxl load, every row sent from K threads each on its own keep-alive"
        " connection, each answer's id read with lxml, four result columns written, one save"
        " (`bench/measure.py`, modes g and h). Peak memory is `ru_maxrss` of each fresh child"
        " process."
        + (
            f" The memory rounds run (c), (g) and (b) in turn on {reference.memory_rows:,} rows;"
            " the least peak of each is kept. (c) and (g) use openpyxl as it comes; (b) loads"
            " and saves through `xl_mailer/headless/leanbook.py` (blank style records dropped"
            " on load, cells ordered by their keys on save: the same file, less memory)."
            if reference.memory
            else ""
        ),
        "",
        "These targets replace the old one (a 10,000-row run at L=0 within 1.5x openpyxl's"
        " load + save): it left about 70 µs per HTTP call, less than the sandbox's own CPU per"
        " call, so no client making one call per row could meet it on this machine.",
        "",
        "| client | wall s (min) | wall s (each round) | CPU ms/row (min) | peak MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode, name in REFERENCE_MODES.items():
        walls = ", ".join(f"{s.wall:.2f}" for s in reference.samples[mode])
        lines.append(
            f"| ({mode}) {name} | {reference.least(mode):.2f} | {walls} |"
            f" {reference.least(mode, 'cpu') / reference.rows * 1e3:.3f} |"
            f" {max(s.rss_mb for s in reference.samples[mode]):.1f} |"
        )
    if reference.memory:
        for mode, name in (
            ("c", "openpyxl load + save"),
            ("g", "minimal requests.Session client"),
            ("b", "xl-mailer run"),
        ):
            peaks = ", ".join(f"{s.rss_mb:.1f}" for s in reference.memory[mode])
            walls = ", ".join(f"{s.wall:.2f}" for s in reference.memory[mode])
            lines.append(
                f"| ({mode}) {name}, {reference.memory_rows:,} rows | "
                f"{min(s.wall for s in reference.memory[mode]):.2f} | {walls} | — |"
                f" {reference.least_memory(mode):.1f} (each: {peaks}) |"
            )
    lines += ["", "| target | measured | result |", "|---|---|---|"]
    lines += [
        f"| {t.name} | {t.measured} | {verdict(t)} |"
        for t in reference_targets(reference, concurrency)
    ]
    return "\n".join(lines)


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


def anatomy(
    openpyxl: Result, offline: Result, again: Result, http: Result, big: Config | None
) -> list[str]:
    """The 10,000-row target taken apart: what openpyxl alone needs, what the run adds, and
    what the network alone costs on this machine."""
    budget = 1.5 * openpyxl.wall
    allowance = budget - openpyxl.wall
    rows = offline.rows
    d, e, f = openpyxl.detail, offline.detail, http.detail
    lines = [
        f"- The target allows 1.5 x {openpyxl.wall:.2f} s = {budget:.2f} s, so"
        f" {allowance:.2f} s for everything beyond openpyxl loading ({d['load_s']:.2f} s) and"
        f" saving ({d['save_s']:.2f} s) the workbook (c).",
        f"- With the network taken out (e): load {e['load_s']:.2f} s, the run"
        f" {e['run_s']:.2f} s (read, plan, {e['fsyncs']:.0f} journal fsyncs, block writes),"
        f" save {e['save_s']:.2f} s; {offline.wall:.2f} s in all,"
        f" {offline.wall / openpyxl.wall:.2f}x (c).",
        f"- openpyxl alone loading and saving the workbook (e) wrote, with its five result"
        f" columns: {again.wall:.2f} s ({again.wall / openpyxl.wall:.2f}x (c)): the bigger file"
        f" takes {again.wall - openpyxl.wall:.2f} s of the {allowance:.2f} s before any of"
        f" xl-mailer's own work. Against that file, (e) is {offline.wall / again.wall:.2f}x"
        " openpyxl alone.",
        f"- One `POST /jobs` on a kept-alive connection to the sandbox at L=0 (f), CPU per call"
        f" (client + sandbox): the standard library's http.client {f['httpclient_client_ms']:.3f}"
        f" + {f['httpclient_server_ms']:.3f} ms; requests {f['requests_client_ms']:.3f}"
        f" + {f['requests_server_ms']:.3f} ms; xl-mailer's client (requests, reading the answer,"
        f" deciding the outcome) {f['xlmailer_client_ms']:.3f}"
        f" + {f['xlmailer_server_ms']:.3f} ms.",
        f"- So {rows:,} calls cost {rows * f['xlmailer_client_ms'] / 1e3:.2f} s of client CPU"
        f" and {rows * f['xlmailer_server_ms'] / 1e3:.2f} s of sandbox CPU, sharing"
        f" {os.cpu_count()} cores:"
        f" {rows * f['xlmailer_client_ms'] / 1e3 / allowance:.1f}x the allowance for the client"
        " alone. Even bare http.client would need"
        f" {rows * f['httpclient_client_ms'] / 1e3:.2f} s"
        + (
            ". The target as written is out of reach for any run that makes one HTTP call per"
            " row from Python on this machine."
            if rows * f["httpclient_client_ms"] / 1e3 > allowance
            else f", within the {allowance:.2f} s allowance: only a client far lighter than"
            " requests could meet the target here."
        ),
    ]
    if big is not None:
        lines.append(
            f"- Measured (b) at N={rows:,}, L=0: {big.b.wall:.2f} s,"
            f" {big.b.wall / openpyxl.wall:.2f}x (c); the one-call-at-a-time baseline (a):"
            + (f" {big.a.wall:.2f} s." if big.a else " not run.")
        )
    return lines


def write_markdown(
    path: Path,
    *,
    command: str,
    configs: Sequence[Config],
    openpyxl: Result,
    core: Result,
    offline: Result,
    again: Result,
    http: Result,
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
        f"- (f) the CPU of one `POST /jobs` through http.client, requests and xl-mailer's client,"
        f" {http.rows:,} calls each against a sandbox at L=0 (details below).",
    ]
    lines += [f"- Not run: {what}." for what in skipped]
    lines += ["", "## Targets", "", "| target | measured | result |", "|---|---|---|"]
    lines += [f"| {t.name} | {t.measured} | {verdict(t)} |" for t in targets]
    lines += [
        "",
        f"## The old {offline.rows:,}-row target (replaced: see issue 13's section), taken apart",
        "",
    ]
    lines += anatomy(openpyxl, offline, again, http, find(configs, offline.rows, 0.0))
    lines += ["", "## Machine", "", header_text, ""]
    write_part(path, None, "\n".join(lines), BENCHMARKS)


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
    parser.add_argument(
        "--reference",
        type=_size,
        metavar="N",
        help="only compare (b) with the minimal clients (g) requests.Session and (h)"
        " http.client at N rows, L=0, in interleaved rounds (issue 13)",
    )
    parser.add_argument(
        "--memory-rows",
        type=_size,
        default=0,
        metavar="N",
        help="with --reference: also peak memory of (b) against openpyxl's load + save (c)"
        " at N rows",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="with --reference: interleaved rounds (default 3)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
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

    if args.reference:
        try:
            reference = measure_reference(
                bench, args.reference, max(args.rounds, 1), args.memory_rows, say
            )
            text = reference_markdown(reference, args.concurrency, command)
            print()
            print(text)
            if args.markdown:
                write_part(args.markdown, REFERENCE, text, BENCHMARKS)
                say(f"results written to {args.markdown}")
            if args.profile:
                print(bench.profile(args.reference))
        finally:
            if temporary is not None:
                temporary.cleanup()
        return 0

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
        offline, again = bench.offline(REFERENCE_ROWS)
        say(f"(e) headless run without the network: {offline.wall:.2f} s")
        http = bench.http_cost(HTTP_CALLS)
        say(f"(f) one call through xl-mailer's client: {http.detail['xlmailer_client_ms']:.3f} ms")

        targets = evaluate(configs, openpyxl, core, args.concurrency, offline)
        print()
        print(plain_table(TABLE_HEADER, table_rows(configs, args.concurrency)))
        print()
        for target in targets:
            print(f"{verdict(target):4}  {target.name}: {target.measured}")
        print()
        print("\n".join(anatomy(openpyxl, offline, again, http, find(configs, REFERENCE_ROWS, 0))))
        if args.markdown:
            write_markdown(
                args.markdown,
                command=command,
                configs=configs,
                openpyxl=openpyxl,
                core=core,
                offline=offline,
                again=again,
                http=http,
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
