"""A connection that fails is told in plain words (host not found, refused, timed out, a
certificate not accepted) with what to check, never urllib3's "HTTPSConnectionPool(...) Max
retries exceeded ... NameResolutionError(...)"; an address without /molpro that answers 404
is told where Click2Mail's API lives."""

from __future__ import annotations

import socket

import pytest
import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.core.errors import ApiError, TransportError
from xl_mailer.core.models import JobRequest, Outcome

from ..conftest import LETTER
from .mock import FakeTime, MockTransport, Reply

REQUEST = JobRequest(2, tuple((k, str(v)) for k, v in LETTER.items()), "xlm-2611281000-aaaaaa")
LIBRARY_WORDS = ("HTTPSConnectionPool", "HTTPConnectionPool", "Max retries", "Caused by", "Error(")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stopped_message(url: str, **options: object) -> str:
    with (
        Click2MailClient(url, "u", "p", max_attempts=1, **options) as client,  # type: ignore[arg-type]
        pytest.raises(TransportError) as caught,
    ):
        client.check_credentials()
    return str(caught.value)


def plain(text: str) -> bool:
    return not any(words in text for words in LIBRARY_WORDS)


def test_a_host_that_does_not_exist_is_not_found() -> None:
    text = stopped_message("https://nonexistent.invalid/molpro")
    assert text == (
        "Cannot reach https://nonexistent.invalid/molpro: the server name nonexistent.invalid"
        " was not found; check the endpoint for a typing error, and that this computer is"
        " online"
    )


def test_a_closed_port_refuses_the_connection() -> None:
    port = closed_port()
    text = stopped_message(f"http://127.0.0.1:{port}/molpro")
    assert f"127.0.0.1 refused the connection on port {port}" in text
    assert "Check the endpoint's address and port" in text
    assert plain(text)


def test_a_connect_timeout_says_how_long_it_waited() -> None:
    url = "https://c2m.example/molpro"
    cause = ConnectTimeoutError(None, "Connection to c2m.example timed out. (connect timeout=7)")
    failure = requests.ConnectTimeout(MaxRetryError(None, url + "/credit", cause))  # type: ignore[arg-type]
    client = Click2MailClient(
        url, "u", "p", timeout=7, max_attempts=1, transport=MockTransport(failure)
    )
    with pytest.raises(TransportError) as caught:
        client.check_credentials()
    assert str(caught.value) == (
        "Cannot reach https://c2m.example/molpro: c2m.example did not answer within 7 s; check"
        " that this computer is online and that no firewall or proxy blocks it"
    )


def test_a_certificate_not_accepted_says_what_to_check() -> None:
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import trustme

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)  # a CA nobody trusts
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        text = stopped_message(f"https://127.0.0.1:{server.server_address[1]}/molpro")
    finally:
        server.shutdown()
        server.server_close()
    assert "the certificate of 127.0.0.1 was not accepted (" in text
    assert "REQUESTS_CA_BUNDLE" in text
    assert plain(text)


def test_a_create_that_could_not_connect_says_why_in_the_row() -> None:
    port = closed_port()
    client = Click2MailClient(f"http://127.0.0.1:{port}/molpro", "u", "p", max_attempts=1)
    result = client.create_job(REQUEST)
    assert result.outcome is Outcome.FAILED
    assert result.description.startswith(
        f"Not sent: could not connect to http://127.0.0.1:{port}/molpro: 127.0.0.1 refused"
        f" the connection on port {port}"
    )
    assert plain(result.description)


HTML_404 = Reply(404, b"<html><body><h1>Not Found</h1></body></html>")


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        (
            "https://stage-rest.click2mail.com",
            "Click2Mail's API address ends in /molpro: use"
            " https://stage-rest.click2mail.com/molpro as the endpoint",
        ),
        (
            "https://stage-rest.click2mail.com/api",
            "Click2Mail's API address ends in /molpro, as in"
            " https://stage-rest.click2mail.com/molpro: check the endpoint",
        ),
    ],
)
def test_an_address_without_molpro_that_answers_404_is_told_where_the_api_is(
    url: str, hint: str
) -> None:
    time = FakeTime()
    client = Click2MailClient(
        url, "u", "p", transport=MockTransport(HTML_404), sleep=time.sleep, clock=time.monotonic
    )
    with pytest.raises(ApiError) as caught:
        client.check_credentials()
    assert str(caught.value).startswith("GET /credit answered HTTP 404 with an HTML page")
    assert str(caught.value).endswith(hint)


def test_a_404_from_an_address_with_molpro_gets_no_hint() -> None:
    client = Click2MailClient(
        "https://c2m.example/molpro", "u", "p", transport=MockTransport(HTML_404)
    )
    with pytest.raises(ApiError) as caught:
        client.check_credentials()
    assert "/molpro" not in str(caught.value)
