from __future__ import annotations

import time

import pytest

from xl_mailer.click2mail.client import Click2MailClient, retry_after_seconds
from xl_mailer.core.errors import AuthenticationError, TransportError
from xl_mailer.core.models import JobRequest, Outcome
from xl_mailer.sandbox import Sandbox

from ..conftest import DATA, LETTER, Canned, start_sandbox

REQUEST = JobRequest(row=2, params=tuple((k, str(v)) for k, v in LETTER.items()))


def client_for(url: str, password: str = "sandbox-password", **kwargs: object) -> Click2MailClient:
    return Click2MailClient(url, "sandbox", password, sleep=lambda s: None, **kwargs)  # type: ignore[arg-type]


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
    with client_for("http://127.0.0.1:9/molpro", max_attempts=1) as client:
        with pytest.raises(TransportError, match="Cannot reach"):
            client.check_credentials()


def test_a_refused_connection_is_retried_then_reported_as_not_sent() -> None:
    delays: list[float] = []
    client = Click2MailClient(
        "http://127.0.0.1:9/molpro", "u", "p", sleep=delays.append, max_attempts=3
    )
    result = client.create_job(REQUEST)
    assert result.outcome is Outcome.FAILED
    assert result.description.startswith("Not sent: could not connect")
    assert len(delays) == 2
    assert delays[1] > delays[0] * 0.9 / 2  # grows, with jitter


def test_a_timeout_is_unknown_and_not_retried() -> None:
    with start_sandbox(fault="timeout", fault_seconds=1.0) as box:
        with client_for(box.url, timeout=0.3) as client:
            result = client.create_job(REQUEST)
        time.sleep(0.8)  # let the sandbox finish the job it was making
        assert box.state.create_requests == 1
        assert len(box.state.jobs) == 1
    assert result.outcome is Outcome.UNKNOWN
    assert result.description.startswith("UNKNOWN: no answer within 0.3 s")


def test_a_dropped_connection_after_sending_is_unknown() -> None:
    with start_sandbox(fault="drop") as box, client_for(box.url) as client:
        result = client.create_job(REQUEST)
        assert box.state.create_requests == 1
    assert result.outcome is Outcome.UNKNOWN
    assert "connection broke after the request was sent" in result.description


def test_429_is_retried_after_the_servers_delay_and_then_succeeds() -> None:
    with start_sandbox(fault="throttle", fault_every=2) as box, client_for(box.url) as client:
        first = client.create_job(REQUEST)
        second = client.create_job(REQUEST)  # the 2nd request is throttled, the 3rd goes through
        assert box.state.create_requests == 3
    assert first.outcome is second.outcome is Outcome.CREATED
    assert first.job_id != second.job_id


@pytest.mark.parametrize(
    ("status", "fixture", "outcome", "code", "text"),
    [
        (201, "created.xml", Outcome.CREATED, 0, "Created"),
        (200, "code_without_text.xml", Outcome.FAILED, 3, "Address List ID not found"),
        (201, "created_without_id.xml", Outcome.UNKNOWN, 0, "UNKNOWN: Click2Mail said Created"),
        (201, "namespaced.xml", Outcome.CREATED, 0, "Created"),
        (201, "xxe.xml", Outcome.UNKNOWN, None, "DOCTYPE, refused unread"),
        (201, "billion_laughs.xml", Outcome.UNKNOWN, None, "DOCTYPE, refused unread"),
        (500, "html_500.html", Outcome.UNKNOWN, None, "UNKNOWN: HTTP 500 with an HTML page"),
        (524, "html_500.html", Outcome.UNKNOWN, None, "UNKNOWN: Click2Mail's gateway timed out"),
        (201, "truncated.xml", Outcome.UNKNOWN, None, "UNKNOWN: HTTP 201 with text that is not"),
        (200, "not_a_job.xml", Outcome.UNKNOWN, None, "UNKNOWN: HTTP 200 with a <error>"),
        (503, "not_a_job.xml", Outcome.UNKNOWN, None, "UNKNOWN: HTTP 503 with a <error>"),
        (500, "parse_date_500.xml", Outcome.FAILED, 9, "Could not parse date."),
        (400, "formula_description.xml", Outcome.FAILED, 9, '=HYPERLINK("http://evil'),
        (404, "html_500.html", Outcome.FAILED, None, "HTTP 404: Click2Mail sent an HTML page"),
    ],
)
def test_odd_and_hostile_answers_become_clear_outcomes(
    canned: type[Canned],
    status: int,
    fixture: str,
    outcome: Outcome,
    code: int | None,
    text: str,
) -> None:
    server = canned(status, (DATA / fixture).read_bytes(), {"Content-Type": "application/xml"})
    with client_for(server.url) as client:
        result = client.create_job(REQUEST)
    assert result.outcome is outcome
    assert result.http_status == status
    assert result.code == code
    assert result.description.startswith(text) or text in result.description
    assert "root:" not in result.description and "lollol" not in result.description
    assert len(server.requests) == 1  # never re-sent


def test_an_empty_body_keeps_its_http_status(canned: type[Canned]) -> None:
    server = canned(502, b"")
    with client_for(server.url) as client:
        result = client.create_job(REQUEST)
    assert (result.outcome, result.http_status) == (Outcome.UNKNOWN, 502)
    assert "an empty body" in result.description


def test_a_huge_body_is_read_only_up_to_the_bound(canned: type[Canned]) -> None:
    server = canned(200, b"<job>" + b"x" * 5_000_000 + b"</job>")
    with client_for(server.url) as client:
        result = client.create_job(REQUEST)
    assert result.outcome is Outcome.UNKNOWN
    assert "over 1,048,576 bytes" in result.description


def test_requests_carry_accept_xml_basic_auth_and_a_form_body(sandbox: Sandbox) -> None:
    with client_for(sandbox.url) as client:
        prepared = client.session.prepare_request(
            __import__("requests").Request("POST", sandbox.url + "/jobs", data=REQUEST.params)
        )
    assert prepared.headers["Accept"] == "application/xml"
    assert prepared.headers["Authorization"].startswith("Basic ")
    assert prepared.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Priority" not in prepared.body and "documentClass=Letter+8.5+x+11" in prepared.body


@pytest.mark.parametrize(
    ("header", "seconds"), [("3", 3.0), (None, 0.25), ("junk", 0.25), ("999", 30.0)]
)
def test_retry_after_is_honoured_and_capped(header: str | None, seconds: float) -> None:
    assert retry_after_seconds(header, default=0.25) == seconds


@pytest.mark.parametrize(
    ("content_type", "body", "outcome", "text"),
    [
        ("application/json", b'{"id": 5, "status": 0}', Outcome.UNKNOWN, "text that is not XML"),
        ("text/plain", (DATA / "created.xml").read_bytes(), Outcome.CREATED, "Created"),
        (
            "text/html; charset=utf-8",
            (DATA / "created.xml").read_bytes(),
            Outcome.CREATED,
            "Created",
        ),
        ("application/octet-stream", b"\x00\x01\x02garbage", Outcome.UNKNOWN, "not XML"),
    ],
)
def test_the_content_type_is_not_trusted_the_body_is_read_for_what_it_is(
    canned: type[Canned], content_type: str, body: bytes, outcome: Outcome, text: str
) -> None:
    server = canned(201, body, {"Content-Type": content_type})
    with client_for(server.url) as client:
        result = client.create_job(REQUEST)
    assert result.outcome is outcome
    assert text in result.description
