"""What each answer from Click2Mail means: for a create, a row's outcome; for a GET, a value
or the error that stops the run. Each case keeps the answer beside what it must become."""

from __future__ import annotations

import datetime as dt

import pytest

from xl_mailer.click2mail.verdicts import Verdict, judge
from xl_mailer.click2mail.xmlanswers import parse
from xl_mailer.core.errors import ApiError, AuthenticationError
from xl_mailer.core.models import JobRequest, Outcome

from ..conftest import DATA, LETTER
from .mock import MockTransport, Reply, mock_client

REQUEST = JobRequest(row=2, params=tuple((k, str(v)) for k, v in LETTER.items()))
XML = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
CREATED = XML + b"<job><id>245985</id><status>0</status><description>Created</description></job>"
NOT_AUTHENTICATED = b"<job><status>9</status><description>Not authenticated</description></job>"


@pytest.mark.parametrize(
    ("http", "body", "outcome", "code", "text"),
    [
        (201, CREATED, Outcome.CREATED, 0, "Created"),
        (
            201,
            b'<c2m:job xmlns:c2m="urn:example:c2m"><c2m:id>77</c2m:id><c2m:status>0</c2m:status>'
            b"<c2m:description>Created</c2m:description></c2m:job>",
            Outcome.CREATED,
            0,
            "Created",
        ),
        (
            200,
            XML + b"<job><id></id><status>3</status><description/></job>",
            Outcome.FAILED,
            3,
            "Address List ID not found",
        ),
        (
            201,
            XML + b"<job><status>0</status><description>Created</description></job>",
            Outcome.UNKNOWN,
            0,
            "UNKNOWN: Click2Mail said Created",
        ),
        (
            201,
            XML + b"<job><id>245985</id><status>0</sta",
            Outcome.UNKNOWN,
            None,
            "UNKNOWN: HTTP 201 with text that is not",
        ),
        (
            200,
            XML + b"<error><message>Service unavailable</message></error>",
            Outcome.UNKNOWN,
            None,
            "UNKNOWN: HTTP 200 with a <error>",
        ),
        (
            503,
            XML + b"<error><message>Service unavailable</message></error>",
            Outcome.UNKNOWN,
            None,
            "UNKNOWN: HTTP 503 with a <error>",
        ),
        (
            500,
            XML + b"<job><id></id><status>9</status><description>Could not parse date. Please"
            b" add mailingDate parameter in form 'yyyymmdd'.</description></job>",
            Outcome.FAILED,
            9,
            "Could not parse date.",
        ),
        (
            400,
            XML + b"<job><id></id><status>9</status>"
            b'<description>=HYPERLINK("http://evil.example","click")</description></job>',
            Outcome.FAILED,
            9,
            '=HYPERLINK("http://evil',
        ),
        (502, b"", Outcome.UNKNOWN, None, "UNKNOWN: HTTP 502 with an empty body"),
        # hostile or long answers live in tests/data
        (201, (DATA / "xxe.xml").read_bytes(), Outcome.UNKNOWN, None, "DOCTYPE, refused unread"),
        (
            201,
            (DATA / "billion_laughs.xml").read_bytes(),
            Outcome.UNKNOWN,
            None,
            "DOCTYPE, refused unread",
        ),
        (
            500,
            (DATA / "html_500.html").read_bytes(),
            Outcome.UNKNOWN,
            None,
            "UNKNOWN: HTTP 500 with an HTML page",
        ),
        (
            524,
            (DATA / "html_500.html").read_bytes(),
            Outcome.UNKNOWN,
            None,
            "UNKNOWN: Click2Mail's gateway timed out",
        ),
        (
            404,
            (DATA / "html_500.html").read_bytes(),
            Outcome.FAILED,
            None,
            "HTTP 404: Click2Mail sent an HTML page",
        ),
    ],
)
def test_a_create_answer_becomes_a_clear_outcome_and_is_never_sent_twice(
    http: int, body: bytes, outcome: Outcome, code: int | None, text: str
) -> None:
    transport = MockTransport(Reply(http, body, {"Content-Type": "application/xml"}))
    result = mock_client(transport).create_job(REQUEST)
    assert (result.outcome, result.http_status, result.code) == (outcome, http, code)
    assert result.description.startswith(text) or text in result.description
    assert "root:" not in result.description and "lollol" not in result.description
    assert len(transport.sent) == 1


@pytest.mark.parametrize(
    ("content_type", "body", "outcome", "text"),
    [
        ("application/json", b'{"id": 5, "status": 0}', Outcome.UNKNOWN, "text that is not XML"),
        ("text/plain", CREATED, Outcome.CREATED, "Created"),
        ("text/html; charset=utf-8", CREATED, Outcome.CREATED, "Created"),
        ("application/octet-stream", b"\x00\x01\x02garbage", Outcome.UNKNOWN, "not XML"),
    ],
)
def test_the_content_type_is_not_trusted_the_body_is_read_for_what_it_is(
    content_type: str, body: bytes, outcome: Outcome, text: str
) -> None:
    transport = MockTransport(Reply(201, body, {"Content-Type": content_type}))
    result = mock_client(transport).create_job(REQUEST)
    assert result.outcome is outcome
    assert text in result.description


def test_a_huge_body_is_read_only_up_to_the_bound() -> None:
    transport = MockTransport(Reply(200, b"<job>" + b"x" * 5_000_000 + b"</job>"))
    result = mock_client(transport).create_job(REQUEST)
    assert result.outcome is Outcome.UNKNOWN
    assert "over 1,048,576 bytes" in result.description


CREDIT = b"<credit><balance>5.00</balance><allowNegative>false</allowNegative></credit>"
JOB_STATE = b"<job><id>7</id><status>4</status><description>AWAITING_PRODUCTION</description></job>"
NOT_FOUND = b"<job><id>7</id><status>1</status><description>Job ID not found</description></job>"
HTML = b"<html><body>Sign in</body></html>"


@pytest.mark.parametrize(
    ("call", "http", "body", "read"),
    [
        ("credit", 200, CREDIT, "5.00"),
        ("credit", 203, CREDIT, "5.00"),
        ("status", 200, JOB_STATE, "AWAITING_PRODUCTION"),
        # a job's <status> is its state, not an error flag, whatever the HTTP status says
        ("status", 404, NOT_FOUND, "Job ID not found"),
        ("status", 500, JOB_STATE, "AWAITING_PRODUCTION"),
        ("listing", 200, b"<jobs><job><id>1</id></job><job><id>2</id></job></jobs>", "1 2"),
    ],
)
def test_a_get_reads_the_answers_it_understands(
    call: str, http: int, body: bytes, read: str
) -> None:
    client = mock_client(MockTransport(Reply(http, body)))
    if call == "credit":
        assert client.check_credentials().fields["balance"] == read
    elif call == "status":
        assert client.job_status(7).fields["description"] == read
    else:
        listing = client.find_jobs(dt.date(2026, 11, 28))
        assert " ".join(job["id"] for job in listing.jobs) == read


@pytest.mark.parametrize(
    ("call", "http", "body", "error", "message"),
    [
        ("credit", 500, CREDIT, ApiError, "GET /credit answered HTTP 500 with an error"),
        ("credit", 404, HTML, ApiError, "GET /credit answered HTTP 404 with an HTML page"),
        ("credit", 200, b"", ApiError, "GET /credit answered HTTP 200 with an empty body"),
        (
            "credit",
            400,
            NOT_AUTHENTICATED,
            AuthenticationError,
            "Click2Mail refused the username or password for https://c2m.example/molpro"
            " (HTTP 400); nothing more was sent",
        ),
        ("credit", 401, b"", AuthenticationError, "refused the username or password"),
        ("status", 502, b"", ApiError, "GET /jobs/7 answered HTTP 502 with an empty body"),
        ("status", 200, HTML, ApiError, "GET /jobs/7 answered HTTP 200 with an HTML page"),
        ("status", 401, HTML, AuthenticationError, "(HTTP 401); nothing more was sent"),
        ("listing", 503, b"<jobs/>", ApiError, "GET /jobs answered HTTP 503"),
        ("listing", 204, b"", ApiError, "GET /jobs answered HTTP 204"),
        ("listing", 200, HTML, ApiError, "GET /jobs answered with a <html> document"),
        ("listing", 200, b"not xml", ApiError, "GET /jobs answered with text that is not XML"),
        (
            "listing",
            200,
            b"<jobs><status>9</status><description>Not authorized</description></jobs>",
            ApiError,
            "GET /jobs answered with a <jobs> document with status 9, not a job listing;"
            " no row was settled",
        ),
        ("listing", 200, NOT_AUTHENTICATED, AuthenticationError, "(HTTP 200); nothing more"),
    ],
)
def test_a_get_that_cannot_be_read_stops_the_run_saying_what_came(
    call: str, http: int, body: bytes, error: type[ApiError], message: str
) -> None:
    client = mock_client(MockTransport(Reply(http, body)))
    with pytest.raises(ApiError) as caught:
        if call == "credit":
            client.check_credentials()
        elif call == "status":
            client.job_status(7)
        else:
            client.find_jobs(dt.date(2026, 11, 28))
    assert type(caught.value) is error
    assert message in str(caught.value)
    assert caught.value.http_status == http


def test_after_a_refused_login_the_client_sends_nothing_more() -> None:
    transport = MockTransport(Reply(400, NOT_AUTHENTICATED), Reply(201, CREATED))
    client = mock_client(transport)
    with pytest.raises(AuthenticationError):
        client.create_job(REQUEST)  # a refused login is never a row's outcome
    with pytest.raises(AuthenticationError, match="nothing more was sent"):
        client.create_job(REQUEST)
    with pytest.raises(AuthenticationError):
        client.check_credentials()
    assert len(transport.sent) == 1


@pytest.mark.parametrize(
    ("http", "body", "verdict"),
    [
        (401, b"", Verdict.REFUSED),
        (200, NOT_AUTHENTICATED, Verdict.REFUSED),
        (
            400,
            NOT_AUTHENTICATED.replace(b"Not authenticated", b"NOT AUTHENTICATED "),
            Verdict.REFUSED,
        ),
        (400, NOT_AUTHENTICATED.replace(b"<status>9", b"<status>1"), Verdict.ERROR),
        (429, b"Too Many Requests", Verdict.THROTTLED),
        (404, b"", Verdict.ERROR),
        (500, CREATED, Verdict.ERROR),
        (200, CREDIT, Verdict.OK),
        (201, CREATED, Verdict.OTHER),
        (302, b"", Verdict.OTHER),
    ],
)
def test_the_table_gives_each_answer_one_meaning(http: int, body: bytes, verdict: Verdict) -> None:
    document = parse(body) if body.startswith(b"<") else None
    assert judge(http, document).verdict is verdict
