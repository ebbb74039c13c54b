"""The embedded Click2Mail sandbox: a real HTTP server on 127.0.0.1 speaking the documented API.

Staff practise on it, ``xl-mailer demo`` runs against it, and tests and
benchmarks use it over real HTTP. It checks Basic auth, validates job
parameters against the same catalog as xl-mailer, answers with the documented
return codes and texts, and has switches for latency and for faults.

Faults (applied to every ``fault_every``-th ``POST /jobs``, counting from 1):
  timeout    make the job, then wait ``fault_seconds`` before answering
  drop       make the job, then close the connection without an answer
  html500    make nothing, answer 500 with an HTML page
  gateway524 make the job, answer 524 with an HTML page (Cloudflare's timeout)
  malformed  make the job, answer 201 with broken XML
  throttle   make nothing, answer 429 with ``Retry-After: 1``
  password   the account's password stops working from this request on (401)
"""

from __future__ import annotations

import base64
import datetime as dt
import email.parser
import email.policy
import hmac
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from xl_mailer.click2mail import xmlanswers
from xl_mailer.core.catalog import Catalog, default_catalog
from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.core.returncodes import documented

FAULTS = ("timeout", "drop", "html500", "gateway524", "malformed", "throttle", "password")
USERNAME = "sandbox"
PASSWORD = "sandbox-password"  # noqa: S105 - the sandbox's public practice account
PREFIX = "/molpro"
MAX_FUTURE_DAYS = 90
MAX_QUANTITY = 5000
NOT_AUTHORIZED = frozenset({"Brochure 11 x 8.5"})
"""Products the sandbox account may not order: they pass the catalog, the server refuses them."""

_NO_ENVELOPE_WORDS = ("Postcard", "Self Mailer", "Rack Card")
_RETURN_ADDRESS = (
    "rtnName",
    "rtnOrganization",
    "rtnaddress1",
    "rtnaddress2",
    "rtnCity",
    "rtnState",
    "rtnZip",
)


@dataclass
class SandboxConfig:
    """Switches of a sandbox: account, latency and fault."""

    username: str = USERNAME
    password: str = PASSWORD
    latency: float = 0.0
    fault: str | None = None
    fault_every: int = 1
    fault_seconds: float = 5.0
    catalog: Catalog = field(default_factory=default_catalog)

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; choose from {', '.join(FAULTS)}")
        if self.fault_every < 1:
            raise ValueError("fault_every must be at least 1")


@dataclass
class Job:
    id: int
    params: dict[str, str]
    created: dt.datetime  # UTC, naive, to the second
    state: tuple[int, str] = (9, "EDITING")


class SandboxState:
    """Everything the sandbox knows; every access holds the lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.documents: dict[int, dict[str, str]] = {
            1001: {"documentName": "Welcome letter", "documentClass": "Letter 8.5 x 11"},
            1002: {"documentName": "Spring postcard", "documentClass": "Postcard 4.25 x 6"},
            1003: {
                "documentName": "Certified notice",
                "documentClass": "Certified Letter 8.5 x 11",
            },
        }
        self.address_lists: dict[int, dict[str, Any]] = {
            2001: {"name": "US customers", "international": False, "count": 120, "polled": True},
            2002: {
                "name": "Overseas customers",
                "international": True,
                "count": 35,
                "polled": True,
            },
            2003: {"name": "Board members", "international": False, "count": 9, "polled": True},
        }
        self.projects: set[int] = {3001}
        self.jobs: dict[int, Job] = {}
        self.create_requests = 0
        self.connections = 0  # TCP connections accepted: keep-alive keeps this small
        self.password_revoked = False
        self._next_id = 245985

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id


def _today() -> dt.date:
    return dt.date.today()


def check_job(
    params: Mapping[str, str], state: SandboxState, catalog: Catalog, today: dt.date
) -> tuple[int, int, str] | None:
    """The documented refusal for a create, as (HTTP, status, description), or None to create."""
    if any(name not in params for name in REQUIRED_PARAMS):
        return documented("One of the required parameters is missing.")
    date_text = params.get("mailingDate")
    if date_text is not None:
        try:
            date = dt.datetime.strptime(date_text, "%Y%m%d").date()
        except ValueError:
            return documented(
                "Could not parse date. Please add mailingDate parameter in form 'yyyymmdd'."
            )
        if date <= today:
            return documented("Mailing date should be greater than current date.")
        if date > today + dt.timedelta(days=MAX_FUTURE_DAYS):
            return 400, 9, f"Future date greater than {MAX_FUTURE_DAYS} days"
    product = params["documentClass"]
    if product not in catalog.classes or product in NOT_AUTHORIZED:
        return documented("Product not authorized for this customer")
    if catalog.check(params):
        return 400, 9, "Invalid product options. Sku not found."
    no_envelope = any(word in product for word in _NO_ENVELOPE_WORDS)
    if params.get("endorsement") and no_envelope:
        return documented("Endorsements not valid for selected product")
    if product.startswith("Certified") and not (
        params.get("rtnName") or params.get("rtnOrganization")
    ):
        return documented(
            "Return address Name OR Return address Organization is required for selected product."
        )
    if product.startswith("Reply") and any(params.get(k) for k in _RETURN_ADDRESS):
        return documented("Return Address not valid for selected product")
    quantity = params.get("quantity")
    if quantity is not None and (not quantity.isdigit() or int(quantity) > MAX_QUANTITY):
        return 400, 9, f"Maximum Quantity for selected product is {MAX_QUANTITY}"
    if not _known(params["documentId"], state.documents):
        return documented("DocumentId not found")
    if "jobDocumentId" in params and not _known(params["jobDocumentId"], state.documents):
        return documented("Job DocumentId not found")
    if "jobAddressId" in params and not _known(params["jobAddressId"], state.address_lists):
        return documented("Job Address list Id not found")
    if not _known(params["addressId"], state.address_lists):
        return documented("Address List ID not found")
    if "projectId" in params and not _known(params["projectId"], state.projects):
        return documented("Project does not exist")
    if state.address_lists[int(params["addressId"])]["international"] and no_envelope:
        return documented("Document Type cannot Mail Internationally")
    if product.startswith("Reply") and quantity is None:
        return documented("Quantity required for selected product")
    return None


def _known(text: str, table: Mapping[int, object] | set[int]) -> bool:
    return text.isdigit() and int(text) in table


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

    # -- plumbing --------------------------------------------------------

    def _reply(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/xml",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _xml(self, status: int, root: str, fields: Mapping[str, object], **kwargs: Any) -> None:
        self._reply(status, xmlanswers.build(root, fields, **kwargs))

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

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

    def _unauthorized(self) -> None:
        self._reply(
            401,
            b"Unauthorized",
            "text/plain",
            {"WWW-Authenticate": 'Basic realm="Click2Mail sandbox"'},
        )

    def _route(self, method: str) -> None:
        self._read_body = self._body()
        parts = urlsplit(self.path)
        if self.server.config.latency:
            time.sleep(self.server.config.latency)
        if not parts.path.startswith(PREFIX + "/"):
            self._reply(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")
            return
        path = parts.path[len(PREFIX) :].rstrip("/")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        segments = path.strip("/").split("/")
        if method == "POST" and segments == ["jobs"]:
            self._create_job(query)  # its faults may apply before authentication
            return
        if not self._authorized():
            self._unauthorized()
            return
        handler = {
            ("GET", "credit"): self._credit,
            ("GET", "jobs"): self._list_jobs,
            ("POST", "documents"): self._upload_document,
            ("POST", "addressLists"): self._create_address_list,
        }.get((method, segments[0]) if len(segments) == 1 else ("", ""))
        if handler is not None:
            handler(query)
        elif len(segments) == 2 and segments[0] == "jobs" and method == "GET":
            self._job_status(segments[1])
        elif (
            len(segments) == 3
            and segments[0] == "jobs"
            and segments[2] == "submit"
            and method == "POST"
        ):
            self._submit(segments[1], query)
        elif len(segments) == 2 and segments[0] == "addressLists" and method == "GET":
            self._address_list(segments[1])
        else:
            self._reply(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _form(self, query: Mapping[str, str]) -> dict[str, str]:
        form = dict(query)
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/x-www-form-urlencoded"):
            form.update(parse_qsl(self._read_body.decode("utf-8"), keep_blank_values=True))
        return form

    # -- resources -------------------------------------------------------

    def _credit(self, query: Mapping[str, str]) -> None:
        self._xml(200, "credit", {"balance": "1000.00", "allowNegative": "false"})

    def _create_job(self, query: Mapping[str, str]) -> None:
        server, state, config = self.server, self.server.state, self.server.config
        with state.lock:
            state.create_requests += 1
            number = state.create_requests
        fault = config.fault if config.fault and number % config.fault_every == 0 else None
        if fault == "password":
            state.password_revoked = True
        if not self._authorized():
            self._unauthorized()
            return
        if fault == "throttle":
            self._reply(429, b"Too Many Requests", "text/plain", {"Retry-After": "1"})
            return
        if fault == "html500":
            self._reply(
                500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html"
            )
            return
        params = self._form(query)
        refusal = check_job(params, state, config.catalog, server.today())
        if refusal is not None:
            http, status, text = refusal
            self._xml(http, "job", {"id": "", "status": status, "description": text})
            return
        with state.lock:
            now = dt.datetime.now(dt.UTC).time().replace(microsecond=0, tzinfo=None)
            job = Job(state.new_id(), params, dt.datetime.combine(server.today(), now))
            state.jobs[job.id] = job
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault == "timeout":
            time.sleep(config.fault_seconds)
        if fault == "gateway524":
            self._reply(
                524, b"<html><body>Error 524: A timeout occurred</body></html>", "text/html"
            )
            return
        if fault == "malformed":
            self._reply(201, b"<?xml version='1.0'?><job><id>" + str(job.id).encode(), "")
            return
        self._xml(
            201,
            "job",
            {
                "id": job.id,
                "status": 0,
                "description": "Created",
                "statusUrl": f"{server.base_url}/jobs/{job.id}",
            },
        )

    def _job_status(self, text: str) -> None:
        job = self.server.state.jobs.get(int(text)) if text.isdigit() else None
        if job is None:
            self._xml(200, "job", {"id": text, "status": 1, "description": "Job ID not found"})
            return
        status, name = job.state
        self._xml(200, "job", {"id": job.id, "status": status, "description": name})

    def _submit(self, text: str, query: Mapping[str, str]) -> None:
        form = self._form(query)
        state = self.server.state
        with state.lock:
            job = state.jobs.get(int(text)) if text.isdigit() else None
            if job is None:
                self._xml(200, "job", {"id": text, "status": 1, "description": "Job ID not found"})
                return
            if not form.get("billingType"):
                self._xml(
                    400,
                    "job",
                    {
                        "id": job.id,
                        "status": 9,
                        "description": "One of the required parameters is missing.",
                    },
                )
                return
            if job.state[0] != 9:
                self._xml(
                    400,
                    "job",
                    {
                        "id": job.id,
                        "status": 9,
                        "description": f"Job with Id {job.id} is in impermissible state",
                    },
                )
                return
            job.state = (4, "AWAITING_PRODUCTION")
        self._xml(200, "job", {"id": job.id, "status": 0, "description": "Success"})

    def _list_jobs(self, query: Mapping[str, str]) -> None:
        try:
            start = dt.date.fromisoformat(query.get("startDate", ""))
        except ValueError:
            self._xml(
                400,
                "jobs",
                {"status": 9, "description": "Could not parse startDate; use yyyy-MM-dd"},
            )
            return
        with self.server.state.lock:
            jobs = [job for job in self.server.state.jobs.values() if job.created.date() >= start]
        items = [
            {
                "id": job.id,
                "status": job.state[0],
                "description": job.state[1],
                "createdDate": job.created.isoformat(timespec="seconds") + "Z",
                **job.params,
            }
            for job in jobs
        ]
        self._xml(200, "jobs", {}, items=items, item_tag="job")

    def _upload_document(self, query: Mapping[str, str]) -> None:
        kind = self.headers.get("Content-Type", "")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + kind.encode("latin-1") + b"\r\n\r\n" + self._read_body
        )
        fields: dict[str, str] = {}
        has_file = False
        if message.is_multipart():
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name == "file":
                    has_file = bool(part.get_payload(decode=True))
                elif isinstance(name, str):
                    fields[name] = str(part.get_content()).strip()
        fields.update(query)
        if not has_file or not fields.get("documentClass") or not fields.get("documentName"):
            self._xml(
                400,
                "document",
                {
                    "id": "",
                    "status": 9,
                    "description": "One of the required parameters is missing.",
                },
            )
            return
        with self.server.state.lock:
            doc_id = self.server.state.new_id()
            self.server.state.documents[doc_id] = fields
        self._xml(201, "document", {"id": doc_id, "status": 0, "description": "Success"})

    def _create_address_list(self, query: Mapping[str, str]) -> None:
        try:
            addresses = xmlanswers.records(self._read_body, "address")
            header = xmlanswers.records(self._read_body, "addressList")
        except xmlanswers.NotADocument as exc:
            self._xml(400, "addressList", {"id": "", "status": 9, "description": str(exc)})
            return
        name = header[0].get("addressListName", "") if header else ""
        international = any(
            (a.get("Country") or a.get("Country_non-US") or "").strip()
            not in ("", "US", "USA", "United States")
            for a in addresses
        )
        with self.server.state.lock:
            list_id = self.server.state.new_id()
            self.server.state.address_lists[list_id] = {
                "name": name,
                "international": international,
                "count": len(addresses),
                "polled": False,
            }
        self._xml(201, "addressList", {"id": list_id, "status": 0, "description": "Uploaded"})

    def _address_list(self, text: str) -> None:
        state = self.server.state
        with state.lock:
            entry = state.address_lists.get(int(text)) if text.isdigit() else None
            if entry is not None:
                entry["polled"] = True
        if entry is None:
            self._xml(
                200,
                "addressList",
                {"id": text, "status": 9, "description": "Address List ID not found"},
            )
            return
        self._xml(200, "addressList", {"id": text, "status": 3, "description": "CASS Standardized"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up (a timeout, a killed runner) is normal here, not an error."""
        if self.verbose:
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def __init__(self, address: tuple[str, int], config: SandboxConfig, verbose: bool) -> None:
        super().__init__(address, _Handler)
        self.config = config
        self.state = SandboxState()
        self.verbose = verbose
        self.today = _today
        host, port = str(self.server_address[0]), int(self.server_address[1])
        self.base_url = f"http://{host}:{port}{PREFIX}"


class Sandbox:
    """A running sandbox. Use as a context manager, or ``start()`` and ``stop()``."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
    ) -> None:
        self.config = config or SandboxConfig()
        self._server = _Server((host, port), self.config, verbose)
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
