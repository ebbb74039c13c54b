"""The one Click2Mail client: a keep-alive session, Basic auth, XML answers, careful retries.

Creates are never retried once the request may have left this machine:
Click2Mail has no idempotency keys, so a second POST is a second mailing.
Only failures that provably sent nothing (refused connection, DNS, TLS
handshake, connect timeout) and 429 answers are retried. What an answer means
is decided by one table (``verdicts.TABLE``) for the create and every GET.

The transport (a ``requests.Session``) and the sleep between attempts are
given to the client, so tests can answer from memory and never wait.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Protocol

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from urllib3.util.retry import Retry

from xl_mailer import __version__
from xl_mailer.click2mail.endpoints import DEFAULT_TIMEOUT, not_found_hint
from xl_mailer.click2mail.failures import in_words
from xl_mailer.click2mail.listing import LIST_BODY_BYTES, Listing, listing_problem, read_listing
from xl_mailer.click2mail.pacing import SharedBackoff, delay, retry_after_seconds
from xl_mailer.click2mail.verdicts import Verdict, judge
from xl_mailer.click2mail.xmlanswers import MAX_BODY_BYTES, Document, list_records, parse, snippet
from xl_mailer.core.errors import ApiError, AuthenticationError, NotADocument, TransportError
from xl_mailer.core.models import JobRequest, JobResult, Outcome
from xl_mailer.core.outcomes import create_outcome, unknown

__all__ = [
    "Click2MailClient",
    "Listing",
    "SharedBackoff",
    "Transport",
    "default_transport",
    "listing_problem",
    "retry_after_seconds",
]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, its body read up to a bound and parsed when it is XML."""

    http_status: int
    document: Document | None
    problem: str  # what came instead of a document, when document is None
    body: bytes
    retry_after: float = 0.0
    server_time: dt.datetime | None = None  # the Date header, UTC, naive


class Transport(Protocol):
    """What the client asks of a ``requests.Session``; tests give a small fake."""

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        data: tuple[tuple[str, str], ...] | None,
        headers: Mapping[str, str],
        auth: HTTPBasicAuth,
        timeout: float,
        stream: bool,
        allow_redirects: bool,
    ) -> requests.Response: ...

    def close(self) -> None: ...


def default_transport(pool_size: int) -> requests.Session:
    """The default transport: a keep-alive pool that never retries on its own."""
    transport = requests.Session()
    # urllib3 must never retry on its own: a retried POST is a second job.
    adapter = HTTPAdapter(
        pool_connections=2,
        pool_maxsize=max(pool_size, 1),
        max_retries=Retry(
            total=0,
            connect=0,
            read=0,
            redirect=0,
            status=0,
            raise_on_redirect=False,
            raise_on_status=False,
        ),
    )
    transport.mount("https://", adapter)
    transport.mount("http://", adapter)
    return transport


_HANDSHAKE_FAILURES = (
    "CERTIFICATE_VERIFY_FAILED",
    "WRONG_VERSION_NUMBER",
    "handshake",
    "UNSUPPORTED_PROTOCOL",
    "TLSV1_ALERT",
    "SSLV3_ALERT_HANDSHAKE",
    "NO_PROTOCOLS_AVAILABLE",
    "hostname mismatch",
)


def _never_left(exc: requests.RequestException) -> bool:
    """True when the request provably did not reach the server.

    A TLS error counts only when it names a handshake failure: a broken TLS
    record after the request was written (a proxy, a reset) may follow a job.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError):
        text = repr(exc)
        return any(marker.lower() in text.lower() for marker in _HANDSHAKE_FAILURES)
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc)
        return any(
            marker in text
            for marker in (
                "NewConnectionError",
                "NameResolutionError",
                "Failed to resolve",
                "Connection refused",
                "ConnectTimeoutError",
            )
        )
    return False


class Click2MailClient:
    """Talks to one Click2Mail endpoint with one account.

    Raises AuthenticationError on a 401 (or 9 "Not authenticated") from any call;
    a client that has seen one refuses to send anything more.

    ``transport`` defaults to a new ``requests.Session`` (``default_transport``);
    ``sleep`` and ``clock`` are what the pauses between attempts use.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        pool_size: int = 8,
        max_attempts: int = MAX_ATTEMPTS,
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = SharedBackoff(sleep=sleep, clock=clock)
        self._sleep = sleep
        self._stopped: str | None = None
        self.transport = transport if transport is not None else default_transport(pool_size)
        # as UTF-8 bytes: requests would encode text as Latin-1 and fail, naming the character
        self._auth = HTTPBasicAuth(username.encode("utf-8"), password.encode("utf-8"))
        self._headers = {"Accept": "application/xml", "User-Agent": f"xl-mailer/{__version__}"}

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Click2MailClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the calls -------------------------------------------------------

    def check_credentials(self) -> Document:
        """``GET /credit``: a read-only call that proves the username and password.

        Raises AuthenticationError, ApiError (an error status or no document) or
        TransportError.
        """
        return self._read("/credit", "/credit", reads=(Verdict.OK, Verdict.OTHER))

    def create_job(self, request: JobRequest) -> JobResult:
        """``POST /jobs`` for one row; every row-level outcome is a result, never an exception."""
        try:
            answer = self._request("POST", "/jobs", data=request.params, retry_safe=True)
        except requests.RequestException as exc:
            if _never_left(exc):
                return JobResult(
                    Outcome.FAILED,
                    f"Not sent: could not connect to {self.base_url}: {self._in_words(exc)}",
                )
            if isinstance(exc, requests.Timeout):
                return unknown(f"no answer within {self.timeout:g} s ({type(exc).__name__})")
            return unknown(
                f"the connection broke after the request was sent ({self._in_words(exc)})"
            )
        document = answer.document
        refusal = judge(answer.http_status, document).refusal
        if refusal:
            return JobResult(Outcome.FAILED, refusal, http_status=answer.http_status)
        return create_outcome(
            answer.http_status,
            root=document.root if document else None,
            code=document.int_field("status") if document else None,
            description=document.fields.get("description", "") if document else "",
            job_id=document.int_field("id") if document else None,
            not_a_document=answer.problem,
        )

    def find_jobs(self, start: dt.date) -> Listing:
        """``GET /jobs?startDate=yyyy-MM-dd``: the jobs made since a day, one dict each, every
        page followed to the end.

        The listing's shape is not documented: ``listing.read_listing`` follows its
        pages (and reads a round-numbered one again from a week earlier), and
        ``_list_page`` reads each page's ``<job>`` elements. Raises ApiError when it
        cannot be read; returns a Listing whose ``problem`` says why it may be
        incomplete, so that no row is declared safe on it.
        """
        return read_listing(start, self._list_page, self.base_url)

    def _list_page(
        self, path: str, params: Mapping[str, str] | None, into: list[dict[str, str]]
    ) -> tuple[dt.datetime | None, dict[str, str]]:
        """One page of a job listing: its jobs are added to ``into``; returns the server's
        time and the page's own fields (page counts, next links)."""
        answer = self._get(path, params=params, limit=LIST_BODY_BYTES)
        rule = judge(answer.http_status, answer.document)
        if rule.verdict is not Verdict.OK:
            raise rule.error(
                f"GET /jobs answered HTTP {answer.http_status}",
                http_status=answer.http_status,
                body_snippet=snippet(answer.body),
            )
        try:
            root, jobs = list_records(answer.body, "job")
        except NotADocument as exc:
            raise ApiError(
                f"GET /jobs answered with {exc}",
                http_status=answer.http_status,
                body_snippet=snippet(answer.body),
            ) from exc
        fields = dict(answer.document.fields) if answer.document is not None else {}
        status = answer.document.int_field("status") if answer.document is not None else None
        if root != "jobs" or status not in (None, 0):
            raise ApiError(
                f"GET /jobs answered with a <{root}> document"
                + (f" with status {status}" if status not in (None, 0) else "")
                + ", not a job listing; no row was settled",
                http_status=answer.http_status,
                body_snippet=snippet(answer.body),
            )
        into.extend(jobs)
        return answer.server_time, fields

    def job_status(self, job_id: int) -> Document:
        """``GET /jobs/{id}``: the job's state (its ``status`` is a state code, not an error).

        Whatever the HTTP status, a document is read; raises ApiError when none came,
        AuthenticationError or TransportError.
        """
        return self._read(f"/jobs/{job_id}", f"/jobs/{int(job_id)}", reads=tuple(Verdict))

    def _read(self, name: str, path: str, *, reads: Container[Verdict]) -> Document:
        """A GET read as one document, when the table's verdict is one of ``reads``; any
        other answer raises the error class the table names, saying what came (``name``
        is the path as messages show it). Raises TransportError when nothing answered."""
        answer = self._get(path)
        rule = judge(answer.http_status, answer.document)
        if rule.verdict in reads and answer.document is not None:
            return answer.document
        hint = not_found_hint(self.base_url) if answer.http_status == 404 else ""
        raise rule.error(
            f"GET {name} answered HTTP {answer.http_status} with {answer.problem or 'an error'}"
            + hint,
            http_status=answer.http_status,
            body_snippet=snippet(answer.body),
        )

    def _get(
        self, path: str, *, params: Mapping[str, str] | None = None, limit: int = MAX_BODY_BYTES
    ) -> Answer:
        try:
            return self._request("GET", path, params=params, limit=limit)
        except requests.RequestException as exc:
            if isinstance(exc, requests.ReadTimeout):
                words = f"no answer within {self.timeout:g} s"
            else:
                words = self._in_words(exc)
            raise TransportError(f"Cannot reach {self.base_url}: {words}") from exc

    def _in_words(self, exc: requests.RequestException) -> str:
        timed_out = isinstance(exc, requests.ConnectTimeout)
        return in_words(exc, url=self.base_url, timeout=self.timeout, timed_out=timed_out)

    # -- transport -------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        data: tuple[tuple[str, str], ...] | None = None,
        params: Mapping[str, str] | None = None,
        retry_safe: bool = True,
        limit: int = MAX_BODY_BYTES,
    ) -> Answer:
        if self._stopped:
            raise AuthenticationError(self._stopped, http_status=401)
        attempt = 0
        while True:
            attempt += 1
            self.backoff.wait()
            try:
                answer = self._send_once(method, path, data=data, params=params, limit=limit)
            except requests.RequestException as exc:
                if retry_safe and _never_left(exc) and attempt < self.max_attempts:
                    self._sleep(delay(attempt))
                    continue
                raise
            # asked again on the status alone, whatever the body says
            if judge(answer.http_status, None).retried and attempt < self.max_attempts:
                # shared: every worker waits, not just this one
                self.backoff.push(answer.retry_after)
                continue
            rule = judge(answer.http_status, answer.document)
            if rule.verdict is Verdict.REFUSED:
                self._stopped = (
                    f"Click2Mail refused the username or password for {self.base_url}"
                    f" (HTTP {answer.http_status}); nothing more was sent"
                )
                raise rule.error(self._stopped, http_status=answer.http_status)
            return answer

    def _send_once(
        self,
        method: str,
        path: str,
        *,
        data: tuple[tuple[str, str], ...] | None,
        params: Mapping[str, str] | None,
        limit: int,
    ) -> Answer:
        url = self.base_url + path
        log.debug("%s %s", method, url)
        with self.transport.request(
            method,
            url,
            params=params,
            data=data,
            headers=self._headers,
            auth=self._auth,
            timeout=self.timeout,
            stream=True,
            allow_redirects=False,
        ) as response:
            body = _read_bounded(response, limit)
            retry_after = retry_after_seconds(response.headers.get("Retry-After"), default=delay(1))
            server_time = _http_date(response.headers.get("Date"))
        try:
            document: Document | None = parse(body)
            problem = ""
        except NotADocument as exc:
            document, problem = None, str(exc)
        log.debug("%s %s -> %s", method, url, response.status_code)
        return Answer(response.status_code, document, problem, body, retry_after, server_time)


def _http_date(value: str | None) -> dt.datetime | None:
    """An HTTP ``Date`` header as UTC (naive), or None when absent or unreadable."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return when
    return when.astimezone(dt.UTC).replace(tzinfo=None)


def _read_bounded(response: requests.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)
