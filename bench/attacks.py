"""Attack xl-mailer the way operations staff do (issue 9) and count the damage at a witness.

    python bench/attacks.py [--only NAME ...] [--markdown FILE] [--keep] [--list]

Each attack builds a small workbook of numbered rows (``rtnName`` = ``row-N``), starts its
own witness server (a minimal Click2Mail stand-in written here, not ``xl_mailer.sandbox``)
and drives the product exactly as a user does: ``xl-mailer`` subprocesses with
``C2M_ENDPOINT`` pointing at the witness and ``XL_MAILER_STATE_DIR`` at a fresh folder.
The witness records every job it makes and which row it was for, so afterwards it can
say, independently of anything xl-mailer writes:

- **jobs made**: jobs the witness made for the workbook's rows (jobs seeded "from before"
  are not counted);
- **rows mailed twice**: rows that got two or more jobs;
- **ids lost**: jobs whose id is in no row and that the tool cannot account for: not in a
  row's Job ID; its row does not show UNKNOWN or the job's request key; neither the id nor
  the request key is in a file of the state folder or the ``.NAME.xl-mailer-journal`` beside
  a workbook measured; ``xl-mailer unclaimed BOOK`` (when the CLI has it) does not list it;
- **rows wrongly marked created**: a row showing a Job ID the witness never made for that
  row (or made "before", as in attack 6, or on an earlier day of the attack), a row showing
  a Job ID another row of its workbook shows too (a job belongs to one row), or a row
  saying Created with no job at all.

Every one of them should be 0. ``rows left without a job`` is information (a row kept
UNKNOWN or refused is safe, just not mailed yet), except in attack 6, where the row must
end up mailed once. The notes give each CLI call's exit code, totals line and last stderr
lines, and what the rows left UNKNOWN or without a job say.

Attacks 8 come from the ninth review. Some span days (a daily routine, next month's book
made from this month's): ``Ctx.next_day`` measures the day that ends over the books it
leaves, then sets its jobs aside as an earlier day's; the table adds the days' counts up
(but for rows left without a job: the last day's). A row of a later day may be a new
letter with an earlier day's values (the same customer again): the attack names those
rows, and a label with jobs on two days counts as mailed twice unless it is one of them.
A row the tool holds back (``Not sent: held back:``: it has the values of a job saved
earlier) is neither; where it is such a new letter, the attack does what its message says
(release the job it names, run again). Two people sharing a file are two state folders
(``Ctx.person``).

Races are made deterministic from the harness side: the CLI runs through ``python -c``
with a hook that patches ``openpyxl.load_workbook`` (so also the one
``xl_mailer.headless.xlsx`` imported):
after its first load it can touch a flag file and wait for a "go" file, modelling a slow
disk or a big workbook whose read started before the other run finished. Everything talks
to 127.0.0.1 only, every wait is bounded.

Run against other code: ``PYTHONPATH=/path/to/checkout python bench/attacks.py`` (the first
line on stderr says which ``xl_mailer`` was imported).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import email.utils
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from openpyxl import Workbook, load_workbook
from sections import write_attacks

PYTHON = sys.executable
REQUIRED = (
    "documentClass",
    "layout",
    "productionTime",
    "envelope",
    "color",
    "paperType",
    "printOption",
    "documentId",
    "addressId",
)
LETTER: tuple[object, ...] = (
    "Letter 8.5 x 11",
    "Address on Separate Page",
    "Next Day",
    "#10 Double Window",
    "Black and White",
    "White 24#",
    "Printing One side",
    1001,
    2001,
)
RESULT_HEADERS = ("Job ID", "HTTP Status", "Return Code", "Description")
OTHER_COLOR = "Full Color"  # the catalog allows it for this letter: an edit that stays valid
TIMEOUT = "1"  # --timeout for runs whose witness answers at once
FIRST_ID = 700001  # witness job ids: far from row numbers, easy to find in text

# The CLI as a user starts it, with test hooks that only the harness sets.
HOOK = r"""
import importlib, os, sys, time
import openpyxl
import openpyxl.reader.excel

_real = openpyxl.reader.excel.load_workbook
_calls = [0]


def _hooked(*args, **kwargs):
    _calls[0] += 1
    first = _calls[0] == 1
    if first:
        time.sleep(float(os.environ.get("XLM_HOOK_SLEEP_BEFORE_LOAD") or 0))
    book = _real(*args, **kwargs)
    if first:
        flag = os.environ.get("XLM_HOOK_LOADED_FLAG")
        if flag:
            open(flag, "a").close()
        gate = os.environ.get("XLM_HOOK_WAIT_FOR")
        if gate:
            deadline = time.monotonic() + float(os.environ.get("XLM_HOOK_WAIT_MAX") or 60)
            while not os.path.exists(gate) and time.monotonic() < deadline:
                time.sleep(0.02)
    return book


openpyxl.load_workbook = _hooked
openpyxl.reader.excel.load_workbook = _hooked
for _name in ("xl_mailer.headless.xlsx", "xl_mailer.xlsx"):  # the layout now, and before
    try:
        _xlsx = importlib.import_module(_name)
    except ImportError:
        continue
    _xlsx.load_workbook = _hooked
from xl_mailer.cli import main

sys.argv[0] = "xl-mailer"
sys.exit(main(sys.argv[1:]))
"""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


# -- the witness -------------------------------------------------------------------------


@dataclass
class WitnessJob:
    """One job the witness made: for which row (``rtnName``), with what, when (witness clock)."""

    id: int
    label: str
    params: dict[str, str]
    created: dt.datetime
    seeded: bool = False  # made "before": not part of the attack's count
    earlier: bool = False  # made on an earlier day of the attack: counted that day


@dataclass
class Knobs:
    """What the witness does wrong, per attack; changed between steps as needed."""

    faults: dict[str, list[str]] = field(default_factory=dict)
    """Per row label, faults for its successive POSTs: ``html500`` (no job), ``524`` (job made),
    ``524late`` (answered 524 at once, job made ``late_seconds`` later), ``drop`` (job made,
    connection closed without an answer)."""
    post_delay: float = 0.0  # seconds before every POST /jobs is handled
    late_seconds: float = 8.0
    list_cap: int | None = None  # the listing shows at most this many jobs (oldest first)
    list_paged: bool = False  # with list_cap: pages of that size, ?page=N, paging fields
    short_signature: bool = False  # the listing cuts appSignature to 12 characters
    clock_offset: dt.timedelta = dt.timedelta(0)  # witness clock = real clock + offset
    hidden: frozenset[str] = frozenset()  # fields the listing and GET /jobs/ID leave out


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    witness: Witness


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        return email.utils.format_datetime(self.server.witness.now(), usegmt=True)

    def _reply(self, status: int, body: bytes, kind: str = "application/xml") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def _xml(self, status: int, text: str) -> None:
        self._reply(status, ('<?xml version="1.0" encoding="UTF-8"?>' + text).encode("utf-8"))

    def _html(self, status: int, text: str) -> None:
        self._reply(status, f"<html><body><h1>{text}</h1></body></html>".encode(), "text/html")

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        if not self.headers.get("Authorization", "").startswith("Basic "):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="witness"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = parts.path.removeprefix("/molpro").strip("/")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        witness = self.server.witness
        if method == "GET" and path == "credit":
            self._xml(200, "<credit><balance>100</balance></credit>")
        elif method == "POST" and path == "jobs":
            self._create(dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)))
        elif method == "GET" and path == "jobs":
            self._list(query)
        elif method == "GET" and path.startswith("jobs/") and path[5:].isdigit():
            job = witness.get(int(path[5:]))
            if job is None:
                self._xml(
                    200, "<job><status>1</status><description>Job ID not found</description></job>"
                )
            else:
                hidden = witness.knobs.hidden
                self._xml(200, "<job>" + _job_fields(job, short=False, hidden=hidden) + "</job>")
        else:
            self._html(404, "404 Not Found")

    def _create(self, form: dict[str, str]) -> None:
        witness = self.server.witness
        label = form.get("rtnName", "")
        fault = witness.take_fault(label)
        if witness.knobs.post_delay:
            time.sleep(witness.knobs.post_delay)
        if fault == "html500":
            self._html(500, "500 Internal Server Error")
            return
        if fault == "524late":
            self._html(524, "Error 524: A timeout occurred")
            witness.make_later(form, label)
            return
        job = witness.make(form, label)
        if fault == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "524":
            self._html(524, "Error 524: A timeout occurred")
            return
        self._xml(
            201,
            f"<job><id>{job.id}</id><status>0</status><description>Created</description></job>",
        )

    def _list(self, query: dict[str, str]) -> None:
        witness = self.server.witness
        try:
            start = dt.date.fromisoformat(query.get("startDate", ""))
        except ValueError:
            self._xml(
                400, "<jobs><status>9</status><description>bad startDate</description></jobs>"
            )
            return
        jobs = [j for j in witness.jobs() if j.created.date() >= start]
        knobs = witness.knobs
        head = ""
        if knobs.list_cap is not None and knobs.list_paged:
            size = knobs.list_cap
            pages = max(1, -(-len(jobs) // size))
            page = query.get("page") or query.get("pageNumber") or "1"
            number = int(page) if page.isdigit() and int(page) >= 1 else 1
            head = (
                f"<page>{number}</page><pageSize>{size}</pageSize><pages>{pages}</pages>"
                f"<totalCount>{len(jobs)}</totalCount>"
            )
            jobs = jobs[(number - 1) * size : number * size]
        elif knobs.list_cap is not None:
            jobs = jobs[: knobs.list_cap]
        items = "".join(
            "<job>" + _job_fields(j, short=knobs.short_signature, hidden=knobs.hidden) + "</job>"
            for j in jobs
        )
        asked = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
        witness.listings.append(f"{asked} → {len(jobs)} jobs")
        self._xml(200, f"<jobs>{head}{items}</jobs>")


def _job_fields(job: WitnessJob, *, short: bool, hidden: frozenset[str] = frozenset()) -> str:
    signature = job.params.get("appSignature", "")
    fields: list[tuple[str, str]] = [
        ("id", str(job.id)),
        ("status", "9"),
        ("description", "EDITING"),
        ("createdDate", job.created.isoformat(timespec="seconds")),
        ("appSignature", signature[:12] if short else signature),
    ]
    fields += [(k, v) for k, v in job.params.items() if k != "appSignature"]
    fields = [(k, v) for k, v in fields if k not in hidden]
    return "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields if re.fullmatch(r"\w+", k))


class Witness:
    """A Click2Mail stand-in on 127.0.0.1 that counts the jobs each row got."""

    def __init__(self) -> None:
        self.knobs = Knobs()
        self._lock = threading.Lock()
        self._jobs: dict[int, WitnessJob] = {}
        self._next = FIRST_ID
        self._late = 0
        self.posts = 0
        self.listings: list[str] = []  # GET /jobs queries and how many jobs each showed
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.witness = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/molpro"

    def __enter__(self) -> Witness:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.knobs.clock_offset

    def take_fault(self, label: str) -> str | None:
        with self._lock:
            self.posts += 1
            queue = self.knobs.faults.get(label)
            return queue.pop(0) if queue else None

    def make(
        self,
        params: dict[str, str],
        label: str,
        *,
        seeded: bool = False,
        created: dt.datetime | None = None,
    ) -> WitnessJob:
        with self._lock:
            job = WitnessJob(self._next, label, dict(params), created or self.now(), seeded)
            self._jobs[job.id] = job
            self._next += 1
            return job

    def make_later(self, params: dict[str, str], label: str) -> None:
        """Make the job ``late_seconds`` from now, as Click2Mail finishing a timed-out create."""
        with self._lock:
            self._late += 1

        def later() -> None:
            self.make(params, label)
            with self._lock:
                self._late -= 1

        timer = threading.Timer(self.knobs.late_seconds, later)
        timer.daemon = True
        timer.start()

    def wait_late(self, timeout: float = 30.0) -> bool:
        """Wait until every job promised "late" has been made."""
        return wait_until(lambda: self._late == 0, timeout, 0.05)

    def jobs(self) -> list[WitnessJob]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.id)

    def get(self, job_id: int) -> WitnessJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def made(self) -> int:
        """Jobs made in this attack, earlier days' too (seeded ones left out)."""
        with self._lock:
            return sum(1 for j in self._jobs.values() if not j.seeded)

    def jobs_for(self, label: str) -> list[WitnessJob]:
        """The jobs made for a row today (not seeded, not on an earlier day)."""
        return [j for j in self.jobs() if j.label == label and not (j.seeded or j.earlier)]

    def end_day(self) -> None:
        """Every job made so far is an earlier day's from now on."""
        with self._lock:
            for job in self._jobs.values():
                job.earlier = not job.seeded


# -- workbooks ---------------------------------------------------------------------------


def make_book(
    path: Path, rows: int, *, first: int = 1, extra: dict[str, str] | None = None
) -> Path:
    """A ``Jobs`` sheet: the nine required parameters, ``rtnName`` and ``extra`` columns."""
    return book_of(path, [f"row-{n}" for n in range(first, first + rows)], extra=extra)


def book_of(path: Path, labels: list[str], *, extra: dict[str, str] | None = None) -> Path:
    """A ``Jobs`` sheet with one row per label (``rtnName``), as ``make_book`` makes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Jobs"
    sheet.append([*REQUIRED, "rtnName", *(extra or {})])
    for label in labels:
        sheet.append([*LETTER, label, *(extra or {}).values()])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def append_rows(path: Path, first: int, rows: int) -> None:
    """Add rows ``row-first`` ... at the bottom, as an operator adding work does."""
    book = load_workbook(path)
    sheet = book["Jobs"]
    for n in range(first, first + rows):
        sheet.append([*LETTER, f"row-{n}"])
    book.save(path)


def add_rows(path: Path, labels: list[str], *, at: int | None = None) -> None:
    """Rows with these labels typed (or pasted) in by hand: at the bottom, or inserted at
    sheet row ``at`` (the rows below move down, results and all)."""
    book = load_workbook(path)
    sheet = book["Jobs"]
    if at is None:
        for label in labels:
            sheet.append([*LETTER, label])
    else:
        sheet.insert_rows(at, len(labels))
        for offset, label in enumerate(labels):
            for column, value in enumerate([*LETTER, label], start=1):
                assert isinstance(value, str | int)  # what LETTER holds
                sheet.cell(row=at + offset, column=column).value = value
    book.save(path)


def delete_rows(path: Path, keep: Callable[[BookRow], bool]) -> list[str]:
    """Delete by hand the data rows that ``keep`` does not keep (results and all, the rows
    below move up); returns their labels."""
    gone = [r for r in read_book(path) if not keep(r)]
    book = load_workbook(path)
    sheet = book["Jobs"]
    for r in sorted(gone, key=lambda r: -r.sheet_row):
        sheet.delete_rows(r.sheet_row, 1)
    book.save(path)
    return [r.label for r in gone]


@dataclass
class BookRow:
    """One data row as a reader of the saved workbook sees it."""

    sheet_row: int
    label: str
    job_id: int | None
    description: str
    key: str


def _job_number(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _headers(values: list[list[object]]) -> tuple[int, dict[str, int]]:
    for r, row in enumerate(values[:10]):
        names = {str(v).strip().casefold(): c for c, v in enumerate(row) if v not in (None, "")}
        if "documentclass" in names:
            return r, names
    raise ValueError("no header row")


def read_book(path: Path) -> list[BookRow]:
    """The rows of a workbook file as saved (empty when it is missing or unreadable)."""
    if not path.exists():
        return []
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        return []
    try:
        values = [list(r) for r in book["Jobs"].iter_rows(values_only=True)]
    finally:
        book.close()
    try:
        r, names = _headers(values)
    except ValueError:
        return []

    def get(line: list[object], name: str) -> object:
        c = names.get(name.casefold())
        return line[c] if c is not None and c < len(line) else None

    found = []
    for i in range(r + 1, len(values)):
        label = get(values[i], "rtnName")
        if label in (None, ""):
            continue
        found.append(
            BookRow(
                i + 1,
                str(label),
                _job_number(get(values[i], "Job ID")),
                str(get(values[i], "Description") or ""),
                str(get(values[i], "Request Key") or ""),
            )
        )
    return found


def edit_cell(path: Path, label: str, header: str, value: object) -> int:
    """Set ``header`` of the row labelled ``label`` by hand; returns its sheet row. A missing
    ``Job ID`` column is added with the other three result headers, right of the parameters
    (the layout refuses a Job ID header alone)."""
    book = load_workbook(path)
    sheet = book["Jobs"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    r, names = _headers(values)
    row = next(i + 1 for i in range(r + 1, len(values)) if values[i][names["rtnname"]] == label)
    if header.casefold() not in names:
        last = max(names.values())
        for offset, name in enumerate(RESULT_HEADERS):
            sheet.cell(row=r + 1, column=last + 2 + offset).value = name
            names[name.casefold()] = last + 1 + offset
    sheet.cell(row=row, column=names[header.casefold()] + 1).value = value  # None clears it
    book.save(path)
    return row


# -- one attack's playground -------------------------------------------------------------


@dataclass
class Step:
    """One CLI call: what it was, its exit code (negative: killed by that signal), its output."""

    label: str
    code: int | None
    out: str
    err: str


@dataclass
class Running:
    label: str
    process: subprocess.Popen[bytes]
    out: Path
    err: Path
    handles: tuple[IO[bytes], IO[bytes]]


@dataclass
class Result:
    name: str
    title: str
    rows: int
    made: int
    twice: int
    lost: int
    wrong: int
    without: int
    notes: str
    seconds: float
    must_mail: bool = False

    @property
    def failed(self) -> bool:
        return bool(self.twice or self.lost or self.wrong or (self.must_mail and self.without))


class Ctx:
    """A fresh folder, state folder and witness for one attack, and the CLI to drive."""

    def __init__(self, root: Path, name: str, *, unclaimed: bool, witness: Witness) -> None:
        self.dir = root / name
        self.dir.mkdir(parents=True)
        self.state = self.dir / "state"
        self.state.mkdir()
        self.states = [self.state]  # this person's state folder, then other people's
        self.witness = witness
        self.unclaimed = unclaimed
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self.days: list[tuple[int, int, int, int, int, int]] = []  # earlier days' counts
        self.repeats: set[str] = set()  # rows mailed on purpose again on a later day
        self._count = 0

    def book(self, rows: int, name: str = "book.xlsx", **kwargs: Any) -> Path:
        return make_book(self.dir / name, rows, **kwargs)

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XLM_HOOK_", "C2M_"))}
        env.update(
            C2M_ENDPOINT=self.witness.url,
            C2M_USERNAME="witness",
            C2M_PASSWORD="witness-password",  # noqa: S106 - the witness accepts any password
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",  # leave the checkout under test as it is
        )
        env.update(_state_env(self.state))
        env.update(extra or {})
        return env

    def person(self, name: str) -> dict[str, str]:
        """Settings for another person working on the same files: a state folder of their
        own (as %LOCALAPPDATA% on another PC); pass them as ``env``."""
        state = self.dir / f"state-{name}"
        if state not in self.states:
            state.mkdir()
            self.states.append(state)
        return _state_env(state)

    def hook(self, name: str, *, wait: bool = True) -> dict[str, str]:
        """Hook settings: touch ``NAME.loaded`` after the first workbook load, then (with
        ``wait``) hold there until ``NAME.go`` exists (``release``), at most 60 s."""
        hook = {"XLM_HOOK_LOADED_FLAG": str(self.dir / f"{name}.loaded")}
        if wait:
            hook |= {"XLM_HOOK_WAIT_FOR": str(self.dir / f"{name}.go"), "XLM_HOOK_WAIT_MAX": "60"}
        return hook

    def loaded(self, name: str) -> bool:
        return (self.dir / f"{name}.loaded").exists()

    def release(self, name: str) -> None:
        (self.dir / f"{name}.go").touch()

    def start(
        self,
        label: str,
        *args: object,
        hook: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
    ) -> Running:
        self._count += 1
        out = self.dir / f"step{self._count:02d}.out"
        err = self.dir / f"step{self._count:02d}.err"
        handles = (out.open("wb"), err.open("wb"))
        process = subprocess.Popen(  # noqa: S603 - our own CLI, through the hook above
            [PYTHON, "-c", HOOK, *map(str, args)],
            env=self.env((hook or {}) | (env or {})),
            cwd=self.dir,
            stdin=subprocess.DEVNULL,
            stdout=handles[0],
            stderr=handles[1],
        )
        log(f"    {label}: xl-mailer {' '.join(_short(a, self.dir) for a in args)}")
        return Running(label, process, out, err, handles)

    def wait(self, running: Running, timeout: float = 120.0) -> Step:
        try:
            code: int | None = running.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait(timeout=10)
            code = None
        return self._finish(running, code)

    def kill(self, running: Running) -> Step:
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGKILL)
        code = running.process.wait(timeout=10)
        return self._finish(running, code)

    def interrupt(self, running: Running, timeout: float = 60.0) -> Step:
        """Ctrl-C once: the run stops sending, waits for the answers in flight and saves."""
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGINT)
        return self.wait(running, timeout)

    def _finish(self, running: Running, code: int | None) -> Step:
        for handle in running.handles:
            handle.close()
        step = Step(
            running.label,
            code,
            running.out.read_text("utf-8", "replace"),
            running.err.read_text("utf-8", "replace"),
        )
        self.steps.append(step)
        shown = "timed out" if code is None else ("killed" if code < 0 else str(code))
        log(f"      -> {shown}" + (f": {_tail(step.err, 1)}" if step.err.strip() else ""))
        return step

    def cli(
        self,
        label: str,
        *args: object,
        hook: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120.0,
    ) -> Step:
        return self.wait(self.start(label, *args, hook=hook, env=env), timeout)

    def run(
        self,
        label: str,
        book: Path,
        *more: object,
        timeout: str = TIMEOUT,
        env: dict[str, str] | None = None,
    ) -> Step:
        """``xl-mailer run BOOK`` with the attack's defaults (concurrency 4, --timeout 1)."""
        return self.cli(label, "run", book, "--timeout", timeout, *more, env=env)

    def wait_jobs(self, count: int, running: Running | None = None, timeout: float = 60) -> bool:
        return wait_until(
            lambda: (
                self.witness.made() >= count
                or (running is not None and running.process.poll() is not None)
            ),
            timeout,
        )

    def journals(self, books: list[Path]) -> list[Path]:
        """Journal files the tool keeps for these workbooks: in the state folders (fixed
        code; every person's) or beside the workbook (``.NAME.xl-mailer-journal``, the
        original code)."""
        found = [
            p
            for state in self.states
            for p in state.rglob("*")
            if p.is_file() and not p.is_symlink() and "lock" not in p.name.lower()
        ]
        for book in books:
            beside = book.with_name(f".{book.name}.xl-mailer-journal")
            if beside.is_file():
                found.append(beside)
        return found

    def journal_files(self, books: list[Path]) -> list[Path]:
        """The files to tamper with: those of ``journals`` named like a journal, else all."""
        found = self.journals(books)
        named = [p for p in found if "journal" in str(p.relative_to(self.dir)).lower()]
        return named or found

    def note(self, text: str) -> None:
        self.notes.append(text)
        log(f"    note: {text}")

    def next_day(self, books: list[Path], *, repeats: set[str] | None = None) -> None:
        """The day ends: measure it over ``books`` as they are now, then set its jobs aside
        (a row showing one later is wrongly marked created). ``repeats``: rows that a later
        day mails again on purpose (a new letter with the same values)."""
        counts = measure(self, books)
        self.days.append(counts)
        self.repeats |= repeats or set()
        self.witness.end_day()
        rows, made, twice, lost, wrong, without = counts
        self.note(
            f"day {len(self.days)}: {rows} rows, {made} jobs, {twice} mailed twice, {lost} ids"
            f" lost, {wrong} wrongly marked created, {without} without a job"
        )


def _state_env(state: Path) -> dict[str, str]:
    """The settings that put a person's per-user state in ``state``."""
    return {
        "XL_MAILER_STATE_DIR": str(state),
        "XDG_STATE_HOME": str(state / "xdg-state"),
        "XDG_DATA_HOME": str(state / "xdg-data"),
        "XDG_CACHE_HOME": str(state / "xdg-cache"),
    }


def _short(arg: object, folder: Path) -> str:
    text = str(arg)
    return text.replace(str(folder) + os.sep, "")


def _tail(text: str, lines: int = 2, width: int = 240) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    joined = " / ".join(kept)
    return joined if len(joined) <= width else joined[: width - 3] + "..."


# -- measuring -----------------------------------------------------------------------------


def assess(ctx: Ctx, books: list[Path]) -> tuple[int, int, int, int, int, int]:
    """(rows, jobs made, rows mailed twice, ids lost, rows wrongly marked created, rows left
    without a job): ``measure`` over ``books``, plus the earlier days' counts (``next_day``)
    but for rows left without a job, which are the last day's."""
    counts = measure(ctx, books)
    total = [sum(day[i] for day in [*ctx.days, counts]) for i in range(5)]
    return total[0], total[1], total[2], total[3], total[4], counts[5]


def measure(ctx: Ctx, books: list[Path]) -> tuple[int, int, int, int, int, int]:
    """(rows, jobs made, rows mailed twice, ids lost, rows wrongly marked created, rows left
    without a job), counted at the witness against what ``books`` hold now; jobs of earlier
    days (``next_day``) left out."""
    ctx.witness.wait_late()
    every = ctx.witness.jobs()
    jobs = [j for j in every if not (j.seeded or j.earlier)]
    per_label = Counter(j.label for j in jobs)
    twice = sum(1 for n in per_label.values() if n > 1)
    # mailed on an earlier day and again today, and not a new letter on purpose
    before = {j.label for j in every if j.earlier} - ctx.repeats
    twice += sum(1 for label, n in per_label.items() if n == 1 and label in before)
    rows: list[BookRow] = []
    wrong = 0
    for book in books:
        claimed: set[int] = set()  # a job belongs to one row of a workbook
        for r in read_book(book):
            rows.append(r)
            if r.job_id is None:
                continue
            job = ctx.witness.get(r.job_id)
            if job is None or job.seeded or job.earlier or job.label != r.label:
                wrong += 1
            elif r.job_id in claimed:
                wrong += 1  # its own job, but another row of its workbook shows it already
            else:
                claimed.add(r.job_id)
    labels = {r.label for r in rows}
    accounted: set[int] = set()
    shown_keys: set[tuple[str, str]] = set()
    unknown_labels: set[str] = set()
    for r in rows:
        if r.job_id is not None:
            accounted.add(r.job_id)
        else:
            if r.key:
                shown_keys.add((r.label, r.key))
            if r.description.startswith("UNKNOWN"):
                unknown_labels.add(r.label)
            created = r.description.casefold().startswith(("created", "reconciled"))
            if created and not per_label.get(r.label):
                wrong += 1
    texts = []
    for path in ctx.journals(books):
        with contextlib.suppress(OSError):
            texts.append(path.read_text("utf-8", "replace"))
    if ctx.unclaimed:
        for book in books:
            if book.exists():
                step = ctx.cli("unclaimed (count)", "unclaimed", book, timeout=60)
                texts.append(step.out)
    blob = "\n".join(texts)
    lost = 0
    for j in jobs:
        if j.id in accounted:
            continue
        if (j.label, j.params.get("appSignature", "")) in shown_keys:
            continue
        if j.label in unknown_labels:
            continue
        if re.search(rf"(?<![0-9]){j.id}(?![0-9])", blob):
            continue  # a journal (or ``unclaimed``) holds the id
        signature = j.params.get("appSignature", "")
        if signature.startswith("xlm-") and signature in blob:
            continue  # a journal holds the request key: reconcile can find the job
        lost += 1
    without = sum(1 for label in labels if not per_label.get(label))
    return len(labels), len(jobs), twice, lost, wrong, without


# -- the attacks ---------------------------------------------------------------------------


def attack_1a(ctx: Ctx) -> list[Path]:
    """Run B is started on book.xlsx while run A is sending; B's read is slow (it reads the
    book while A sends, then is held until A has finished, as a big workbook or a slow disk
    would). The original code takes the lock only after reading: B finds no lock and no
    journal and sends every row of its stale copy again, saving over A's ids."""
    book = ctx.book(40)
    ctx.witness.knobs.post_delay = 0.15
    a = ctx.start("run A", "run", book, "--concurrency", "2", "--timeout", "2")
    ctx.wait_jobs(2, a)
    b = ctx.start("run B", "run", book, "--concurrency", "4", "--timeout", "2", hook=ctx.hook("B"))
    wait_until(lambda: ctx.loaded("B") or b.process.poll() is not None, 30)
    raced = ctx.loaded("B") and a.process.poll() is None
    ctx.wait(a)
    ctx.release("B")
    ctx.wait(b)
    ctx.note(
        "B read the book while A was sending"
        if raced
        else "B did not read the book while A was sending (refused or waited for the lock)"
    )
    return [book]


def attack_1b(ctx: Ctx) -> list[Path]:
    """Three rows end UNKNOWN (524, job made); 37 rows are added; run A sends them while
    ``reconcile --min-age 0`` is started and reads the book mid-run (held until A is done).
    The original code's reconcile then saves its stale copy over A's 37 ids; the next run
    mails them again."""
    book = ctx.book(3)
    ctx.witness.knobs.faults = {f"row-{n}": ["524"] for n in (1, 2, 3)}
    ctx.run("run (3 rows, 524s)", book)
    append_rows(book, 4, 37)
    ctx.witness.knobs.post_delay = 0.15
    before = ctx.witness.made()
    a = ctx.start("run A", "run", book, "--concurrency", "2", "--timeout", "2")
    ctx.wait_jobs(before + 2, a)
    r = ctx.start("reconcile R", "reconcile", book, "--min-age", "0", hook=ctx.hook("R"))
    wait_until(lambda: ctx.loaded("R") or r.process.poll() is not None, 30)
    raced = ctx.loaded("R") and a.process.poll() is None
    ctx.wait(a)
    ctx.release("R")
    ctx.wait(r)
    ctx.note(
        "reconcile read the book while A was sending"
        if raced
        else "reconcile did not read the book while A was sending"
    )
    ctx.witness.knobs.post_delay = 0.0
    ctx.run("run again", book)
    return [book]


def attack_2(ctx: Ctx) -> list[Path]:
    """A 24-row run at one row per 0.6 s; row 22 (sent about 13 s in) is answered 524 at
    once and the witness makes its job 8 s later. The run is started late in a wall-clock
    minute so that the run's start minute is over 60 s old when ``reconcile --min-age 60``
    runs right after the run; then the book is run again. The original code dates every row
    by its request key's minute (the run's start), declares row 22 safe and mails it again."""
    align_minute(WINDOW_2)
    book = ctx.book(24)
    ctx.witness.knobs.post_delay = 0.6
    ctx.witness.knobs.late_seconds = 8.0
    ctx.witness.knobs.faults = {"row-22": ["524late"]}
    started = dt.datetime.now(dt.UTC)
    ctx.run("run (long)", book, "--concurrency", "1", timeout="3")
    ctx.witness.knobs.post_delay = 0.0
    ctx.cli("reconcile --min-age 60", "reconcile", book, "--min-age", "60")
    age = (dt.datetime.now(dt.UTC) - started.replace(second=0, microsecond=0)).total_seconds()
    ctx.run("run again", book)
    late = ctx.witness.wait_late()
    weak = "" if age >= 61 else " (under 61 s: the original code would not call it safe yet)"
    ctx.note(f"reconcile ran {age:.0f} s after the run's start minute{weak}; late job made: {late}")
    return [book]


def _crash_edit(ctx: Ctx, *, after_save: bool) -> list[Path]:
    # 120 rows at 0.2 s: the first checkpoint save (10 s in) comes before the last quarter
    rows = 120 if after_save else 40
    book = ctx.book(rows)
    ctx.witness.knobs.post_delay = 0.2 if after_save else 0.1
    runner = ctx.start("run (killed)", "run", book, "--concurrency", "1", "--timeout", TIMEOUT)
    if after_save:
        # a save that holds job ids (fixed code may save an identity before the first send)
        saved = wait_until(
            lambda: (
                runner.process.poll() is not None
                or any(r.job_id is not None for r in read_book(book))
            ),
            60,
            0.1,
        )
        if runner.process.poll() is not None:
            ctx.note(
                "the run finished before a checkpoint save could be seen: crash-after-save"
                " not exercised"
            )
        elif saved:
            ctx.wait_jobs(ctx.witness.made() + 5, runner, timeout=20)
    else:
        ctx.wait_jobs(12, runner)
    ctx.kill(runner)
    shown = read_book(book)
    in_book = {r.label for r in shown if r.job_id is not None}
    candidates = [
        r.label for r in shown if r.label not in in_book and len(ctx.witness.jobs_for(r.label)) == 1
    ]
    # prefer a row whose id the journal holds (its answer arrived before the kill)
    blob = "\n".join(p.read_text("utf-8", "replace") for p in ctx.journals([book]))
    answered = [
        label
        for label in candidates
        if re.search(rf"(?<![0-9]){ctx.witness.jobs_for(label)[0].id}(?![0-9])", blob)
    ]
    candidates = answered or candidates
    ctx.note(f"after the kill: {ctx.witness.made()} jobs, {len(in_book)} ids in the saved book")
    if not candidates:
        ctx.note("no row with its id only in the journal: nothing to edit")
        ctx.run("run again", book)
        return [book]
    label = candidates[min(2, len(candidates) - 1)]
    job = ctx.witness.jobs_for(label)[0]
    row = edit_cell(book, label, "color", OTHER_COLOR)
    ctx.note(f"edited {label} (sheet row {row}, job {job.id}): color -> {OTHER_COLOR}")
    step = ctx.run("run after the edit", book)
    follow_instructions(ctx, step, book, label, row, job)
    ctx.run("run again", book)
    return [book]


def follow_instructions(
    ctx: Ctx, step: Step, book: Path, label: str, row: int, witnessed: WitnessJob
) -> None:
    """Do exactly what the tool said: ``xl-mailer unclaimed BOOK``, then ``--attach JOB=ROW``
    (or ``KEY=ROW`` when the list shows only the request key) when it points there (fixed
    code); or put the id in the row and delete the journal it names (the original code)."""
    text = step.out + "\n" + step.err
    job = witnessed.id
    if "unclaimed" in text:
        listed = ctx.cli("unclaimed (list)", "unclaimed", book)
        what = str(job)
        key = witnessed.params.get("appSignature", "")
        if not re.search(rf"(?<![0-9]){job}(?![0-9])", listed.out) and key and key in listed.out:
            what = key
        attach = ctx.cli("unclaimed --attach", "unclaimed", book, "--attach", f"{what}={row}")
        ctx.note(
            f"followed the message: unclaimed --attach {what}={row} -> {attach.code}"
            + (f" ({_tail(attach.out + attach.err, 1, 160)})" if attach.code else "")
        )
        return
    found = re.search(r"delete (\S+)", text)
    if found:
        target = Path(found.group(1).rstrip(".,;:)'\""))
        had_column = any(r.job_id is not None for r in read_book(book)) or _has_header(book)
        edit_cell(book, label, "Job ID", job)
        existed = target.exists()
        target.unlink(missing_ok=True)
        ctx.note(
            f"followed the message: typed job {job} into {label}'s Job ID"
            + ("" if had_column else " (added the four result headers: there were none)")
            + f", deleted {target.name} (existed: {existed})"
        )
        return
    ctx.note("the run after the edit gave no instruction to follow")


def _has_header(book: Path) -> bool:
    wb = load_workbook(book, read_only=True)
    try:
        first = next(wb["Jobs"].iter_rows(max_row=1, values_only=True), ())
    finally:
        wb.close()
    return any(str(v).strip().casefold() == "job id" for v in first if v is not None)


def attack_3a(ctx: Ctx) -> list[Path]:
    """SIGKILL a 40-row run after 12 jobs, before its first checkpoint save (the book has no
    result columns yet); edit one recovered row's color (rtnName kept); run; do what the
    tool's message says; run again."""
    return _crash_edit(ctx, after_save=False)


def attack_3b(ctx: Ctx) -> list[Path]:
    """The same as 3a, but the 120-row run is killed 5 jobs after its first checkpoint save,
    and the edited row is one whose id only the journal had."""
    return _crash_edit(ctx, after_save=True)


def attack_4a(ctx: Ctx) -> list[Path]:
    """``run book.xlsx`` and ``run book.xlsx --output out.xlsx`` started together (both hold
    after reading the book until both have read it; the --output run goes first). The
    original code locks and journals by path: two locks, every row mailed twice."""
    book = ctx.book(40)
    out = ctx.dir / "out.xlsx"
    plain = ctx.start("run", "run", book, "--timeout", TIMEOUT, hook=ctx.hook("plain"))
    other = ctx.start(
        "run --output", "run", book, "--output", out, "--timeout", TIMEOUT, hook=ctx.hook("output")
    )
    wait_until(
        lambda: all(
            ctx.loaded(n) or p.process.poll() is not None
            for n, p in (("plain", plain), ("output", other))
        ),
        15,
    )
    ctx.release("output")
    time.sleep(0.3)
    ctx.release("plain")
    ctx.wait(other)
    ctx.wait(plain)
    return [book, out]


def _kill_after(
    ctx: Ctx,
    args: list[object],
    jobs: int = 12,
    *,
    delay: float = 0.1,
    label: str = "run (killed)",
) -> None:
    """Start ``args`` one row at a time (``delay`` s a POST), SIGKILL it once the witness
    has made ``jobs`` jobs in all."""
    ctx.witness.knobs.post_delay = delay
    runner = ctx.start(label, *args, "--concurrency", "1", "--timeout", TIMEOUT)
    ctx.wait_jobs(jobs, runner)
    ctx.kill(runner)
    ctx.witness.knobs.post_delay = 0.0


def attack_4b_rename(ctx: Ctx) -> list[Path]:
    """SIGKILL a run after 12 jobs, rename book.xlsx to renamed.xlsx, run the new name. The
    original code leaves the journal behind under the old name."""
    book = ctx.book(40)
    _kill_after(ctx, ["run", book])
    moved = ctx.dir / "renamed.xlsx"
    book.rename(moved)
    ctx.run("run renamed.xlsx", moved)
    return [moved]


def attack_4b_move(ctx: Ctx) -> list[Path]:
    """SIGKILL a run after 12 jobs, move book.xlsx into another folder (same name), run it
    there."""
    book = ctx.book(40)
    _kill_after(ctx, ["run", book])
    moved = ctx.dir / "elsewhere" / "book.xlsx"
    moved.parent.mkdir()
    shutil.move(book, moved)
    ctx.run("run elsewhere/book.xlsx", moved)
    return [moved]


def attack_4c(ctx: Ctx) -> list[Path]:
    """A finished ``run book.xlsx --output out.xlsx``, then ``run book.xlsx``: the original
    code knows nothing of out.xlsx and mails every row again."""
    book = ctx.book(30)
    out = ctx.dir / "out.xlsx"
    ctx.run("run --output", book, "--output", out)
    ctx.run("run the original", book)
    return [book, out]


def attack_4d(ctx: Ctx) -> list[Path]:
    """``run book.xlsx --output out.xlsx`` killed after 12 jobs (before any save), then
    ``run book.xlsx``: the original code keeps that journal beside out.xlsx."""
    book = ctx.book(40)
    out = ctx.dir / "out.xlsx"
    _kill_after(ctx, ["run", book, "--output", out])
    ctx.note(f"out.xlsx exists after the kill: {out.exists()}")
    ctx.run("run the original", book)
    return [book, out] if out.exists() else [book]


def _link_report(ctx: Ctx, link: Path, book: Path) -> list[Path]:
    still = link.is_symlink()
    ctx.note(
        "link.xlsx is still a symlink"
        if still
        else "link.xlsx was replaced by a plain file (the real book did not get that run's ids)"
    )
    return [book] if still else [book, link]


def attack_4e_concurrent(ctx: Ctx) -> list[Path]:
    """Two runs at once, one through link.xlsx (a symlink to book.xlsx) and one on
    book.xlsx (both hold after reading until both have read). The original code locks
    each path on its own: every row mailed twice, and the link becomes a plain file."""
    book = ctx.book(40)
    link = ctx.dir / "link.xlsx"
    link.symlink_to(book.name)
    via = ctx.start("run via link", "run", link, "--timeout", TIMEOUT, hook=ctx.hook("link"))
    real = ctx.start("run real path", "run", book, "--timeout", TIMEOUT, hook=ctx.hook("real"))
    wait_until(
        lambda: all(
            ctx.loaded(n) or p.process.poll() is not None
            for n, p in (("link", via), ("real", real))
        ),
        15,
    )
    ctx.release("link")
    ctx.release("real")
    ctx.wait(via)
    ctx.wait(real)
    return _link_report(ctx, link, book)


def attack_4e_sequential(ctx: Ctx) -> list[Path]:
    """A finished run through link.xlsx (symlink to book.xlsx), then a run on book.xlsx.
    The original code replaces the link with a plain file holding the ids, so the real book
    has none and every row is mailed again."""
    book = ctx.book(30)
    link = ctx.dir / "link.xlsx"
    link.symlink_to(book.name)
    ctx.run("run via link", link)
    ctx.note(
        "after the link run: "
        + ("still a symlink" if link.is_symlink() else "link replaced by a plain file")
    )
    ctx.run("run real path", book)
    return _link_report(ctx, link, book)


def _seed_others(ctx: Ctx, count: int = 50) -> None:
    """Jobs of other workbooks made an hour earlier (witness clock), listed before ours."""
    created = ctx.witness.now() - dt.timedelta(hours=1)
    for n in range(1, count + 1):
        params = {h: str(v) for h, v in zip(REQUIRED, LETTER, strict=True)}
        params |= {"rtnName": f"other-{n}", "appSignature": f"other-book-{n:04d}"}
        ctx.witness.make(params, f"other-{n}", seeded=True, created=created)


def _listing_attack(
    ctx: Ctx, fault: str, set_knob: Callable[[Knobs], None], *, before_run: bool = False
) -> list[Path]:
    if before_run:
        set_knob(ctx.witness.knobs)
    _seed_others(ctx)
    book = ctx.book(23)  # 73 jobs listed in all: not a round number
    ctx.witness.knobs.faults = {"row-7": [fault]}
    ctx.run("run (row-7 faulted)", book)
    set_knob(ctx.witness.knobs)
    ctx.cli("reconcile --min-age 0", "reconcile", book, "--min-age", "0")
    ctx.run("run again", book)
    ctx.note("listing calls: " + ("; ".join(ctx.witness.listings) or "none"))
    return [book]


def attack_5a_capped(ctx: Ctx) -> list[Path]:
    """50 jobs of other books exist; row-7's create gets 524 (job made); the listing shows
    only the first 50 jobs (no paging fields); ``reconcile --min-age 0``, run again."""

    def knob(k: Knobs) -> None:
        k.list_cap = 50

    return _listing_attack(ctx, "524", knob)


def attack_5b_paged(ctx: Ctx) -> list[Path]:
    """As 5a, but the connection drops after row-7's job is made, and the listing is paged
    (50 a page, ``?page=N``, fields page/pageSize/pages/totalCount)."""

    def knob(k: Knobs) -> None:
        k.list_cap, k.list_paged = 50, True

    return _listing_attack(ctx, "drop", knob)


def attack_5c_short_signature(ctx: Ctx) -> list[Path]:
    """Row-7 gets 524 (job made); the listing cuts appSignature to 12 characters."""

    def knob(k: Knobs) -> None:
        k.short_signature = True

    return _listing_attack(ctx, "524", knob)


def attack_5d_clock(ctx: Ctx) -> list[Path]:
    """The witness clock is 2 days behind the client's (Date header and createdDate), i.e.
    the client's clock is 2 days ahead; row-7's connection drops after its job is made."""

    def knob(k: Knobs) -> None:
        k.clock_offset = -dt.timedelta(days=2)

    return _listing_attack(ctx, "drop", knob, before_run=True)


def attack_6(ctx: Ctx) -> list[Path]:
    """Every row has its own appSignature (``spring-2026``); a job with row-3's exact
    parameters and signature was made an hour earlier (seeded); row-3's create gets an HTML
    500 (no job); ``reconcile --min-age 0``; run again. The original code matches by
    parameters alone and marks row-3 with the old job's id: it is never mailed."""
    signature = "spring-2026"
    params = {h: str(v) for h, v in zip(REQUIRED, LETTER, strict=True)}
    params |= {"rtnName": "row-3", "appSignature": signature}
    ctx.witness.make(
        params, "row-3", seeded=True, created=ctx.witness.now() - dt.timedelta(hours=1)
    )
    book = ctx.book(23, extra={"appSignature": signature})  # 23 jobs listed: not round
    ctx.witness.knobs.faults = {"row-3": ["html500"]}
    ctx.run("run (row-3 HTML 500)", book)
    ctx.cli("reconcile --min-age 0", "reconcile", book, "--min-age", "0")
    ctx.run("run again", book)
    return [book]


def attack_7a(ctx: Ctx) -> list[Path]:
    """A clean 20-row run; row-4's Job ID is cleared by hand (Created and its Request Key
    stay); run again. The original code resends the row without a word."""
    book = ctx.book(20)
    ctx.run("run", book)
    edit_cell(book, "row-4", "Job ID", None)
    step = ctx.run("run after clearing row-4's Job ID", book)
    said = [r.description for r in read_book(book) if r.label == "row-4"]
    ctx.note(
        f"row-4 now says: {said[0][:120] if said else '?'}"
        + (" (run said nothing on stderr)" if not step.err.strip() else "")
    )
    return [book]


def _journal_tamper(ctx: Ctx, tamper: Callable[[list[Path]], str]) -> list[Path]:
    book = ctx.book(40)
    ctx.witness.knobs.post_delay = 0.1
    runner = ctx.start("run", "run", book, "--concurrency", "1", "--timeout", TIMEOUT)
    ctx.wait_jobs(8, runner)
    wait_until(lambda: bool(ctx.journals([book])) or runner.process.poll() is not None, 10)
    found = ctx.journal_files([book])
    what = tamper(found) if found else "no journal file found"
    step = ctx.wait(runner)
    said = "journal" in (step.out + step.err).replace(str(ctx.dir), "").casefold()
    ctx.note(
        f"{what}; the run exited {step.code} and "
        + ("mentioned the journal" if said else "did not mention the journal")
    )
    ctx.witness.knobs.post_delay = 0.0
    ctx.run("run again", book)
    return [book]


def attack_7b_deleted(ctx: Ctx) -> list[Path]:
    """A 40-row run's journal is deleted after 8 jobs; the run goes on. Is it noticed?"""

    def delete(paths: list[Path]) -> str:
        for p in paths:
            p.unlink(missing_ok=True)
        return "deleted " + ", ".join(p.name for p in paths)

    return _journal_tamper(ctx, delete)


def attack_7b_truncated(ctx: Ctx) -> list[Path]:
    """A 40-row run's journal is truncated to 0 bytes after 8 jobs; the run goes on."""

    def truncate(paths: list[Path]) -> str:
        for p in paths:
            with p.open("r+b") as handle:
                handle.truncate(0)
        return "truncated " + ", ".join(p.name for p in paths)

    return _journal_tamper(ctx, truncate)


def attack_7c_bad_record(ctx: Ctx) -> list[Path]:
    """A run is killed after 8 jobs; in its journal the first record that has a ``row`` loses
    one field (``digest`` if it has one); run. The message should name the line."""
    book = ctx.book(40)
    _kill_after(ctx, ["run", book], jobs=8)
    changed = ""
    for path in ctx.journal_files([book]):
        lines = path.read_text("utf-8", "replace").splitlines(keepends=True)
        for i, line in enumerate(lines):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "row" in record and len(record) > 2:
                drop = "digest" if "digest" in record else list(record)[-1]
                del record[drop]
                lines[i] = json.dumps(record, separators=(",", ":")) + "\n"
                path.write_text("".join(lines), "utf-8")
                changed = f"removed {drop!r} from line {i + 1} of {path.name}"
                break
        if changed:
            break
    ctx.note(changed or "no journal record with a row found: nothing changed")
    ctx.run("run", book)
    return [book]


# -- attacks 8: the ninth review's scenarios ----------------------------------------------

HELD_BACK = "Not sent: held back:"  # a row with the values of a job saved earlier


def follow_holds(ctx: Ctx, book: Path, new: set[str], why: str) -> bool:
    """Do what a held-back row says to mail its values again, for the rows labelled ``new``
    (new letters with an earlier letter's values): release the job it names (``xl-mailer
    unclaimed BOOK --release JOB``); the caller then runs again. Other held rows are left
    as they are (they are the same letters). Returns whether anything was released."""
    names: list[str] = []
    kept: list[str] = []
    for r in read_book(book):
        if not r.description.startswith(HELD_BACK):
            continue
        found = re.search(r"unclaimed --release (\S+?)[,);\s]", r.description)
        if r.label in new and found:
            names.append(found.group(1))
        else:
            kept.append(r.label)
    if kept:
        ctx.note(f"{book.name}: left held back: {', '.join(kept[:10])}")
    if not names:
        return False
    args = [a for name in names for a in ("--release", name)]
    step = ctx.cli("unclaimed --release (held)", "unclaimed", book, *args, "--why", why)
    ctx.note(
        f"{book.name}: followed the held-back message: released {len(names)} job(s) -> {step.code}"
    )
    return True


def follow_unclaimed(ctx: Ctx, step: Step, book: Path, why: str) -> bool:
    """Do what a run stopped by unclaimed jobs says, for jobs whose rows were deleted: list
    them (``xl-mailer unclaimed BOOK``) and release each (``--release JOB --why WHY``).
    Returns whether the run had stopped so."""
    if "xl-mailer unclaimed" not in step.err:
        return False
    listed = ctx.cli("unclaimed (list)", "unclaimed", book)
    names = re.findall(
        r"^unclaimed: (?:job (\d+)|a lost answer) \(request key (\S+?),", listed.out, re.M
    )
    chosen = [job or key for job, key in names]
    if not chosen:
        ctx.note(f"the run named unclaimed jobs, but 'unclaimed' listed none: {listed.out!r}")
        return True
    args = [a for name in chosen for a in ("--release", name)]
    done = ctx.cli("unclaimed --release", "unclaimed", book, *args, "--why", why)
    ctx.note(f"followed the message: released {len(chosen)} unclaimed job(s) -> {done.code}")
    return True


def attack_8a(ctx: Ctx) -> list[Path]:
    """Day 1: a 20-row run is stopped with Ctrl-C after 8 jobs (it waits for the answers in
    flight and saves). Day 2, the daily routine: the rows that have a Job ID are deleted and
    today's are added at the bottom, row-3 again (a new letter to the same customer: the
    values of yesterday's job) and row-21; run. row-3 must not get yesterday's job; held
    back, its message is followed (release that job), and the book is run again."""
    book = ctx.book(20)
    ctx.witness.knobs.post_delay = 0.05
    runner = ctx.start("day 1: run (Ctrl-C)", "run", book, "--concurrency", "1")
    ctx.wait_jobs(8, runner)
    ctx.interrupt(runner)
    ctx.witness.knobs.post_delay = 0.0
    ctx.next_day([book], repeats={"row-3"})
    gone = delete_rows(book, lambda r: r.job_id is None)
    add_rows(book, ["row-3", "row-21"])
    ctx.note(f"day 2: deleted the {len(gone)} rows with a Job ID, added row-3 again and row-21")
    ctx.run("day 2: run", book)
    if follow_holds(ctx, book, {"row-3"}, "a new letter to the same customer"):
        ctx.run("day 2: run again", book)
    return [book]


def attack_8b(ctx: Ctx) -> list[Path]:
    """Day 1: the ERP exports export.xlsx (5 rows); ``run export.xlsx --output
    results-day1.xlsx``. Day 2: a fresh export.xlsx at the same path (a new file: row-3
    again, this month's letter once more, and row-6); ``run export.xlsx --output
    results-day2.xlsx``. No day-2 row may be given a day-1 job."""
    export = ctx.book(5, name="export.xlsx")
    day1 = ctx.dir / "results-day1.xlsx"
    ctx.run("day 1: run --output", export, "--output", day1)
    ctx.next_day([export, day1], repeats={"row-3"})
    export.unlink()
    book_of(export, ["row-3", "row-6"])
    day2 = ctx.dir / "results-day2.xlsx"
    ctx.run("day 2: run --output", export, "--output", day2)
    if follow_holds(ctx, day2, {"row-3"}, "this month's letter again"):
        ctx.run("day 2: run results-day2.xlsx", day2)
    return [export, day2]


def attack_8c(ctx: Ctx) -> list[Path]:
    """A 40-row run is killed (SIGKILL) after 10 jobs; a backup, copy.xlsx, is made and run
    (taken for the one to continue). The message is followed: work on book.xlsx only, move
    copy.xlsx out of this folder (into old/); run book.xlsx. Later, old/copy.xlsx is run."""
    book = ctx.book(40)
    _kill_after(ctx, ["run", book], jobs=10)
    copy = ctx.dir / "copy.xlsx"
    shutil.copyfile(book, copy)
    step = ctx.run("run copy.xlsx", copy)
    told = "is the same workbook" in step.err and "move the other one out" in step.err
    moved = ctx.dir / "old" / "copy.xlsx"
    moved.parent.mkdir()
    shutil.move(copy, moved)
    ctx.note(
        ("followed the message: " if told else "no copy message (moved it anyway): ")
        + "kept book.xlsx, moved copy.xlsx to old/"
    )
    ctx.run("run book.xlsx", book)
    ctx.run("later: run old/copy.xlsx", moved)
    return [book, moved]


def attack_8d(ctx: Ctx) -> list[Path]:
    """Two rows with their own appSignature (``SPRING24``); the listing and GET /jobs/ID leave
    rtnName out, so to a lookup the rows are the same letter. row-1 is sent first and gets an
    HTML 500 (no job); row-2 is sent 6 s later and gets a 524 (job made); both UNKNOWN.
    ``reconcile`` (its default --min-age) may give row-2's job to one row only, and only to
    row-2."""
    book = ctx.book(2, extra={"appSignature": "SPRING24"})
    knobs = ctx.witness.knobs
    knobs.faults = {"row-1": ["html500"], "row-2": ["524"]}
    knobs.hidden = frozenset({"rtnName"})
    knobs.post_delay = 6.0
    ctx.run("run (row-1 HTML 500, row-2 524)", book, "--concurrency", "1", timeout="30")
    knobs.post_delay = 0.0
    ctx.cli("reconcile", "reconcile", book)
    return [book]


def attack_8e(ctx: Ctx) -> list[Path]:
    """row-3 of a 5-row run gets a 524 (job made): UNKNOWN. Ten rows are added; that run is
    killed after 4 jobs, before a save; row-6 is deleted by hand (not to be sent after all).
    ``unclaimed`` lists row-6's job, and by mistake it is attached to row-3's row (UNKNOWN,
    its own request key). Then each message is followed: reconcile, attach again; run; the
    deleted row's job released; run."""
    book = ctx.book(5)
    ctx.witness.knobs.faults = {"row-3": ["524"]}
    ctx.run("run (row-3 524)", book)
    append_rows(book, 6, 10)
    _kill_after(ctx, ["run", book], jobs=9)
    delete_rows(book, lambda r: r.label != "row-6")
    listed = ctx.cli("unclaimed (list)", "unclaimed", book)
    found = re.search(r"^unclaimed: job (\d+)", listed.out, re.M)
    waiting = [r for r in read_book(book) if r.description.startswith("UNKNOWN")]
    if found and waiting:
        what = f"{found.group(1)}={waiting[0].sheet_row}"
        ctx.note(f"attached job {found.group(1)} to {waiting[0].label} (UNKNOWN) by mistake")
        step = ctx.cli("unclaimed --attach (UNKNOWN row)", "unclaimed", book, "--attach", what)
        if "reconcile it first" in step.err:
            ctx.cli("reconcile (as told)", "reconcile", book)
            ctx.cli("unclaimed --attach again", "unclaimed", book, "--attach", what)
    else:
        ctx.note(f"nothing to attach: unclaimed job {bool(found)}, UNKNOWN row {bool(waiting)}")
    step = ctx.run("run", book)
    if follow_unclaimed(ctx, step, book, "its row was deleted after it was sent"):
        ctx.run("run again", book)
    return [book]


def attack_8f(ctx: Ctx) -> list[Path]:
    """A 20-row run is killed after 8 jobs, before its first save; row-1..row-3 are deleted by
    mistake; run: it stops, naming their jobs; the message is followed (each released: "rows
    deleted"); the three rows are put back at the top (Undo, or pasted again from the
    export); run. They are the same letters: not to be mailed again."""
    book = ctx.book(20)
    _kill_after(ctx, ["run", book], jobs=8)
    delete_rows(book, lambda r: r.label not in {"row-1", "row-2", "row-3"})
    step = ctx.run("run after deleting 3 rows", book)
    if not follow_unclaimed(ctx, step, book, "rows deleted"):
        ctx.note("the run did not stop on unclaimed jobs")
    add_rows(book, ["row-1", "row-2", "row-3"], at=2)
    ctx.run("run with the rows back", book)
    follow_holds(ctx, book, set(), "")  # notes rows held back; they are not new letters
    return [book]


def attack_8g(ctx: Ctx) -> list[Path]:
    """book.xlsx on a shared drive, used by two people, each with a state folder of their own.
    A's 40-row run is killed after 15 jobs, before a save; B runs it; the message is
    followed (A runs it once first); B runs it again."""
    book = ctx.book(40)
    b = ctx.person("B")
    _kill_after(ctx, ["run", book], jobs=15, delay=0.05, label="A: run (killed)")
    step = ctx.run("B: run", book, env=b)
    if "Ask them to run it" in step.err:
        ctx.note("followed the message: A runs it first")
        ctx.run("A: run", book)
    else:
        ctx.note("B's run was not stopped by A's unfinished run")
    ctx.run("B: run again", book, env=b)
    return [book]


def attack_8h(ctx: Ctx) -> list[Path]:
    """February: feb.xlsx (20 rows) is stopped with Ctrl-C after 18 jobs. March: mar.xlsx is
    made as a copy of feb.xlsx, its rows replaced by March's list (the same 20 customers,
    the same letter: February's values); run. Each message is followed: feb.xlsx moved into
    archive/; rows held back are March's new letters, so their jobs are released; run again.
    No March row may show a February job."""
    labels = [f"row-{n}" for n in range(1, 21)]
    feb = ctx.book(20, name="feb.xlsx")
    ctx.witness.knobs.post_delay = 0.05
    runner = ctx.start("feb: run (Ctrl-C)", "run", feb, "--concurrency", "1")
    ctx.wait_jobs(18, runner)
    ctx.interrupt(runner)
    ctx.witness.knobs.post_delay = 0.0
    ctx.next_day([feb], repeats=set(labels))
    mar = ctx.dir / "mar.xlsx"
    shutil.copyfile(feb, mar)
    delete_rows(mar, lambda r: False)
    add_rows(mar, labels)
    step = ctx.run("mar: run", mar)
    if "feb.xlsx is the same workbook" in step.err:
        (ctx.dir / "archive").mkdir()
        shutil.move(feb, ctx.dir / "archive" / "feb.xlsx")
        ctx.note("followed the message: feb.xlsx moved to archive/")
        step = ctx.run("mar: run again", mar)
    if follow_holds(ctx, mar, set(labels), "March's letters"):
        ctx.run("mar: create jobs again (as the message says)", mar)
    return [mar]


@dataclass(frozen=True)
class Attack:
    name: str
    title: str
    run: Callable[[Ctx], list[Path]]
    window: tuple[int, int] | None = None  # start only when the wall clock's second is in it
    must_mail: bool = False  # a row left without a job fails the attack too


WINDOW_2 = (46, 57)


def align_minute(window: tuple[int, int]) -> None:
    """Wait until the wall clock's second is within ``window`` (at most a minute)."""
    second = time.time() % 60
    if window[0] <= second <= window[1]:
        return
    wait = (window[0] - second) % 60
    log(f"    waiting {wait:.0f} s for second {window[0]} of the minute")
    time.sleep(wait)


ATTACKS = [
    Attack("1a-second-run", "1: run B started while run A sends (B's read slowed)", attack_1a),
    Attack("1b-reconcile-during-run", "1: reconcile started while a run sends", attack_1b),
    Attack(
        "2-min-age",
        "2: 524 late in a long run, job made 8 s later; reconcile --min-age 60; run",
        attack_2,
        WINDOW_2,
    ),
    Attack(
        "3a-crash-edit-before-save",
        "3: SIGKILL before the first save, edit a row, follow the message",
        attack_3a,
    ),
    Attack(
        "3b-crash-edit-after-save",
        "3: SIGKILL after a checkpoint save, edit a row, follow the message",
        attack_3b,
    ),
    Attack("4a-output-together", "4: run BOOK and run BOOK --output OUT at once", attack_4a),
    Attack("4b-rename", "4: SIGKILL, rename the book, run the new name", attack_4b_rename),
    Attack("4b-move", "4: SIGKILL, move the book to another folder, run it", attack_4b_move),
    Attack("4c-output-then-original", "4: finished --output run, then run the original", attack_4c),
    Attack("4d-killed-output", "4: killed --output run, then run the original", attack_4d),
    Attack(
        "4e-symlink-concurrent",
        "4: runs through a symlink and the real path at once",
        attack_4e_concurrent,
    ),
    Attack(
        "4e-symlink-then-real", "4: run through a symlink, then the real path", attack_4e_sequential
    ),
    Attack("5a-capped-listing", "5: listing capped at 50 jobs", attack_5a_capped),
    Attack("5b-paged-listing", "5: listing paged by 50", attack_5b_paged),
    Attack(
        "5c-short-signature",
        "5: listing cuts appSignature to 12 characters",
        attack_5c_short_signature,
    ),
    Attack("5d-clock-2-days", "5: client clock 2 days ahead of Click2Mail's", attack_5d_clock),
    Attack(
        "6-own-signature",
        "6: own appSignature, HTML 500, an older identical job exists (row-3 must get one job)",
        attack_6,
        must_mail=True,
    ),
    Attack("7a-cleared-job-id", "7: a Job ID cleared by hand in a Created row", attack_7a),
    Attack("7b-journal-deleted", "7: journal deleted during a run", attack_7b_deleted),
    Attack("7b-journal-truncated", "7: journal truncated during a run", attack_7b_truncated),
    Attack("7c-bad-journal-record", "7: a journal record missing a field", attack_7c_bad_record),
    Attack(
        "8a-daily-after-ctrl-c",
        "8: day 1 Ctrl-C; day 2 done rows deleted, a repeat letter added; follow the message",
        attack_8a,
    ),
    Attack(
        "8b-daily-export-output",
        "8: a fresh export.xlsx each day, run --output results-DAY.xlsx",
        attack_8b,
    ),
    Attack(
        "8c-copy-message-followed",
        "8: SIGKILL, a copy run, the copy moved out as told; later the copy run",
        attack_8c,
    ),
    Attack(
        "8d-own-signature-same-pass",
        "8: own appSignature, listing without rtnName; HTML 500 and 524; one reconcile pass",
        attack_8d,
    ),
    Attack(
        "8e-attach-to-unknown-row",
        "8: a deleted row's job attached to an UNKNOWN row; follow each message",
        attack_8e,
    ),
    Attack(
        "8f-release-then-row-back",
        "8: SIGKILL, rows deleted, their jobs released, the rows put back; run",
        attack_8f,
    ),
    Attack(
        "8g-shared-workbook-two-people",
        "8: two people (two state folders); A's run killed, B runs; follow the message",
        attack_8g,
    ),
    Attack(
        "8h-next-month-copy",
        "8: next month's book copied from a Ctrl-C'd one, same customers; follow each message",
        attack_8h,
    ),
]


def step_notes(steps: list[Step]) -> str:
    parts = []
    for s in steps:
        if s.label.startswith("unclaimed (count)"):
            continue
        code = "timeout" if s.code is None else ("killed" if s.code < 0 else str(s.code))
        text = f"{s.label} → {code}"
        totals = [
            line.strip()
            for line in s.out.splitlines()
            if line.startswith(("Totals:", "Reconciled ", "Nothing to reconcile"))
        ]
        if totals:
            text += f" [{re.sub(r' in [0-9.]+ s$', '', totals[-1].removeprefix('Totals: '))}]"
        err = s.err.strip()
        if err:
            trace = " (traceback)" if "Traceback (most recent call last)" in err else ""
            text += f"{trace}: “{_tail(err, 2, 220)}”"
        parts.append(text)
    return "; ".join(parts)


def left_without_a_job(ctx: Ctx, books: list[Path]) -> list[str]:
    """Notes naming the rows that end with no job at the witness, or UNKNOWN although their
    job exists, and what the first of each says."""
    shown = [r for book in books for r in read_book(book)]
    notes = []
    for what, rows in (
        ("left without a job", [r for r in shown if not ctx.witness.jobs_for(r.label)]),
        (
            "still UNKNOWN with a job at the witness",
            [
                r
                for r in shown
                if r.description.startswith("UNKNOWN") and ctx.witness.jobs_for(r.label)
            ],
        ),
    ):
        if rows:
            labels = sorted({r.label for r in rows}, key=lambda t: (len(t), t))
            names = f"{len(labels)} row(s): " + ", ".join(labels)
            notes.append(
                f"{what}: {names[:120]} ({rows[0].label} says: {rows[0].description[:160]})"
            )
    return notes


def run_attack(attack: Attack, root: Path, *, unclaimed: bool) -> Result:
    started = time.monotonic()
    log(f"== {attack.name}: {attack.title}")
    with Witness() as witness:
        ctx = Ctx(root, attack.name, unclaimed=unclaimed, witness=witness)
        try:
            books = attack.run(ctx)
            measured = assess(ctx, books)
        except Exception as exc:
            ctx.note(f"HARNESS ERROR {type(exc).__name__}: {exc}")
            measured = (0, witness.made(), -1, -1, -1, -1)
        notes = step_notes(ctx.steps)
        with contextlib.suppress(Exception):
            ctx.notes += left_without_a_job(ctx, books)
        if ctx.notes:
            notes += ". " + "; ".join(ctx.notes)
    rows, made, twice, lost, wrong, without = measured
    result = Result(
        attack.name,
        attack.title,
        rows,
        made,
        twice,
        lost,
        wrong,
        without,
        notes,
        time.monotonic() - started,
        attack.must_mail,
    )
    log(
        f"   rows {rows}, jobs {made}, twice {twice}, lost {lost}, wrong {wrong},"
        f" without a job {without} ({result.seconds:.0f} s)"
    )
    return result


def schedule(chosen: list[Attack]) -> Iterator[Attack]:
    """Attacks in order, except that one with a clock window runs as soon as the clock is in
    it (so attack 2 rarely waits for its second of the minute)."""
    pending = list(chosen)
    while pending:
        second = time.time() % 60
        ready = [a for a in pending if a.window and a.window[0] <= second <= a.window[1]]
        pick = ready[0] if ready else next((a for a in pending if a.window is None), pending[0])
        pending.remove(pick)
        yield pick


def _without(result: Result) -> str:
    """Rows left without a job: information, except where the attack requires them mailed."""
    return f"**{result.without}** (must be 0)" if result.must_mail else str(result.without)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(results: list[Result], where: str) -> str:
    lines = [
        "| attack | what | rows | jobs made | rows mailed twice | ids lost |"
        " rows wrongly marked created | rows left without a job (info) | notes: exit codes,"
        " last stderr lines |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {_cell(r.title)} | {r.rows} | {r.made} | **{r.twice}** |"
            f" **{r.lost}** | **{r.wrong}** | {_without(r)} | {_cell(r.notes)} |"
        )
    head = [
        "## Attacks around a run: duplicates, lost ids, rows wrongly marked created",
        "",
        f"Code under test: `{where}`. Each attack runs `xl-mailer` as subprocesses against a"
        " witness server of its own that counts the jobs each row (`rtnName`) got; see"
        " `bench/attacks.py` for what each attack does. Every bold number should be 0.",
        "",
    ]
    return "\n".join(head + lines) + "\n"


def probe(env: dict[str, str]) -> tuple[str, bool]:
    """Where ``xl_mailer`` is imported from, and whether its CLI has ``unclaimed``."""
    # from a neutral folder, as the attacks run it: ``python -c`` looks in its folder first
    where = subprocess.run(  # noqa: S603
        [PYTHON, "-c", "import xl_mailer; print(xl_mailer.__file__)"],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout.strip()
    helped = subprocess.run(  # noqa: S603
        [PYTHON, "-m", "xl_mailer.cli", "--help"],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return where, "unclaimed" in helped.stdout + helped.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run attacks whose name starts with NAME (repeatable), e.g. 4 or 5a",
    )
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument("--list", action="store_true", help="list the attacks and stop")
    args = parser.parse_args(argv)
    if args.list:
        for a in ATTACKS:
            print(f"{a.name:28} {a.title}")
        return 0
    chosen = [a for a in ATTACKS if not args.only or any(a.name.startswith(o) for o in args.only)]
    if not chosen:
        parser.error(f"no attack matches {args.only}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("C2M_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    where, unclaimed = probe(env)
    log(
        f"xl_mailer imported from {where or '(import failed)'};"
        f" 'xl-mailer unclaimed' {'exists' if unclaimed else 'does not exist'}"
    )
    root = Path(tempfile.mkdtemp(prefix="xlm-attacks-"))
    results: dict[str, Result] = {}
    try:
        for attack in schedule(chosen):
            results[attack.name] = run_attack(attack, root, unclaimed=unclaimed)
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    ordered = [results[a.name] for a in chosen]
    text = table(ordered, where).replace(str(root), "$TMP")
    command = "python bench/attacks.py" + (f" --markdown {args.markdown}" if args.markdown else "")
    text += (
        f"\nRegenerate: `{command}` (about two and a half minutes).\n\nMeasured"
        f" {dt.date.today().isoformat()} on {platform.platform()}, Python"
        f" {platform.python_version()}, {os.cpu_count()} cores.\n"
    )
    print(text)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        write_attacks(args.markdown, text)
        log(f"wrote {args.markdown}")
    bad = [r for r in ordered if r.failed]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
