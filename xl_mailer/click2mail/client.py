"""The one Click2Mail client: a keep-alive session, Basic auth, XML answers, careful retries.

Creates are never retried once the request may have left this machine:
Click2Mail has no idempotency keys, so a second POST is a second mailing.
Only failures that provably sent nothing (refused connection, DNS, TLS
handshake, connect timeout) and 429 answers are retried; a read-only call is also
asked again after a failure once sent and after a gateway's 5xx. What an answer
means is decided by one table (``verdicts.TABLE``) for the create and every GET.

The transport (a ``requests.Session``) and the sleep between attempts are
given to the client, so tests can answer from memory and never wait.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Container, Mapping
from typing import Protocol

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from requests.cookies import extract_cookies_to_jar
from urllib3.util.retry import Retry

from xl_mailer import __version__
from xl_mailer.click2mail.answer import Answer, Body, Lost, read_answer
from xl_mailer.click2mail.endpoints import DEFAULT_TIMEOUT, not_found_hint
from xl_mailer.click2mail.failures import in_words
from xl_mailer.click2mail.listing import LIST_BODY_BYTES, Listing, listing_problem, read_listing
from xl_mailer.click2mail.pacing import SharedBackoff, delay, retry_after_seconds
from xl_mailer.click2mail.verdicts import Verdict, judge
from xl_mailer.click2mail.xmlanswers import MAX_BODY_BYTES, Document, list_records, snippet
from xl_mailer.core.errors import ApiError, AuthenticationError, NotADocument, TransportError
from xl_mailer.core.models import JobRequest, JobResult, Outcome
from xl_mailer.core.outcomes import create_outcome, unknown

__all__ = [
    "Answer",
    "Click2MailClient",
    "Lost",
    "Listing",
    "SharedBackoff",
    "Transport",
    "default_transport",
    "listing_problem",
    "retry_after_seconds",
]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
GATEWAY_STATUSES = frozenset({502, 503, 504, 524})
"""Answers a read-only call is asked again after: the gateway, not Click2Mail, answered."""


class Transport(Protocol):
    """What the client asks of a ``requests.Session``; tests give a small fake."""

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        data: Body | None,
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


MAX_ROUTES = 16
"""Routes kept at once: the create's is used for every row; a URL per job is not worth more."""


class _Route:
    """One method and URL on a ``requests.Session``, prepared once: ``Session.request`` builds,
    merges and looks up the same things for every call (the session's headers and cookies,
    Basic auth, the URL's parsing, the proxy variables, ``REQUESTS_CA_BUNDLE``, hooks), and
    each POST only needs its own body.

    What a call sends and how is what ``Session.request`` would send: the request is
    prepared by requests itself (``Session.prepare_request``), its settings come from
    ``Session.merge_environment_settings`` (TLS verification, the CA bundle, proxies), and
    it goes through the session's own adapter, which raises the same exceptions. The
    environment is read when the route is made: once per client, that is once per run.
    A response that sets a cookie is kept in the session's jar, as ``Session.send``
    does, and the route is prepared again with it (as it is when any other call did).
    """

    def __init__(
        self,
        session: requests.Session,
        method: str,
        url: str,
        headers: Mapping[str, str],
        auth: HTTPBasicAuth,
    ) -> None:
        self.session = session
        template = session.prepare_request(
            requests.Request(method, url, headers=dict(headers), auth=auth)
        )
        self.method = template.method
        self.url = template.url or url
        self.headers = template.headers
        self.hooks = template.hooks
        settings = session.merge_environment_settings(self.url, {}, True, None, None)
        verify = settings["verify"]
        self.verify: bool | str = True if verify is None else verify
        self.cert = settings["cert"]
        self.proxies = settings["proxies"]
        self.adapter = session.get_adapter(self.url)
        self.cookies = len(session.cookies)  # another call that sets one prepares it again
        self.stale = False

    def send(self, data: Body | None, timeout: float) -> requests.Response:
        """Send one request with this body; raises what ``Session.request`` raises."""
        prepared = requests.PreparedRequest()
        prepared.method = self.method
        prepared.url = self.url
        prepared.headers = self.headers.copy()
        prepared.hooks = self.hooks
        prepared.prepare_body(data or {}, None)
        return self.adapter.send(
            prepared,
            stream=True,
            timeout=timeout,
            verify=self.verify,
            cert=self.cert,
            proxies=self.proxies,
        )

    def took(self, response: requests.Response) -> None:
        """Keep a cookie the answer set, as ``Session.send`` would."""
        if "set-cookie" in response.headers:
            extract_cookies_to_jar(  # type: ignore[no-untyped-call]
                self.session.cookies, response.request, response.raw
            )
            self.stale = True


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
        self.sleep = sleep
        self.clock = clock
        self._stopped: str | None = None
        self.transport = transport if transport is not None else default_transport(pool_size)
        # as UTF-8 bytes: requests would encode text as Latin-1 and fail, naming the character
        self._auth = HTTPBasicAuth(username.encode("utf-8"), password.encode("utf-8"))
        self._headers = {"Accept": "application/xml", "User-Agent": f"xl-mailer/{__version__}"}
        self._routes: dict[tuple[str, str], _Route] = {}

    def close(self) -> None:
        self.transport.close()

    def _route(self, method: str, url: str) -> _Route | None:
        """What ``Session.request`` works out anew for every call to ``url``, worked out once
        (None: the transport is not a plain ``requests.Session``, or has hooks)."""
        session = self.transport
        if not isinstance(session, requests.Session) or any(session.hooks.values()):
            return None
        if len(session.cookies):  # a cookie's value or expiry may change: as requests does
            return None
        route = self._routes.get((method, url))
        if route is None or route.stale:
            if len(self._routes) >= MAX_ROUTES:  # per-job URLs: keep the cache small
                self._routes.clear()
            route = _Route(session, method, url, self._headers, self._auth)
            self._routes[(method, url)] = route
        return route

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
        answer = self.send("POST", "/jobs", data=request.params)
        if isinstance(answer, Lost):
            if answer.never_left:
                return JobResult(Outcome.FAILED, f"Not sent: {answer.words}")
            return unknown(answer.words)
        refusal = judge(answer.http_status, answer.document).refusal
        if refusal:
            return JobResult(Outcome.FAILED, refusal, http_status=answer.http_status)
        return create_outcome(
            answer.http_status,
            root=answer.root,
            code=answer.code,
            description=answer.description,
            job_id=answer.id,
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
        answer = self.get(path, params=params, limit=LIST_BODY_BYTES)
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
        answer = self.get(path)
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

    def send(
        self,
        method: str,
        path: str,
        *,
        data: Body | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer | Lost:
        """A call that may change something at Click2Mail (a POST): asked again only after a
        429 or a failure that provably sent nothing; a request that may have left and got no
        answer is a ``Lost`` that says so. Raises AuthenticationError."""
        try:
            return self._request(method, path, data=data, headers=headers)
        except requests.RequestException as exc:
            if _never_left(exc):
                return Lost(True, f"could not connect to {self.base_url}: {self._in_words(exc)}")
            if isinstance(exc, requests.Timeout):
                return Lost(False, f"no answer within {self.timeout:g} s ({type(exc).__name__})")
            words = f"the connection broke after the request was sent ({self._in_words(exc)})"
            return Lost(False, words)

    def get(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        limit: int = MAX_BODY_BYTES,
        headers: Mapping[str, str] | None = None,
        read_only: bool = False,
    ) -> Answer:
        """A GET; ``read_only`` also asks again after a failure once sent and after a gateway's
        5xx. Raises TransportError when nothing answered, AuthenticationError."""
        try:
            return self._request(
                "GET", path, params=params, limit=limit, headers=headers, read_only=read_only
            )
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
        data: Body | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        read_only: bool = False,
        limit: int = MAX_BODY_BYTES,
    ) -> Answer:
        if self._stopped:
            raise AuthenticationError(self._stopped, http_status=401)
        attempt = 0
        while True:
            attempt += 1
            self.backoff.wait()
            try:
                answer = self._send_once(method, path, data, params, headers, limit)
            except requests.RequestException as exc:
                if (read_only or _never_left(exc)) and attempt < self.max_attempts:
                    self.sleep(delay(attempt))
                    continue
                raise
            # asked again on the status alone, whatever the body says
            if judge(answer.http_status, None).retried and attempt < self.max_attempts:
                # shared: every worker waits, not just this one
                self.backoff.push(answer.retry_after)
                continue
            gateway = read_only and answer.http_status in GATEWAY_STATUSES
            if gateway and attempt < self.max_attempts:
                self.sleep(delay(attempt))
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
        data: Body | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        limit: int,
    ) -> Answer:
        url = self.base_url + path
        log.debug("%s %s", method, url)
        route = None if params or headers else self._route(method, url)
        if route is not None:
            with route.send(data, self.timeout) as response:
                answer = read_answer(response, limit)
            route.took(response)
            log.debug("%s %s -> %s", method, url, answer.http_status)
            return answer
        with self.transport.request(
            method,
            url,
            params=params,
            data=data,
            headers={**self._headers, **headers} if headers else self._headers,
            auth=self._auth,
            timeout=self.timeout,
            stream=True,
            allow_redirects=False,
        ) as response:
            answer = read_answer(response, limit)
        log.debug("%s %s -> %s", method, url, answer.http_status)
        return answer
