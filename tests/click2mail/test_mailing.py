"""The whole mailing's calls, answered from memory: each answer Click2Mail documents (and the
odd, hostile and lost ones) beside what it must become, and how often each call is sent."""

from __future__ import annotations

import email.parser
import email.policy
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from xl_mailer.click2mail import mailing as mailing_module
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.core.calls import CallOutcome
from xl_mailer.core.errors import ApiError, AuthenticationError, TransportError

from ..conftest import DATA
from .mock import BASE_URL, FakeTime, MockTransport, Reply, mock_client

XML = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
HTML = (DATA / "html_500.html").read_bytes()
XXE = (DATA / "xxe.xml").read_bytes()
LAUGHS = (DATA / "billion_laughs.xml").read_bytes()
READ_TIMEOUT = requests.ReadTimeout("read timed out")
BROKEN = requests.ConnectionError("('Connection aborted.', RemoteDisconnected())")
REFUSED = requests.ConnectionError("NewConnectionError: [Errno 111] Connection refused")


def mailing(*answers: Reply | BaseException, time: FakeTime | None = None) -> Mailing:
    return Mailing(mock_client(MockTransport(*answers), time, max_attempts=3))


def sent(calls: Mailing) -> list[requests.PreparedRequest]:
    transport = calls.client.transport
    assert isinstance(transport, MockTransport)
    return transport.sent


def doc(root: str, **fields: object) -> bytes:
    inner = "".join(f"<{name}>{value}</{name}>" for name, value in fields.items())
    return XML + f"<{root}>{inner}</{root}>".encode()


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "lettre d'été & <co>.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 300 + b"\n%%EOF\n")
    return path


# -- POST /documents -----------------------------------------------------------------------


def test_an_upload_is_multipart_with_the_file_streamed_under_its_length(pdf: Path) -> None:
    calls = mailing(Reply(201, doc("document", id=501, status=0, description="Success")))
    result = calls.upload_document("April letter", "Letter 8.5 x 11", "PDF", pdf)
    assert (result.outcome, result.id, result.description) == (CallOutcome.CREATED, 501, "Success")
    [request] = sent(calls)
    assert (request.method, request.url) == ("POST", BASE_URL + "/documents")
    assert not isinstance(request.body, bytes | str)  # chunks from the file, not one block
    body = b"".join(request.body)  # type: ignore[arg-type]
    assert request.headers["Content-Length"] == str(len(body))
    assert "Transfer-Encoding" not in request.headers
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + request.headers["Content-Type"].encode() + b"\r\n\r\n" + body
    )
    parts = {
        part.get_param("name", header="content-disposition"): part for part in message.iter_parts()
    }
    assert list(parts) == ["documentName", "documentFormat", "documentClass", "file"]
    assert parts["documentName"].get_content() == "April letter"
    assert parts["documentClass"].get_content() == "Letter 8.5 x 11"
    assert parts["file"].get_content_type() == "application/pdf"
    assert parts["file"].get_payload(decode=True) == pdf.read_bytes()
    assert parts["file"].get_filename() == "lettre d'été & <co>.pdf"


@pytest.mark.parametrize(
    ("http", "body", "outcome", "text"),
    [
        (
            201,
            doc("document", id=7, status=0, description="Success"),
            CallOutcome.CREATED,
            "Success",
        ),
        (
            200,
            doc("document", id=7, status=0, description="Success"),
            CallOutcome.CREATED,
            "Success",
        ),
        (
            200,
            doc("document", status=9, description="Invalid format"),
            CallOutcome.FAILED,
            "Invalid format",
        ),
        (
            400,
            doc("document", status=9, description="documentClass missing"),
            CallOutcome.FAILED,
            "documentClass missing",
        ),
        (400, HTML, CallOutcome.FAILED, "HTTP 400: Click2Mail sent an HTML page"),
        (413, b"", CallOutcome.FAILED, "HTTP 413: Click2Mail sent an empty body"),
        (
            201,
            doc("document", status=0, description="Success"),
            CallOutcome.UNKNOWN,
            "UNKNOWN: Click2Mail said Success but sent no id",
        ),
        (
            201,
            XML + b"<document><id>7</id><sta",
            CallOutcome.UNKNOWN,
            "UNKNOWN: HTTP 201 with text that is not XML",
        ),
        (
            200,
            doc("job", status=0, description="Created"),
            CallOutcome.UNKNOWN,
            "UNKNOWN: HTTP 200 with a <job>",
        ),
        (
            500,
            doc("document", id=7, status=9, description="Oops"),
            CallOutcome.UNKNOWN,
            "names document 7",
        ),
        (500, HTML, CallOutcome.UNKNOWN, "UNKNOWN: HTTP 500 with an HTML page"),
        (502, b"", CallOutcome.UNKNOWN, "UNKNOWN: HTTP 502 with an empty body"),
        (524, HTML, CallOutcome.UNKNOWN, "UNKNOWN: Click2Mail's gateway timed out"),
        (201, XXE, CallOutcome.UNKNOWN, "DOCTYPE, refused unread"),
        (201, LAUGHS, CallOutcome.UNKNOWN, "DOCTYPE, refused unread"),
        (429, b"", CallOutcome.FAILED, "Refused: Click2Mail kept answering 429"),
    ],
)
def test_an_upload_answer_becomes_a_clear_outcome(
    pdf: Path, http: int, body: bytes, outcome: CallOutcome, text: str
) -> None:
    calls = mailing(Reply(http, body))
    result = calls.upload_document("d", "Letter 8.5 x 11", "PDF", pdf)
    assert (result.outcome, result.http_status) == (outcome, http)
    assert text in result.description
    assert "lollol" not in result.description
    assert len(sent(calls)) == (3 if http == 429 else 1)  # only a 429 is asked again
    if outcome is CallOutcome.UNKNOWN:
        assert "may exist at Click2Mail" in result.description


@pytest.mark.parametrize(
    ("failure", "outcome", "tries", "text"),
    [
        (REFUSED, CallOutcome.FAILED, 3, "Not sent: could not connect"),
        (requests.ConnectTimeout("connect timed out"), CallOutcome.FAILED, 3, "Not sent"),
        (READ_TIMEOUT, CallOutcome.UNKNOWN, 1, "UNKNOWN: no answer within 60 s"),
        (BROKEN, CallOutcome.UNKNOWN, 1, "UNKNOWN: the connection broke after"),
    ],
)
def test_an_upload_is_sent_again_only_when_it_provably_never_left(
    pdf: Path, failure: BaseException, outcome: CallOutcome, tries: int, text: str
) -> None:
    calls = mailing(failure)
    result = calls.upload_document("d", "Letter 8.5 x 11", "PDF", pdf)
    assert result.outcome is outcome
    assert result.description.startswith(text)
    assert len(sent(calls)) == tries


def test_an_upload_answered_429_waits_and_sends_the_whole_file_again(pdf: Path) -> None:
    time = FakeTime()
    calls = mailing(
        Reply(429, b"", {"Retry-After": "2"}),
        Reply(201, doc("document", id=8, status=0, description="Success")),
        time=time,
    )
    result = calls.upload_document("d", "Letter 8.5 x 11", "PDF", pdf)
    assert (result.outcome, result.id, sum(time.slept)) == (CallOutcome.CREATED, 8, 2.0)
    first, second = (b"".join(request.body) for request in sent(calls))  # type: ignore[arg-type]
    assert first == second and pdf.read_bytes() in second


@pytest.mark.parametrize("name", ["missing.pdf", "."])
def test_an_upload_of_a_missing_file_or_a_folder_is_refused_before_sending(
    tmp_path: Path, name: str
) -> None:
    calls = mailing(Reply(201, doc("document", id=1, status=0)))
    result = calls.upload_document("d", "Letter 8.5 x 11", "PDF", tmp_path / name)
    assert result.outcome is CallOutcome.FAILED
    assert result.description.startswith("Not sent: cannot read")
    assert sent(calls) == []


def test_a_refused_login_on_an_upload_stops_the_client(pdf: Path) -> None:
    calls = mailing(Reply(401, b""))
    with pytest.raises(AuthenticationError):
        calls.upload_document("d", "Letter 8.5 x 11", "PDF", pdf)
    with pytest.raises(AuthenticationError):
        calls.submit_job(5, "User Credit")
    assert len(sent(calls)) == 1


# -- POST /addressLists ----------------------------------------------------------------------

ADDRESS = {"Firstname": "Ann", "Address1": "1 Main St", "City": "Boston", "State": "MA"}


def test_an_address_list_is_an_xml_post() -> None:
    calls = mailing(Reply(201, doc("addressList", id=31, status=0, description="Uploaded")))
    result = calls.create_address_list("april", [ADDRESS])
    assert (result.outcome, result.id, result.description) == (
        CallOutcome.CREATED,
        31,
        "Uploaded",
    )
    [request] = sent(calls)
    assert (request.method, request.url) == ("POST", BASE_URL + "/addressLists")
    assert request.headers["Content-Type"] == "application/xml"
    assert isinstance(request.body, bytes)
    assert b"<addressListName>april</addressListName>" in request.body
    assert b"<addressMappingId>1</addressMappingId>" in request.body
    assert b"<Address1>1 Main St</Address1><Address2></Address2>" in request.body


@pytest.mark.parametrize(
    ("http", "body", "outcome", "list_id", "text"),
    [
        (
            201,
            doc("addressList", id=31, status=0, description="Uploaded"),
            CallOutcome.CREATED,
            31,
            "Uploaded",
        ),
        (
            200,
            doc("addressList", id=31, status=3, description="CASS Standardized"),
            CallOutcome.CREATED,
            31,
            "CASS",
        ),
        (
            201,
            doc("addressList", id=31, status=9, description="Error"),
            CallOutcome.FAILED,
            31,
            "Address list 31 was made but Click2Mail says Error",
        ),
        (
            400,
            doc("addressList", status=9, description="Invalid XML"),
            CallOutcome.FAILED,
            None,
            "Invalid XML",
        ),
        (
            200,
            doc("addressList", status=9, description="Mapping not found"),
            CallOutcome.FAILED,
            None,
            "Mapping not found",
        ),
        (500, HTML, CallOutcome.UNKNOWN, None, "The address list may exist at Click2Mail"),
        (524, b"", CallOutcome.UNKNOWN, None, "gateway timed out"),
    ],
)
def test_an_address_list_answer_becomes_a_clear_outcome(
    http: int, body: bytes, outcome: CallOutcome, list_id: int | None, text: str
) -> None:
    calls = mailing(Reply(http, body))
    result = calls.create_address_list("april", [ADDRESS])
    assert (result.outcome, result.id) == (outcome, list_id)
    assert text in result.description
    assert len(sent(calls)) == 1


@pytest.mark.parametrize(
    ("failure", "outcome", "tries"),
    [(REFUSED, CallOutcome.FAILED, 3), (READ_TIMEOUT, CallOutcome.UNKNOWN, 1)],
)
def test_a_lost_address_list_is_never_sent_again(
    failure: BaseException, outcome: CallOutcome, tries: int
) -> None:
    calls = mailing(failure)
    assert calls.create_address_list("april", [ADDRESS]).outcome is outcome
    assert len(sent(calls)) == tries


@pytest.mark.parametrize(
    ("name", "addresses", "text"),
    [
        ("april", [], "Not sent: the list has no addresses"),
        ("  ", [ADDRESS], "Not sent: the list has no name"),
        ("apr\x00il", [ADDRESS], "the list's name: character U+0000 cannot be sent in XML"),
        (
            "april",
            [ADDRESS, {**ADDRESS, "City": "Bos\x0bton"}],
            "recipient 2's City: character U+000B",
        ),
        (
            "april",
            [{**ADDRESS, "Postalcode": 2134.0}],
            "recipient 1's Postalcode is float, not text",
        ),
        (
            "april",
            [{**ADDRESS, "PostalCode": "02134"}],
            "recipient 1 has fields mapping 1 does not: PostalCode",
        ),
        ("april", [{**ADDRESS, "City": "\ud800"}], "character U+D800"),
    ],
)
def test_an_address_list_that_cannot_be_sent_is_refused_before_sending(
    name: str, addresses: list[dict[str, object]], text: str
) -> None:
    calls = mailing(Reply(201, doc("addressList", id=1, status=0)))
    result = calls.create_address_list(name, addresses)  # type: ignore[arg-type]
    assert result.outcome is CallOutcome.FAILED
    assert text in result.description
    assert sent(calls) == []


def test_an_unknown_address_mapping_is_a_wrong_option() -> None:
    with pytest.raises(ValueError, match="mapping_id 7 is not one of 1, 2"):
        mailing(Reply(201, b"")).create_address_list("april", [ADDRESS], mapping_id=7)


# -- GET /addressLists/{id} and the wait -------------------------------------------------------


def list_status(code: int, text: str) -> Reply:
    return Reply(200, doc("addressList", id=31, status=code, description=text))


def test_the_wait_polls_until_the_list_is_ready_and_reports_progress() -> None:
    time = FakeTime()
    seen: list[tuple[str, float]] = []
    calls = mailing(
        list_status(0, "Uploaded"),
        list_status(1, "Mapped"),
        list_status(3, "CASS Standardized"),
        time=time,
    )
    status = calls.wait_for_address_list(
        31, timeout=60, poll=5, progress=lambda s, waited: seen.append((s.name, waited))
    )
    assert (status.ready, status.failed, status.code) == (True, False, 3)
    assert seen == [("Uploaded", 0.0), ("Mapped", 5.0), ("CASS Standardized", 10.0)]
    assert time.slept == [5, 5]
    assert [r.url for r in sent(calls)] == [BASE_URL + "/addressLists/31"] * 3


def test_the_wait_stops_at_an_error() -> None:
    status = mailing(list_status(0, "Uploaded"), list_status(9, "")).wait_for_address_list(
        31, timeout=60, poll=5
    )
    assert (status.failed, status.settled, status.name) == (True, True, "Error")


def test_the_wait_is_bounded_and_says_the_list_is_not_settled() -> None:
    time = FakeTime()
    calls = mailing(list_status(1, "Mapped"), time=time)
    status = calls.wait_for_address_list(31, timeout=12, poll=5)
    assert (status.settled, status.name) == (False, "Mapped")
    assert (time.slept, len(sent(calls))) == ([5, 5, 2], 4)


@pytest.mark.parametrize(("timeout", "poll"), [(0, 5), (10, 0), (-1, 5)])
def test_the_wait_needs_positive_seconds(timeout: float, poll: float) -> None:
    with pytest.raises(ValueError, match="must be positive seconds"):
        mailing(list_status(3, "")).wait_for_address_list(31, timeout=timeout, poll=poll)


@pytest.mark.parametrize(
    ("answers", "tries"),
    [
        ((READ_TIMEOUT, list_status(3, "CASS Standardized")), 2),
        ((BROKEN, list_status(3, "CASS Standardized")), 2),
        ((Reply(503, b""), list_status(3, "CASS Standardized")), 2),
        ((Reply(524, HTML), list_status(3, "CASS Standardized")), 2),
        ((Reply(429, b""), list_status(3, "CASS Standardized")), 2),
    ],
)
def test_a_read_is_asked_again_after_any_failure(
    answers: tuple[Reply | BaseException, ...], tries: int
) -> None:
    calls = mailing(*answers)
    assert calls.address_list_status(31).ready
    assert len(sent(calls)) == tries


def test_a_read_that_never_gets_an_answer_stops_with_a_transport_error() -> None:
    calls = mailing(READ_TIMEOUT)
    with pytest.raises(TransportError, match="no answer within 60 s"):
        calls.address_list_status(31)
    assert len(sent(calls)) == 3  # max_attempts


@pytest.mark.parametrize(
    ("http", "body", "error", "text"),
    [
        (
            404,
            doc("addressList", status=1, description="Address List ID not found"),
            ApiError,
            "'Address List ID not found'",
        ),
        (500, HTML, ApiError, "HTTP 500 with an HTML page"),
        (200, XXE, ApiError, "DOCTYPE, refused unread"),
        (200, LAUGHS, ApiError, "DOCTYPE, refused unread"),
        (401, b"", AuthenticationError, "refused the username or password"),
    ],
)
def test_a_list_status_that_cannot_be_read_raises_with_the_facts(
    http: int, body: bytes, error: type[ApiError], text: str
) -> None:
    with pytest.raises(error, match=text.replace("(", r"\(")) as caught:
        mailing(Reply(http, body)).address_list_status(31)
    assert caught.value.http_status == http


# -- GET /jobs/{id} and /cost ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "editing"),
    [
        (9, "Editing", True),
        (9, "EDITING", True),
        (9, "", True),  # 9 = Editing [L]
        (4, "Awaiting Production", False),
        (None, "ORDER_SUBMITTED", False),
        (4, "", False),
        (None, "", None),
    ],
)
def test_a_job_state_is_read_by_its_name_before_its_code(
    code: int | None, text: str, editing: bool | None
) -> None:
    fields = {"id": 5, "description": text} | ({"status": code} if code is not None else {})
    state = mailing(Reply(200, doc("job", **fields))).job_state(5)
    assert (state.job_id, state.code, state.name, state.editing) == (5, code, text, editing)


def test_a_job_that_is_not_found_has_no_state() -> None:
    calls = mailing(Reply(200, doc("job", status=1, description="Job ID not found")))
    with pytest.raises(ApiError, match="answered 'Job ID not found'"):
        calls.job_state(5)


def test_job_status_still_returns_the_document() -> None:
    calls = mailing(Reply(200, doc("job", id=5, status=9, description="Editing")))
    assert calls.client.job_status(5).fields["description"] == "Editing"


@pytest.mark.parametrize(
    ("cost", "tax", "amount", "total"),
    [
        ("12.34", "0.56", Decimal("12.34"), Decimal("12.90")),
        ("$1,234.50", "", Decimal("1234.50"), Decimal("1234.50")),
        (" 0.00 ", "0", Decimal("0.00"), Decimal("0.00")),
    ],
)
def test_a_cost_is_decimal_and_its_status_is_the_job_state(
    cost: str, tax: str, amount: Decimal, total: Decimal
) -> None:
    answer = doc("job", id=5, status=9, description="Editing", cost=cost, totalTax=tax)
    calls = mailing(Reply(200, answer))
    priced = calls.job_cost(5)
    assert (priced.amount, priced.total, priced.state.editing) == (amount, total, True)
    assert sent(calls)[0].url == BASE_URL + "/jobs/5/cost"


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            doc("job", status=1, description="Job ID not found"),
            "without a readable cost (Job ID not found)",
        ),
        (doc("job", id=5, status=9, cost="abc"), "without a readable cost"),
        (doc("job", id=5, status=9, cost="NaN"), "without a readable cost"),
        (doc("job", id=5, status=9, cost="1.00", totalTax="Infinity"), "without a readable cost"),
        (XXE, "DOCTYPE"),
    ],
)
def test_a_cost_that_cannot_be_read_raises(body: bytes, text: str) -> None:
    with pytest.raises(ApiError, match=text.replace("(", r"\(").replace(")", r"\)")):
        mailing(Reply(200, body)).job_cost(5)


# -- POST /jobs/{id}/submit --------------------------------------------------------------------


def test_a_submit_is_a_form_post_naming_the_billing_type() -> None:
    calls = mailing(Reply(200, doc("job", id=5, status=0, description="Success")))
    result = calls.submit_job(5.0, "User Credit")  # type: ignore[arg-type]  # as Excel gives it
    assert (result.outcome, result.description) == (CallOutcome.SUBMITTED, "Success")
    [request] = sent(calls)
    assert (request.method, request.url) == ("POST", BASE_URL + "/jobs/5/submit")
    assert request.body == "billingType=User+Credit"


@pytest.mark.parametrize(
    ("http", "body", "outcome", "text"),
    [
        (200, doc("job", id=5, status=0, description="Success"), CallOutcome.SUBMITTED, "Success"),
        (
            200,
            doc("job", status=1, description="Job ID not found"),
            CallOutcome.FAILED,
            "Job ID not found",
        ),
        (
            200,
            doc("job", id=5, status=2, description="payment not authorized"),
            CallOutcome.FAILED,
            "payment not authorized",
        ),
        (
            400,
            doc("job", status=9, description="Job with Id 5 is in impermissible state"),
            CallOutcome.SUBMITTED,
            "Already submitted (Click2Mail: Job with Id 5 is in impermissible state)",
        ),
        (
            400,
            doc("job", status=9, description="Insufficient credit"),
            CallOutcome.FAILED,
            "Insufficient credit",
        ),
        (400, HTML, CallOutcome.FAILED, "HTTP 400: Click2Mail sent an HTML page"),
        (200, HTML, CallOutcome.UNKNOWN, "UNKNOWN: HTTP 200 with an HTML page"),
        (
            200,
            doc("submit", status=0),
            CallOutcome.UNKNOWN,
            "UNKNOWN: HTTP 200 with a <submit> document",
        ),
        (
            500,
            doc("job", status=9, description="Server error"),
            CallOutcome.UNKNOWN,
            "UNKNOWN: HTTP 500",
        ),
        (524, HTML, CallOutcome.UNKNOWN, "gateway timed out"),
        (200, LAUGHS, CallOutcome.UNKNOWN, "DOCTYPE, refused unread"),
        (429, b"", CallOutcome.FAILED, "kept answering 429"),
    ],
)
def test_a_submit_answer_becomes_a_clear_outcome(
    http: int, body: bytes, outcome: CallOutcome, text: str
) -> None:
    calls = mailing(Reply(http, body))
    result = calls.submit_job(5, "User Credit")
    assert (result.outcome, result.http_status) == (outcome, http)
    assert text in result.description
    assert len(sent(calls)) == (3 if http == 429 else 1)
    if outcome is CallOutcome.UNKNOWN:
        assert "do not submit it again" in result.description


@pytest.mark.parametrize(
    ("failure", "outcome", "tries", "text"),
    [
        (REFUSED, CallOutcome.FAILED, 3, "Not sent: could not connect"),
        (READ_TIMEOUT, CallOutcome.UNKNOWN, 1, "UNKNOWN: no answer within 60 s"),
        (BROKEN, CallOutcome.UNKNOWN, 1, "UNKNOWN: the connection broke after"),
        (
            requests.exceptions.SSLError("[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC]"),
            CallOutcome.UNKNOWN,
            1,
            "UNKNOWN",
        ),
    ],
)
def test_a_lost_submit_is_never_sent_again(
    failure: BaseException, outcome: CallOutcome, tries: int, text: str
) -> None:
    calls = mailing(failure)
    result = calls.submit_job(5, "User Credit")
    assert result.outcome is outcome
    assert result.description.startswith(text)
    assert len(sent(calls)) == tries


def test_a_submit_answered_429_is_sent_again_after_the_pause() -> None:
    time = FakeTime()
    calls = mailing(
        Reply(429, b"", {"Retry-After": "1"}),
        Reply(200, doc("job", id=5, status=0, description="Success")),
        time=time,
    )
    assert calls.submit_job(5, "User Credit").outcome is CallOutcome.SUBMITTED
    assert (len(sent(calls)), sum(time.slept)) == (2, 1.0)


# -- GET /jobs/{id}/tracking -------------------------------------------------------------------

PIECES = XML + (
    b"<tracking><status>0</status><description>Success</description><mailpieces>"
    b"<mailpiece><barcode>A1</barcode><status>Arrived at Recipient PO</status>"
    b"<statusDate>2026-12-02T09:10:00</statusDate></mailpiece>"
    b"<mailpiece><barcode>A2</barcode><status>Processed</status>"
    b"<statusDate>2026-11-30T09:10:00</statusDate></mailpiece>"
    b"<mailpiece><barcode>A3</barcode><status></status></mailpiece>"
    b"</mailpieces></tracking>"
)
DETAILS = XML + (
    b"<tracking><status>0</status><totalPieces>250</totalPieces><trackingDetails>"
    + b"".join(
        b"<trackingDetail><barCode>B%d</barCode><scanStatus>Origin Acceptance</scanStatus>"
        b"<scanDateTime>11/29/2026 08:00:00 AM</scanDateTime></trackingDetail>" % n
        for n in range(211)
    )
    + b"<trackingDetail><barCode>B0</barCode><scanStatus>Delivered</scanStatus>"
    b"<scanDateTime>12/03/2026 01:15:00 PM</scanDateTime></trackingDetail>"
    b"<trackingDetail><barCode>B300</barCode><scanStatus>Arrived at Recipient PO</scanStatus>"
    b"<scanDateTime>12/02/2026 01:15:00 PM</scanDateTime></trackingDetail>"
    b"</trackingDetails></tracking>"
)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (PIECES, "2 of 3 pieces scanned; latest: Arrived at Recipient PO, 2026-12-02"),
        (DETAILS, "212 of 250 pieces scanned; latest: Delivered, 2026-12-03"),
        (
            doc("tracking", status=0, description="No tracking data"),
            "No pieces scanned yet (No tracking data)",
        ),
        (
            XML + b"<tracking><item><status>In transit</status><date>junk</date></item></tracking>",
            "1 piece scanned; latest: In transit, junk",
        ),
    ],
)
def test_tracking_reads_pieces_scanned_and_the_latest_scan_whatever_its_shape(
    body: bytes, text: str
) -> None:
    calls = mailing(Reply(200, body))
    assert calls.job_tracking(5).text == text
    assert sent(calls)[0].url == BASE_URL + "/jobs/5/tracking?trackingType=IMB"


def test_hostile_tracking_is_refused_unread() -> None:
    with pytest.raises(ApiError, match="DOCTYPE"):
        mailing(Reply(200, LAUGHS)).job_tracking(5)


# -- proofs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("http", "body", "outcome", "proof_id"),
    [
        (201, doc("job", id=77, status=0, description="Success"), CallOutcome.CREATED, 77),
        (201, doc("proof", id=78), CallOutcome.CREATED, 78),
        (200, doc("job", status=1, description="Job ID not found"), CallOutcome.FAILED, None),
        (400, doc("job", status=9, description="Job is not in Editing"), CallOutcome.FAILED, None),
        (500, HTML, CallOutcome.UNKNOWN, None),
    ],
)
def test_a_proof_answer_becomes_a_clear_outcome(
    http: int, body: bytes, outcome: CallOutcome, proof_id: int | None
) -> None:
    calls = mailing(Reply(http, body))
    result = calls.create_proof(5)
    assert (result.outcome, result.id) == (outcome, proof_id)
    assert [(r.method, r.url) for r in sent(calls)] == [("POST", BASE_URL + "/jobs/5/proof")]


def test_a_lost_proof_request_is_not_sent_again() -> None:
    calls = mailing(READ_TIMEOUT)
    assert calls.create_proof(5).outcome is CallOutcome.UNKNOWN
    assert len(sent(calls)) == 1


def test_a_proof_pdf_is_read_as_bytes() -> None:
    body = b"%PDF-1.7\n" + b"\x00\xff" * 50_000 + b"%%EOF"
    calls = mailing(Reply(200, body, {"Content-Type": "application/pdf"}))
    assert calls.proof_pdf(5, 77) == body
    [request] = sent(calls)
    assert request.url == BASE_URL + "/jobs/5/proof/77"
    assert request.headers["Accept"].startswith("application/pdf")


@pytest.mark.parametrize(
    ("http", "body", "text"),
    [
        (200, HTML, "HTTP 200 with no PDF: '<!DOCTYPE html>"),
        (
            200,
            doc("job", status=9, description="Proof not ready"),
            "Click2Mail said 'Proof not ready'",
        ),
        (200, b"", "with no PDF: ''"),
        (200, b"PDF-1.4 almost", "with no PDF"),
        (404, doc("job", status=1, description="Proof not found"), "HTTP 404 with no PDF"),
    ],
)
def test_a_proof_that_is_not_a_pdf_is_refused(http: int, body: bytes, text: str) -> None:
    with pytest.raises(ApiError) as caught:
        mailing(Reply(http, body)).proof_pdf(5, 77)
    assert text in str(caught.value)


def test_a_proof_over_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mailing_module, "PROOF_MAX_BYTES", 1000)
    with pytest.raises(ApiError, match="over 1,000 bytes"):
        mailing(Reply(200, b"%PDF-1.4" + b"x" * 5000)).proof_pdf(5, 77)
