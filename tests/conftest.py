from __future__ import annotations

import os

# xlwings' remote engine (used only by the tests, to drive the ribbon's Python code the way
# the VBA client would) is licence-gated; its noncommercial key is accepted for noncommercial
# use. It must be set before xlwings is imported. The desktop path needs no key.
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from openpyxl import Workbook

from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.click2mail.readings import JobCost, JobState
from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.sandbox import Sandbox, SandboxConfig

DATA = Path(__file__).parent / "data"

LETTER = {
    "documentClass": "Letter 8.5 x 11",
    "layout": "Address on Separate Page",
    "productionTime": "Next Day",
    "envelope": "#10 Double Window",
    "color": "Black and White",
    "paperType": "White 24#",
    "printOption": "Printing One side",
    "documentId": 1001,
    "addressId": 2001,
}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's Click2Mail settings or keyring."""
    for name in ("C2M_ENDPOINT", "C2M_USERNAME", "C2M_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


@pytest.fixture(autouse=True)
def _state_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Journals, locks and the path index of each test in a folder of its own."""
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XL_MAILER_STATE_DIR", str(folder))
    return folder


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as box:
        yield box


@pytest.fixture
def sandbox_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv("C2M_ENDPOINT", sandbox.url)
    monkeypatch.setenv("C2M_USERNAME", sandbox.config.username)
    monkeypatch.setenv("C2M_PASSWORD", sandbox.config.password)
    return sandbox


def still_editing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read of a job's state or cost says Editing, as Click2Mail's may for a while
    after a submit it took (a second POST is answered 400 / 9 and counted by the sandbox)."""
    cost = Mailing.job_cost

    def stale_cost(self: Mailing, job: int) -> JobCost:
        read = cost(self, job)
        return JobCost(read.job_id, read.amount, read.tax, JobState(job, None, "Editing"))

    monkeypatch.setattr(Mailing, "job_cost", stale_cost)
    monkeypatch.setattr(Mailing, "job_state", lambda self, job: JobState(job, None, "Editing"))


def later_clock(minutes: float) -> dt.datetime:
    """The clock (naive UTC) ``minutes`` from now."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=minutes)


def start_sandbox(**config: object) -> Sandbox:
    return Sandbox(SandboxConfig(**config)).start()  # type: ignore[arg-type]


def letter(**changes: object) -> dict[str, object]:
    row = dict(LETTER)
    row.update(changes)
    return row


def write_book(
    path: Path,
    rows: Sequence[dict[str, object]],
    *,
    headers: Sequence[str] = REQUIRED_PARAMS,
    above: Sequence[Sequence[object]] = (),
    sheet: str = "Jobs",
    extra: dict[str, object] | None = None,
) -> Path:
    """A workbook with optional rows above the header, then one row per mapping."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for line in above:
        ws.append(list(line))
    ws.append(list(headers))
    for row in rows:
        ws.append([row.get(h) for h in headers])
    for ref, value in (extra or {}).items():
        ws[ref] = value
    book.save(path)
    return path


class Canned:
    """A tiny HTTP server that answers every request with one canned response, but for the
    paths in ``routes``, which get their own (status, body)."""

    def __init__(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        routes: dict[str, tuple[int, bytes]] | None = None,
    ) -> None:
        self.status, self.body, self.headers = status, body, headers or {}
        self.routes = routes or {}
        self.requests: list[tuple[str, str]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                canned.requests.append((self.command, self.path))
                path = self.path.split("?", 1)[0].removeprefix("/molpro")
                status, body = canned.routes.get(path, (canned.status, canned.body))
                self.send_response(status)
                for k, v in canned.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/molpro"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canned() -> Iterator[type[Canned]]:
    servers: list[Canned] = []

    class Factory(Canned):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            servers.append(self)

    yield Factory
    for server in servers:
        server.close()


TOMORROW = dt.date.today() + dt.timedelta(days=1)
