"""The one Click2Mail client: a keep-alive session, Basic auth, XML answers, careful retries.

Creates are never retried once the request may have left this machine:
Click2Mail has no idempotency keys, so a second POST is a second mailing.
Only failures that provably sent nothing (refused connection, DNS, TLS
handshake, connect timeout) and 429 answers are retried.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from urllib3.util.retry import Retry

from xl_mailer import __version__
from xl_mailer.click2mail.endpoints import DEFAULT_TIMEOUT
from xl_mailer.click2mail.xmlanswers import (
    MAX_BODY_BYTES,
    Document,
    NotADocument,
    list_records,
    parse,
    snippet,
)
from xl_mailer.core.errors import ApiError, AuthenticationError, TransportError
from xl_mailer.core.keys import is_key
from xl_mailer.core.models import JobRequest, JobResult, Outcome
from xl_mailer.core.outcomes import create_outcome, unknown

log = logging.getLogger(__name__)

LIST_BODY_BYTES = 8 * MAX_BODY_BYTES
"""Job listings may be long; they are still read with a bound."""
MAX_ATTEMPTS = 5
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, its body read up to a bound and parsed when it is XML."""

    http_status: int
    document: Document | None
    problem: str  # what came instead of a document, when document is None
    body: bytes
    retry_after: float = 0.0
    server_time: dt.datetime | None = None  # the Date header, UTC, naive


@dataclass(frozen=True)
class Listing:
    """The jobs ``GET /jobs`` listed since a day, read to the end, and whether it can be
    trusted to show every job: ``problem`` says why not (then no row may be declared safe)."""

    jobs: list[dict[str, str]]
    server_time: dt.datetime | None
    problem: str | None = None
    counted: bool = False  # the listing said how many jobs it has, and showed them all


MAX_PAGES = 100
"""Pages of a listing followed at most: more is not understood."""

_COUNT_FIELDS = ("totalCount", "total", "count", "totalRecords", "totalJobs", "recordCount")
_PAGES_FIELDS = ("totalPages", "pages", "pageCount", "numberOfPages")
_NEXT_FIELDS = ("next", "nextPage", "nextUrl", "nextPageUrl")


def _round_cap(count: int) -> bool:
    """A number of jobs that looks like a page or result limit rather than a real count."""
    return count >= 10 and (count % 50 == 0 or count in (10, 20, 25))


def listing_problem(
    jobs: list[dict[str, str]], fields: Mapping[str, str], *, round_ok: bool = False
) -> str | None:
    """Why a complete-looking listing may still not show every job, or None.

    Click2Mail does not document the listing's shape ([U] in API.md); this is the
    one place that decides when it is understood, so that it can be corrected here.
    """
    for name in _COUNT_FIELDS:
        text = fields.get(name, "").strip()
        if text.isdigit() and int(text) != len(jobs):
            return f"the listing says it has {text} jobs but shows {len(jobs)}"
    counted = any(fields.get(n, "").strip() for n in _COUNT_FIELDS)
    if not round_ok and _round_cap(len(jobs)) and not counted:
        return (
            f"the listing has exactly {len(jobs)} jobs (also from a week earlier), a round"
            " number that may be a page or size limit; check these rows at Click2Mail, or"
            " reconcile again once more jobs have been made"
        )
    for job in jobs:
        signature = job.get("appSignature", "")
        if signature.startswith("xlm") and not is_key(signature):
            return (
                f"the listing shows the request key {signature!r} cut short or changed, so"
                " keys cannot be matched"
            )
    return None


class SharedBackoff:
    """A pause every worker honours: a 429 for one slows all of them down."""

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._lock = threading.Lock()
        self._not_before = 0.0
        self._sleep = sleep

    def push(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)

    def wait(self) -> None:
        while True:
            with self._lock:
                delay = self._not_before - time.monotonic()
            if delay <= 0:
                return
            self._sleep(min(delay, 1.0))


def retry_after_seconds(value: str | None, default: float) -> float:
    """Seconds from a Retry-After header (seconds or an HTTP date), capped at BACKOFF_CAP."""
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return default
    return max(0.0, min(seconds, BACKOFF_CAP))


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

    Raises AuthenticationError on a 401 from any call; a client that has seen
    one refuses to send anything more.
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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = SharedBackoff(sleep=sleep)
        self._sleep = sleep
        self._stopped: str | None = None
        self.session = requests.Session()
        # as UTF-8 bytes: requests would encode text as Latin-1 and fail, naming the character
        self.session.auth = HTTPBasicAuth(username.encode("utf-8"), password.encode("utf-8"))
        self.session.headers.update(
            {"Accept": "application/xml", "User-Agent": f"xl-mailer/{__version__}"}
        )
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
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Click2MailClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the calls -------------------------------------------------------

    def check_credentials(self) -> Document:
        """``GET /credit``: a read-only call that proves the username and password.

        Raises AuthenticationError or TransportError.
        """
        try:
            answer = self._request("GET", "/credit")
        except requests.RequestException as exc:
            raise TransportError(f"Cannot reach {self.base_url}: {_reason(exc)}") from exc
        if answer.document is None or answer.http_status >= 400:
            raise ApiError(
                f"GET /credit answered HTTP {answer.http_status} with"
                f" {answer.problem or 'an error'}",
                http_status=answer.http_status,
                body_snippet=snippet(answer.body),
            )
        return answer.document

    def create_job(self, request: JobRequest) -> JobResult:
        """``POST /jobs`` for one row; every row-level outcome is a result, never an exception."""
        try:
            answer = self._request("POST", "/jobs", data=request.params, retry_safe=True)
        except requests.RequestException as exc:
            if _never_left(exc):
                return JobResult(
                    Outcome.FAILED,
                    f"Not sent: could not connect to {self.base_url} ({_reason(exc)})",
                )
            if isinstance(exc, requests.Timeout):
                return unknown(f"no answer within {self.timeout:g} s ({type(exc).__name__})")
            return unknown(f"the connection broke after the request was sent ({_reason(exc)})")
        document = answer.document
        if answer.http_status == 429:
            return JobResult(
                Outcome.FAILED,
                "Not created: Click2Mail kept answering 429 Too Many Requests; send again later",
                http_status=429,
            )
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

        The listing's shape is not documented: this is the one place that reads it
        (every ``<job>`` element's fields; page counts and next links when present).
        A listing whose size is a round number is read again from a week earlier:
        a limit gives the same number again, a real count grows. Raises ApiError when
        it cannot be read; returns a Listing whose ``problem`` says why it may be
        incomplete, so that no row is declared safe on it.
        """
        listing = self._listing(start)
        if listing.problem is not None or listing.counted or not _round_cap(len(listing.jobs)):
            return listing
        wider = self._listing(start - dt.timedelta(days=7))
        grew = len(wider.jobs) > len(listing.jobs) and not _round_cap(len(wider.jobs))
        if wider.problem is None and grew:
            return wider  # more than the first count: that was no limit
        problem = listing_problem(listing.jobs, {})
        return Listing(listing.jobs, listing.server_time, problem)

    def _listing(self, start: dt.date) -> Listing:
        params = {"startDate": start.isoformat()}
        jobs: list[dict[str, str]] = []
        answer, fields = self._list_page("/jobs", params, jobs)
        page = fields
        server_time = answer.server_time
        pages = next((fields[n] for n in _PAGES_FIELDS if fields.get(n, "").isdigit()), "1")
        for number in range(2, int(pages) + 1):
            if number > MAX_PAGES:
                return Listing(jobs, server_time, f"the listing has more than {MAX_PAGES} pages")
            self._list_page("/jobs", {**params, "page": str(number)}, jobs)
        seen = 1
        while link := next((page[n] for n in _NEXT_FIELDS if page.get(n)), ""):
            seen += 1
            if seen > MAX_PAGES or not link.startswith((self.base_url + "/", "/")):
                return Listing(jobs, server_time, f"the listing's next page ({link}) was not read")
            path = link.removeprefix(self.base_url) if link.startswith("http") else link
            path = path.removeprefix(urlsplit(self.base_url).path)
            _, page = self._list_page(path, None, jobs)
        counted = any(fields.get(n, "").strip() for n in _COUNT_FIELDS)
        problem = listing_problem(jobs, fields, round_ok=True)
        return Listing(jobs, server_time, problem, counted)

    def _list_page(
        self, path: str, params: Mapping[str, str] | None, into: list[dict[str, str]]
    ) -> tuple[Answer, dict[str, str]]:
        """One page of a job listing: its jobs are added to ``into``; returns the answer and
        the page's own fields (page counts, next links)."""
        try:
            answer = self._request("GET", path, params=params, limit=LIST_BODY_BYTES)
        except requests.RequestException as exc:
            raise TransportError(f"Cannot reach {self.base_url}: {_reason(exc)}") from exc
        if answer.http_status != 200:
            raise ApiError(
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
        return answer, fields

    def job_status(self, job_id: int) -> Document:
        """``GET /jobs/{id}``: the job's state (its ``status`` is a state code, not an error)."""
        try:
            answer = self._request("GET", f"/jobs/{int(job_id)}")
        except requests.RequestException as exc:
            raise TransportError(f"Cannot reach {self.base_url}: {_reason(exc)}") from exc
        if answer.document is None:
            raise ApiError(
                f"GET /jobs/{job_id} answered HTTP {answer.http_status} with {answer.problem}",
                http_status=answer.http_status,
                body_snippet=snippet(answer.body),
            )
        return answer.document

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
                    self._sleep(self._delay(attempt))
                    continue
                raise
            if answer.http_status == 429 and attempt < self.max_attempts:
                # shared: every worker waits, not just this one
                self.backoff.push(answer.retry_after)
                continue
            if answer.http_status == 401 or _not_authenticated(answer.document):
                self._stopped = (
                    f"Click2Mail refused the username or password for {self.base_url}"
                    f" (HTTP {answer.http_status}); nothing more was sent"
                )
                raise AuthenticationError(self._stopped, http_status=answer.http_status)
            return answer

    def _delay(self, attempt: int) -> float:
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not secrets

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
        with self.session.request(
            method,
            url,
            data=data,
            params=params,
            timeout=self.timeout,
            stream=True,
            allow_redirects=False,
        ) as response:
            body = _read_bounded(response, limit)
            retry_after = retry_after_seconds(
                response.headers.get("Retry-After"), default=self._delay(1)
            )
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


def _not_authenticated(document: Document | None) -> bool:
    return bool(
        document
        and document.int_field("status") == 9
        and document.fields.get("description", "").strip().lower() == "not authenticated"
    )


def _reason(exc: BaseException) -> str:
    """A short cause without URLs' credentials (requests never puts the password in them)."""
    text = str(exc)
    return text if len(text) < 200 else text[:197] + "..."
