"""The embedded Click2Mail sandbox: a real HTTP server on 127.0.0.1 speaking the documented API.

Staff practise on it, ``xl-mailer demo`` runs against it, and tests and benchmarks use it over
real HTTP. Every call needs Basic auth (``sandbox`` / ``sandbox-password``; else 401). Answers
are XML (``<?xml ... standalone="yes"?>``) with ``<id>``, ``<status>``, ``<description>``; [U]
marks a shape or text API.md does not give, chosen by the sandbox.

Calls (the fault name of each in brackets) and their answers (HTTP / status / description):

``POST /jobs`` [create]: 201 / 0 / ``Created`` with ``<statusUrl>``, or the documented refusals
  of API.md section 2 (jobs.check_job). A list not ready yet (0, 1) or in error (9) is refused
  200 / 9 ``Address list not valid for selected Product`` (a sandbox decision [U]).
``POST /documents`` [upload], multipart ``documentName``, ``documentFormat``, ``documentClass``
  and file part ``file``: 201 ``<document><id>N</id><status>0</status><description>Success``;
  400 / 9 ``One of the required parameters is missing.`` (a field or the file part absent),
  ``Document format not supported.`` (not one of documents.FORMATS), ``Document is empty.``,
  ``Document is not a valid PDF.`` (PDF not starting ``%PDF-``) [U texts]. The id is usable as
  ``documentId``; a PDF's pages are counted for the cost.
``POST /addressLists`` [address_list], XML body of API.md (mapping 1 or 2):
  201 ``<addressList><id>N</id><status>0</status><description>Uploaded``; 400 / 9 for an
  unreadable body, a missing ``addressListName`` or ``addressMappingId`` (``One of the required
  parameters is missing.``) or a mapping other than 1 or 2 (``Invalid addressMappingId.`` [U]).
``GET /addressLists/{id}`` [poll]: 200 ``<addressList><id/><status/><description/>``; each read
  moves a new list on: ``1 Mapped``, then (after ``address_list_polls`` reads) ``3 CASS
  Standardized`` (ready: usable as ``addressId``) or ``9 Error`` when no address has Address1,
  the list is empty, or its name contains ``sandbox-error``. Unknown id: 200 / 9 ``Address List
  ID not found``. Seeded lists 2001 (120 US addresses), 2002 (35, abroad), 2003 (9) are ready.
``GET /jobs/{id}`` [status]: 200 ``<job><id/><status>code</status><description>NAME``, the
  job's state: 9 EDITING, then after submit 4 AWAITING_PRODUCTION, 5 IN_PRODUCTION, 6 MAILED,
  one step per ``seconds_per_state`` of the sandbox clock (5 and 6 are [U] codes; read the
  name). Unknown job (here and below): 200 / 1 ``Job ID not found``.
``GET /jobs/{id}/cost`` [cost]: 200 ``<job><id/><status>code</status><description>NAME
  </description><cost>12.34</cost><totalTax>0.00</totalTax></job>``: status and description
  are the job's state, as above (API.md gotcha 1); cost = pieces (the list's count, or
  ``quantity``) x the product's practice price per piece (money.PRICES, pages and colour
  counted); totalTax = cost x ``tax_rate``; the total charged is cost + totalTax.
``POST /jobs/{id}/submit`` [submit], ``billingType`` (User Credit, Invoice, ACH, Credit Card):
  200 ``<job><id/><status>0</status><description>Success``; 200 / 2 ``Payment not authorized``
  (Credit Card: the practice account has none) or ``Payment not authorized: insufficient
  credit`` (User Credit over the balance) [U texts]; 400 / 9 ``Job with Id N is in
  impermissible state`` (already submitted); 400 / 9 ``One of the required parameters is
  missing.`` or ``Invalid billingType.`` [U]. User Credit lowers ``GET /credit`` by the total.
``POST /jobs/{id}/proof`` [proof]: 201 ``<proof><id>proofId</id><status>0</status>
  <description>Success</description></proof>`` (root name [U]; unknown job: ``<proof>`` 200/1).
``GET /jobs/{id}/proof/{proofId}`` [proof_pdf]: 200 ``application/pdf``, a one-page PDF
  (starts ``%PDF-``); unknown proof: 200 ``<proof>`` / 1 ``Proof ID not found`` [U].
``GET /jobs/{id}/tracking?trackingType=IMB`` [tracking], shape [U]: 200 ``<tracking><id/>
  <status>0</status><description>Success</description><trackingType>IMB</trackingType>
  <totalPieces>250</totalPieces><scannedPieces>212</scannedPieces><latestStatus>Arrived at
  Recipient PO</latestStatus><latestDateTime>2026-12-02T10:00:00Z</latestDateTime>
  <scan><status/><pieces/><dateTime/></scan>...</tracking>``: before MAILED no ``<scan>`` and
  0 scanned; from MAILED one scan step per period (mailing.SCANS: 50 % Origin Acceptance, 85 %
  Arrived at Recipient PO, 100 % Out for Delivery). No trackingType: 400 / 9 missing
  parameter; another type: 400 / 9 ``Invalid trackingType.`` [U].
``GET /jobs?startDate=yyyy-MM-dd`` [list_jobs]: 200 ``<jobs><job>...</job></jobs>``, each job
  with id, status, description, createdDate and its parameters.
``GET /credit`` [credit]: 200 ``<credit><balance>1000.00</balance><allowNegative>false``.

Faults (``SandboxConfig.fault``), on every ``fault_every``-th request of the call named by
``fault_on`` (default ``create``), counting that call's requests from 1:
  timeout    do the call, then wait ``fault_seconds`` before answering
  drop       do the call (a submit submits), then close the connection without an answer
  html500    do nothing, answer 500 with an HTML page
  gateway524 do the call, answer 524 with an HTML page (Cloudflare's timeout)
  malformed  do the call, answer its status with its body cut off after ``</id>``
  throttle   do nothing, answer 429 with ``Retry-After: 1``
  password   the account's password stops working from this request on (401)

Counters and the clock for tests are on SandboxState (state.py): ``requests``, ``submits``,
``uploads``, ``address_lists``, ``proofs``, ``credit``, and ``clock`` (pass a ManualClock to
``Sandbox(clock=...)`` and ``advance()`` it).
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from xl_mailer.sandbox import addresses, documents, jobs, mailing, money
from xl_mailer.sandbox.answers import NOT_FOUND_PAGE, Answer, Request
from xl_mailer.sandbox.state import (
    FAULTS,
    PASSWORD,
    USERNAME,
    SandboxConfig,
    SandboxState,
)

__all__ = ["FAULTS", "PASSWORD", "USERNAME", "Sandbox", "SandboxConfig", "SandboxState"]

PREFIX = "/molpro"
Endpoint = Callable[[Request], Answer]
ROUTES: dict[tuple[str, tuple[str, ...]], tuple[str, Endpoint]] = {
    ("POST", ("jobs",)): ("create", jobs.create),
    ("GET", ("jobs",)): ("list_jobs", jobs.list_jobs),
    ("GET", ("credit",)): ("credit", money.credit),
    ("POST", ("documents",)): ("upload", documents.upload),
    ("POST", ("addressLists",)): ("address_list", addresses.create),
    ("GET", ("addressLists", "*")): ("poll", addresses.poll),
    ("GET", ("jobs", "*")): ("status", jobs.status),
    ("GET", ("jobs", "*", "cost")): ("cost", money.cost),
    ("POST", ("jobs", "*", "submit")): ("submit", money.submit),
    ("POST", ("jobs", "*", "proof")): ("proof", mailing.make_proof),
    ("GET", ("jobs", "*", "proof", "*")): ("proof_pdf", mailing.proof_file),
    ("GET", ("jobs", "*", "tracking")): ("tracking", mailing.tracking),
}
"""(method, path segments with ``*`` for an id) -> (the call's fault name, its endpoint)."""
_HTML500 = b"<html><body><h1>500 Internal Server Error</h1></body></html>"
_HTML524 = b"<html><body>Error 524: A timeout occurred</body></html>"


def _today() -> dt.date:
    return dt.date.today()


def _match(method: str, segments: list[str]) -> tuple[str, Endpoint, tuple[str, ...]] | None:
    """The call a request path names, its endpoint and the ids in its path."""
    for (verb, pattern), (call, endpoint) in ROUTES.items():
        if (
            verb == method
            and len(pattern) == len(segments)
            and all(p in ("*", s) for p, s in zip(pattern, segments, strict=True))
        ):
            ids = tuple(s for p, s in zip(pattern, segments, strict=True) if p == "*")
            return call, endpoint, ids
    return None


def _cut(body: bytes) -> bytes:
    """A body cut off: after its first ``</id>`` (the id is there, the document is broken)."""
    end = body.find(b"</id>")
    return body[:end] if end >= 0 else body[: len(body) // 2]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK stall every keep-alive answer by 40 ms
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.state.lock:
            self.server.state.connections += 1

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _authorized(self) -> bool:
        config = self.server.config
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        ok = hmac.compare_digest(user.encode(), config.username.encode()) and hmac.compare_digest(
            password.encode(), config.password.encode()
        )
        return ok and not self.server.state.password_revoked

    def _route(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        server, state, config = self.server, self.server.state, self.server.config
        if config.latency:
            time.sleep(config.latency)
        found = None
        if parts.path.startswith(PREFIX + "/"):
            found = _match(method, parts.path[len(PREFIX) :].strip("/").split("/"))
        if found is None:
            self._send(Answer(404, NOT_FOUND_PAGE, "text/html"))
            return
        call, endpoint, ids = found
        with state.lock:
            state.requests[call] += 1
            number = state.requests[call]
            if call == "create":
                state.create_requests += 1
        fault = None
        if config.fault and config.fault_on == call and number % config.fault_every == 0:
            fault = config.fault
        if fault == "password":
            with state.lock:
                state.password_revoked = True
        if not self._authorized():
            headers = {"WWW-Authenticate": 'Basic realm="Click2Mail sandbox"'}
            self._send(Answer(401, b"Unauthorized", "text/plain", headers))
            return
        if fault == "throttle":
            self._send(Answer(429, b"Too Many Requests", "text/plain", {"Retry-After": "1"}))
            return
        if fault == "html500":
            self._send(Answer(500, _HTML500, "text/html"))
            return
        form = dict(parse_qsl(parts.query, keep_blank_values=True))
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/x-www-form-urlencoded"):
            form.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        request = Request(state, config, server.base_url, server.today(), form, body, kind, ids)
        answer = endpoint(request)
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault == "timeout":
            time.sleep(config.fault_seconds)
        if fault == "gateway524":
            answer = Answer(524, _HTML524, "text/html")
        if fault == "malformed":
            answer = Answer(answer.status, _cut(answer.body), answer.content_type)
        self._send(answer)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up (a timeout, a killed runner) is normal here, not an error."""
        if self.verbose:
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def __init__(
        self,
        address: tuple[str, int],
        config: SandboxConfig,
        verbose: bool,
        clock: Callable[[], float],
    ) -> None:
        super().__init__(address, _Handler)
        self.config = config
        self.state = SandboxState(clock=clock, credit=config.credit)
        self.verbose = verbose
        self.today = _today
        host, port = str(self.server_address[0]), int(self.server_address[1])
        self.base_url = f"http://{host}:{port}{PREFIX}"


class Sandbox:
    """A running sandbox. Use as a context manager, or ``start()`` and ``stop()``.

    ``clock`` (seconds since the epoch, like ``time.time``) drives the job life and scans;
    pass a ``ManualClock`` to move it with ``advance()`` in tests.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or SandboxConfig()
        self._server = _Server((host, port), self.config, verbose, clock)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL up to and including ``/molpro``."""
        return self._server.base_url

    @property
    def state(self) -> SandboxState:
        return self._server.state

    def set_today(self, today: dt.date) -> None:
        """Fix the sandbox's date (tests of mailingDate rules)."""
        self._server.today = lambda: today

    def start(self) -> Sandbox:
        """Serve in a background thread; starting a running sandbox does nothing."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="c2m-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
