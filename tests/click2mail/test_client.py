"""The client over real HTTP to the embedded sandbox, and from memory (a mock transport and a
clock that moves only when the client sleeps) where a real server would make the test wait."""

from __future__ import annotations

import base64

import pytest
import requests

from xl_mailer import __version__
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.pacing import retry_after_seconds
from xl_mailer.core.errors import ApiError, AuthenticationError, TransportError
from xl_mailer.core.models import JobRequest, Outcome
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER, start_sandbox
from .mock import BASE_URL, FakeTime, MockTransport, Reply, mock_client

REQUEST = JobRequest(row=2, params=tuple((k, str(v)) for k, v in LETTER.items()))
CREATED = b"<job><id>245985</id><status>0</status><description>Created</description></job>"
UNREACHABLE = "http://127.0.0.1:9/molpro"  # the discard port: nothing listens


def client_for(url: str, password: str = "sandbox-password", **kwargs: object) -> Click2MailClient:
    return Click2MailClient(url, "sandbox", password, sleep=lambda s: None, **kwargs)  # type: ignore[arg-type]


# -- over real HTTP ----------------------------------------------------------------------------


def test_a_valid_job_is_created_over_real_http(sandbox: Sandbox) -> None:
    with client_for(sandbox.url) as client:
        result = client.create_job(REQUEST)
    assert result.outcome is Outcome.CREATED
    assert (result.http_status, result.code, result.description) == (201, 0, "Created")
    assert result.job_id in sandbox.state.jobs
    assert sandbox.state.jobs[result.job_id].params["documentClass"] == "Letter 8.5 x 11"


def test_credentials_check_reads_the_credit_balance(sandbox: Sandbox) -> None:
    with client_for(sandbox.url) as client:
        assert client.check_credentials().fields["balance"] == "1000.00"


def test_a_wrong_password_stops_the_client_and_sends_no_job(sandbox: Sandbox) -> None:
    with client_for(sandbox.url, password="wrong") as client:
        with pytest.raises(AuthenticationError, match="refused the username or password"):
            client.check_credentials()
        with pytest.raises(AuthenticationError):
            client.create_job(REQUEST)
    assert sandbox.state.create_requests == 0


def test_the_password_is_not_in_the_authentication_message(sandbox: Sandbox) -> None:
    with client_for(sandbox.url, password="hunter2-secret") as client:
        with pytest.raises(AuthenticationError) as caught:
            client.check_credentials()
    assert "hunter2-secret" not in str(caught.value)
    assert "hunter2-secret" not in repr(caught.value.__dict__)


def test_an_unreachable_endpoint_stops_the_run_before_any_job() -> None:
    with client_for(UNREACHABLE, max_attempts=1) as client:
        with pytest.raises(TransportError, match="Cannot reach") as caught:
            client.check_credentials()
    assert not isinstance(caught.value, ApiError)  # nothing answered: no status to report


def test_a_refused_connection_is_retried_then_reported_as_not_sent() -> None:
    delays: list[float] = []
    client = Click2MailClient(UNREACHABLE, "u", "p", sleep=delays.append, max_attempts=3)
    result = client.create_job(REQUEST)
    assert result.outcome is Outcome.FAILED
    assert result.description.startswith("Not sent: could not connect")
    assert len(delays) == 2
    assert delays[1] > delays[0] * 0.9 / 2  # grows, with jitter


def test_a_timeout_is_unknown_and_not_retried() -> None:
    with start_sandbox(fault="timeout", fault_seconds=0.6) as box:
        with client_for(box.url, timeout=0.2) as client:
            result = client.create_job(REQUEST)
        assert box.state.create_requests == 1
        assert len(box.state.jobs) == 1  # the sandbox made the job before it stalled
    assert result.outcome is Outcome.UNKNOWN
    assert result.description.startswith("UNKNOWN: no answer within 0.2 s")


def test_a_dropped_connection_after_sending_is_unknown() -> None:
    with start_sandbox(fault="drop") as box, client_for(box.url) as client:
        result = client.create_job(REQUEST)
        assert box.state.create_requests == 1
    assert result.outcome is Outcome.UNKNOWN
    assert "connection broke after the request was sent" in result.description


def test_429_is_retried_after_the_servers_delay_and_then_succeeds() -> None:
    time = FakeTime()
    with (
        start_sandbox(fault="throttle", fault_every=2) as box,
        Click2MailClient(
            box.url, "sandbox", box.config.password, sleep=time.sleep, clock=time.monotonic
        ) as client,
    ):
        first = client.create_job(REQUEST)
        second = client.create_job(REQUEST)  # the 2nd request is throttled, the 3rd goes through
        assert box.state.create_requests == 3
    assert first.outcome is second.outcome is Outcome.CREATED
    assert first.job_id != second.job_id
    assert sum(time.slept) == 1.0  # the sandbox's Retry-After: 1


# -- from memory -------------------------------------------------------------------------------


def test_a_create_is_a_form_post_with_basic_auth_asking_for_xml() -> None:
    transport = MockTransport(Reply(201, CREATED))
    with mock_client(transport, password="pässwörd-€") as client:
        client.create_job(REQUEST)
    assert transport.closed
    [sent] = transport.sent
    assert (sent.method, sent.url) == ("POST", BASE_URL + "/jobs")
    assert sent.headers["Accept"] == "application/xml"
    assert sent.headers["User-Agent"] == f"xl-mailer/{__version__}"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    token = base64.b64encode("u:pässwörd-€".encode()).decode()  # UTF-8, not Latin-1
    assert sent.headers["Authorization"] == f"Basic {token}"
    assert sent.body == (
        "documentClass=Letter+8.5+x+11&layout=Address+on+Separate+Page&productionTime=Next+Day"
        "&envelope=%2310+Double+Window&color=Black+and+White&paperType=White+24%23"
        "&printOption=Printing+One+side&documentId=1001&addressId=2001"
    )
    # a redirect is an answer, never followed: a followed POST could be a second job
    assert transport.options == [{"timeout": 60.0, "stream": True, "allow_redirects": False}]


@pytest.mark.parametrize(
    ("failure", "outcome", "tries", "text"),
    [
        (requests.ConnectTimeout("connect timed out"), Outcome.FAILED, 3, "Not sent"),
        (
            requests.ConnectionError("NewConnectionError: [Errno 111] Connection refused"),
            Outcome.FAILED,
            3,
            "Not sent: could not connect to https://c2m.example/molpro",
        ),
        (
            requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify"),
            Outcome.FAILED,
            3,
            "Not sent",
        ),
        (
            requests.ReadTimeout("read timed out"),
            Outcome.UNKNOWN,
            1,
            "UNKNOWN: no answer within 60 s (ReadTimeout)",
        ),
        (
            requests.ConnectionError("('Connection aborted.', RemoteDisconnected())"),
            Outcome.UNKNOWN,
            1,
            "UNKNOWN: the connection broke after the request was sent",
        ),
        (
            requests.exceptions.SSLError("[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] bad mac"),
            Outcome.UNKNOWN,
            1,
            "UNKNOWN: the connection broke after the request was sent",
        ),
    ],
)
def test_a_create_is_tried_again_only_when_it_provably_never_left(
    failure: requests.RequestException, outcome: Outcome, tries: int, text: str
) -> None:
    transport = MockTransport(failure)
    time = FakeTime()
    result = mock_client(transport, time, max_attempts=3).create_job(REQUEST)
    assert result.outcome is outcome
    assert result.description.startswith(text)
    assert len(transport.sent) == tries
    assert len(time.slept) == tries - 1


def test_a_create_gives_up_after_429_on_every_attempt_and_says_nothing_was_made() -> None:
    transport = MockTransport(Reply(429, b"Too Many Requests", {"Retry-After": "2"}))
    time = FakeTime()
    result = mock_client(transport, time, max_attempts=4).create_job(REQUEST)
    assert result.outcome is Outcome.FAILED
    assert result.description == (
        "Not created: Click2Mail kept answering 429 Too Many Requests; send again later"
    )
    assert (result.http_status, result.code, result.job_id) == (429, None, None)
    assert len(transport.sent) == 4
    assert sum(time.slept) == 3 * 2.0  # the server's pause between tries, none after the last


def test_a_get_gives_up_after_429_on_every_attempt_and_stops_the_run() -> None:
    transport = MockTransport(Reply(429, b"Too Many Requests", {"Retry-After": "1"}))
    client = mock_client(transport)
    with pytest.raises(ApiError) as caught:
        client.check_credentials()
    assert str(caught.value) == (
        "GET /credit answered HTTP 429 with text that is not XML ('Too Many Requests')"
    )
    assert not isinstance(caught.value, AuthenticationError)
    assert len(transport.sent) == 5  # MAX_ATTEMPTS


def test_a_429_slows_every_call_of_the_client_down() -> None:
    transport = MockTransport(
        Reply(429, b"", {"Retry-After": "3"}), Reply(201, CREATED), Reply(201, CREATED)
    )
    time = FakeTime()
    client = mock_client(transport, time)
    client.create_job(REQUEST)
    waited = sum(time.slept)
    client.create_job(REQUEST)  # the pause is over: the next call goes at once
    assert (waited, sum(time.slept), len(transport.sent)) == (3.0, 3.0, 3)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (None, 0.25),
        ("junk", 0.25),
        ("999", 30.0),
        ("-5", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past: go now
    ],
)
def test_retry_after_is_honoured_and_capped(header: str | None, seconds: float) -> None:
    assert retry_after_seconds(header, default=0.25) == seconds
