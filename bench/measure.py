"""The child side of bench/bench.py: one measurement in a fresh process.

    python bench/measure.py a|b|c|d|e|f|g|h [--workbook PATH] [--url URL] ...

prints whatever it has to say, then the Sample as JSON on its last line. The
parent (bench.py) starts one such process per measurement, so that peak memory
(``ru_maxrss``) and CPU time (``time.process_time``) belong to that
measurement alone.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
"""The checkout this script lives in: its ``xl_mailer`` is the one measured, in every process."""
if (REPO / "xl_mailer").is_dir() and str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from xl_mailer.core.models import REQUIRED_PARAMS, RESULT_HEADERS  # noqa: E402
from xl_mailer.headless.demo import LETTER as DEMO_LETTER  # noqa: E402
from xl_mailer.sandbox import PASSWORD, USERNAME  # noqa: E402

CONCURRENCY = 8
REFERENCE_ROWS = 10_000
"""Rows of the workbook for (c), (d) and (e), and the size the memory target applies to."""

HTTP_CALLS = 2_000
"""Calls per layer in (f)."""

ROW: tuple[object, ...] = (*DEMO_LETTER, 1001, 2001)
"""One valid row, in the order of REQUIRED_PARAMS."""

T = TypeVar("T")


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
    from xl_mailer.headless.cli import main

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


def _reference_rows(workbook: Path) -> tuple[object, list[tuple[tuple[str, str], ...]], int]:
    """Load the workbook as a minimal client would: its sheet, every row's form fields, and
    the first free column for the results."""
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    sheet = book["Jobs"]
    lines = sheet.iter_rows(values_only=True)
    names = [str(name) for name in next(lines)]
    rows = [
        tuple((name, str(value)) for name, value in zip(names, line, strict=False))
        for line in lines
    ]
    return book, rows, len(names) + 1


def _reference_client(
    workbook: Path,
    concurrency: int,
    post: Callable[[int], Callable[[tuple[tuple[str, str], ...]], tuple[int, bytes]]],
) -> Sample:
    """(g), (h): the least a complete client must do. Load the workbook, send every row from
    ``concurrency`` threads (each on its own keep-alive connection, made by ``post(worker)``),
    read each answer's id with lxml, write the results, save once."""
    import threading

    from lxml import etree

    wall, cpu = time.perf_counter(), time.process_time()
    book, rows, first = _reference_rows(workbook)
    answers: list[tuple[int, bytes] | None] = [None] * len(rows)
    indexes = iter(range(len(rows)))  # next() on it is atomic under the GIL

    def worker(number: int) -> None:
        send = post(number)
        for index in indexes:
            answers[index] = send(rows[index])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sheet = book["Jobs"]  # type: ignore[index]
    for offset, header in enumerate(RESULT_HEADERS):
        sheet.cell(1, first + offset).value = header
    for index, answer in enumerate(answers, start=2):
        assert answer is not None
        status, body = answer
        root = etree.fromstring(body)
        sheet.cell(index, first).value = int(root.findtext("id") or 0) or None
        sheet.cell(index, first + 1).value = status
        sheet.cell(index, first + 2).value = int(root.findtext("status") or -1)
        sheet.cell(index, first + 3).value = root.findtext("description")
    book.save(workbook)  # type: ignore[attr-defined]
    sample = Sample(time.perf_counter() - wall, time.process_time() - cpu, _peak_mb(), len(rows))
    sample.created = count_job_ids(workbook)
    return sample


def measure_requests_client(workbook: Path, url: str, concurrency: int) -> Sample:
    """(g): the minimal ``requests.Session`` client: one Session per worker (keep-alive),
    ``session.post(url, data=fields, auth=...)`` per row."""
    import requests

    def post(worker: int) -> Callable[[tuple[tuple[str, str], ...]], tuple[int, bytes]]:
        session = requests.Session()

        def send(fields: tuple[tuple[str, str], ...]) -> tuple[int, bytes]:
            answer = session.post(f"{url}/jobs", data=fields, auth=(USERNAME, PASSWORD), timeout=60)
            return answer.status_code, answer.content

        return send

    return _reference_client(workbook, concurrency, post)


def measure_httpclient_client(workbook: Path, url: str, concurrency: int) -> Sample:
    """(h): the minimal ``http.client`` client: one HTTPConnection per worker (keep-alive),
    the form encoded with ``urlencode``, Basic auth in a header."""
    import base64
    import http.client
    from urllib.parse import urlencode, urlsplit

    where = urlsplit(url)
    token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    headers = {
        "Authorization": f"Basic {token}",
        "Content-Type": "application/x-www-form-urlencoded",
    }

    def post(worker: int) -> Callable[[tuple[tuple[str, str], ...]], tuple[int, bytes]]:
        connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port)

        def send(fields: tuple[tuple[str, str], ...]) -> tuple[int, bytes]:
            connection.request(
                "POST", f"{where.path}/jobs", body=urlencode(fields), headers=headers
            )
            answer = connection.getresponse()
            return answer.status, answer.read()

        return send

    return _reference_client(workbook, concurrency, post)


def measure_openpyxl(workbook: Path) -> Sample:
    """(c): openpyxl alone, load and save, nothing else."""
    from openpyxl import load_workbook

    wall, cpu = time.perf_counter(), time.process_time()
    book = load_workbook(workbook)
    loaded = time.perf_counter()
    rows = book["Jobs"].max_row - 1
    book.save(workbook)
    sample = Sample(time.perf_counter() - wall, time.process_time() - cpu, _peak_mb(), rows)
    sample.detail = {"load_s": loaded - wall, "save_s": time.perf_counter() - loaded}
    return sample


def measure_core(rows: int) -> Sample:
    """(d): xl-mailer's own work per row: plan the rows, read the answers, decide outcomes."""
    from xl_mailer.click2mail import xmlanswers
    from xl_mailer.core.catalog import default_catalog
    from xl_mailer.core.models import Outcome
    from xl_mailer.core.outcomes import create_outcome
    from xl_mailer.core.rows import plan_rows
    from xl_mailer.core.sheet import find_layout

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
    from xl_mailer.app.create import RunOptions, run_sheet
    from xl_mailer.core.catalog import default_catalog
    from xl_mailer.core.models import JobRequest, JobResult, Outcome
    from xl_mailer.engine.journal import Journal, journal_path
    from xl_mailer.headless.xlsx import open_sheet

    counter = iter(range(245986, 10**9))

    def instant(request: JobRequest) -> JobResult:
        return JobResult(Outcome.CREATED, "Created", next(counter), 201, 0)

    wall, cpu = time.perf_counter(), time.process_time()
    port = open_sheet(workbook)
    loaded = time.perf_counter()
    journal = Journal(journal_path(workbook))
    options = RunOptions(catalog=default_catalog(), concurrency=concurrency)
    run = run_sheet(port, instant, options, journal=journal)
    ran = time.perf_counter()
    port.save()
    journal.discard()
    end = time.perf_counter()
    sample = Sample(end - wall, time.process_time() - cpu, _peak_mb(), run.summary.created)
    sample.created = count_job_ids(workbook)
    sample.detail = {
        "load_s": loaded - wall,
        "run_s": ran - loaded,
        "save_s": end - ran,
        "fsyncs": float(journal.syncs),
    }
    return sample


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (Linux)."""
    text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (name) "; fields 3 onwards
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_http(url: str, server_pid: int, calls: int) -> Sample:
    """(f): what one ``POST /jobs`` costs, client and sandbox CPU, through three layers on one
    keep-alive connection: the standard library's http.client, requests, and xl-mailer's client
    (requests, plus reading the answer and deciding the outcome)."""
    import base64
    import http.client
    from urllib.parse import urlencode, urlsplit

    import requests

    from xl_mailer.click2mail.client import Click2MailClient
    from xl_mailer.core.models import JobRequest, Outcome

    params = tuple((name, str(value)) for name, value in zip(REQUIRED_PARAMS, ROW, strict=True))
    body = urlencode(params)
    token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port)
    session = requests.Session()
    client = Click2MailClient(url, USERNAME, PASSWORD)
    request = JobRequest(2, params)

    def plain() -> None:
        connection.request(
            "POST",
            f"{where.path}/jobs",
            body=body,
            headers={
                "Authorization": f"Basic {token}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        answer = connection.getresponse()
        answer.read()
        if answer.status != 201:
            raise SystemExit(f"http.client: HTTP {answer.status}")

    def with_requests() -> None:
        answer = session.post(f"{url}/jobs", data=params, auth=(USERNAME, PASSWORD), timeout=60)
        if answer.status_code != 201:
            raise SystemExit(f"requests: HTTP {answer.status_code}")

    def ours() -> None:
        result = client.create_job(request)
        if result.outcome is not Outcome.CREATED:
            raise SystemExit(f"xl-mailer: {result}")

    detail: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    for name, call in (("httpclient", plain), ("requests", with_requests), ("xlmailer", ours)):
        for _ in range(50):  # warm up: the connection is open, caches are filled
            call()
        server, began, mine = _cpu_seconds(server_pid), time.perf_counter(), time.process_time()
        for _ in range(calls):
            call()
        detail[f"{name}_wall_ms"] = (time.perf_counter() - began) / calls * 1e3
        detail[f"{name}_client_ms"] = (time.process_time() - mine) / calls * 1e3
        detail[f"{name}_server_ms"] = (_cpu_seconds(server_pid) - server) / calls * 1e3
    sample = Sample(time.perf_counter() - wall, time.process_time() - cpu, _peak_mb(), calls)
    sample.detail = detail
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
    parser = argparse.ArgumentParser(prog="measure.py")
    parser.add_argument("mode", choices=("a", "b", "c", "d", "e", "f", "g", "h"))
    parser.add_argument("--workbook", type=Path)
    parser.add_argument("--url", default="")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--rows", type=int, default=REFERENCE_ROWS)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--server-pid", type=int, default=0, help="(f): the sandbox's process")
    parser.add_argument("--calls", type=int, default=HTTP_CALLS, help="(f): calls per layer")
    args = parser.parse_args(argv)
    # Import what a run needs before the clock starts: start-up is not the run.
    import lxml.etree  # noqa: F401
    import openpyxl  # noqa: F401
    import requests  # noqa: F401

    import xl_mailer.headless.cli  # noqa: F401

    work: Callable[[], Sample]
    if args.mode == "a":
        work = lambda: measure_baseline(args.workbook, args.url)  # noqa: E731
    elif args.mode == "b":
        work = lambda: measure_xl_mailer(args.workbook, args.url, args.concurrency)  # noqa: E731
    elif args.mode == "c":
        work = lambda: measure_openpyxl(args.workbook)  # noqa: E731
    elif args.mode == "e":
        work = lambda: measure_offline(args.workbook, args.concurrency)  # noqa: E731
    elif args.mode == "g":
        work = lambda: measure_requests_client(args.workbook, args.url, args.concurrency)  # noqa: E731
    elif args.mode == "h":
        work = lambda: measure_httpclient_client(args.workbook, args.url, args.concurrency)  # noqa: E731
    elif args.mode == "f":
        work = lambda: measure_http(args.url, args.server_pid, args.calls)  # noqa: E731
    else:
        work = lambda: measure_core(args.rows)  # noqa: E731
    if args.profile:
        sample, report = profiled(work)
        print(report)
    else:
        sample = work()
    print(json.dumps(asdict(sample)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
