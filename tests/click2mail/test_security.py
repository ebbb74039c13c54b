"""Secrets never leave the keyring or the environment; transport is encrypted and verified."""

from __future__ import annotations

import io
import logging
import ssl
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.credentials import Credentials
from xl_mailer.click2mail.endpoints import resolve
from xl_mailer.core.errors import ConfigurationError, InsecureEndpoint, TransportError
from xl_mailer.core.models import JobRequest, Outcome
from xl_mailer.engine.journal import journal_path
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox, SandboxConfig

from ..conftest import LETTER, write_book

SECRET = "Tr0ub4dor&3-not-for-logs"


def everything_in(path: Path) -> bytes:
    """Every byte of every part of a workbook, uncompressed."""
    with zipfile.ZipFile(path) as package:
        return b"".join(package.read(name) for name in package.namelist())


@pytest.mark.parametrize("password_ok", [True, False])
def test_the_password_is_nowhere_in_output_logs_workbook_or_journal(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    password_ok: bool,
) -> None:
    with Sandbox(SandboxConfig(password=SECRET, fault="drop", fault_every=2)) as box:
        monkeypatch.setenv("C2M_ENDPOINT", box.url)
        monkeypatch.setenv("C2M_USERNAME", "sandbox")
        monkeypatch.setenv("C2M_PASSWORD", SECRET if password_ok else SECRET + "x")
        path = write_book(tmp_path / "jobs.xlsx", [LETTER, LETTER, {**LETTER, "layout": None}])
        out = io.StringIO()
        with caplog.at_level(logging.DEBUG):
            code = main(["-v", "run", str(path)], out=out)
        assert code == (1 if password_ok else 2)
        captured = capfd.readouterr()
        texts = [
            out.getvalue(),
            captured.out,
            captured.err,
            caplog.text,
            *(repr(r.__dict__) for r in caplog.records),
        ]
        assert caplog.records  # verbose output was produced and is checked
        for text in texts:
            assert SECRET not in text
        assert SECRET.encode() not in everything_in(path)
        journal = journal_path(path)
        if journal.exists():
            assert SECRET.encode() not in journal.read_bytes()
        assert "Authorization" not in caplog.text


def test_errors_and_reprs_never_show_the_password() -> None:
    assert SECRET not in repr(Credentials("u", SECRET))
    client = Click2MailClient("http://127.0.0.1:9/molpro", "u", SECRET, max_attempts=1)
    result = client.create_job(JobRequest(2, (("documentId", "1"),)))
    assert result.outcome is Outcome.FAILED
    assert SECRET not in result.description
    with pytest.raises(Exception) as caught:
        client.check_credentials()
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://rest.click2mail.com/molpro",
        "http://10.0.0.8/molpro",
        "http://c2m.corp.example/molpro",
    ],
)
def test_plain_http_to_another_machine_is_refused(url: str) -> None:
    with pytest.raises(InsecureEndpoint, match="would cross the network unencrypted"):
        resolve(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/molpro",
        "http://localhost/molpro",
        "http://[::1]:8080/molpro",
        "https://c2m.corp.example/molpro",
    ],
)
def test_https_anywhere_and_http_to_this_machine_are_allowed(url: str) -> None:
    assert resolve(url) == url


def test_credentials_in_the_url_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="must not carry a username or password"):
        resolve(f"https://ops:{SECRET}@rest.click2mail.com/molpro")


@pytest.fixture(scope="module")
def tls_server() -> Iterator[tuple[str, trustme.CA]]:
    """An HTTPS server on loopback whose certificate a private CA signed."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = b"<credit><balance>5.00</balance></credit>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/molpro", ca
    server.shutdown()
    server.server_close()


def test_certificate_verification_stays_on(tls_server: tuple[str, trustme.CA]) -> None:
    url, _ = tls_server
    with (
        Click2MailClient(url, "u", "p", max_attempts=1) as client,
        pytest.raises(TransportError, match="Cannot reach .*the certificate of 127.0.0.1 was not"),
    ):
        client.check_credentials()


def test_a_corporate_ca_bundle_is_honoured(
    tls_server: tuple[str, trustme.CA], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca = tls_server
    bundle = tmp_path / "corporate-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with Click2MailClient(url, "u", "p", max_attempts=1) as client:
        assert client.check_credentials().fields["balance"] == "5.00"


def test_calls_go_through_the_proxy_the_environment_names(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, sandbox.url.removesuffix("/molpro"))
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "")
    request = JobRequest(2, tuple((k, str(v)) for k, v in LETTER.items()))
    # nothing listens on the endpoint itself: only the proxy can have made the job
    with Click2MailClient(
        "http://127.0.0.1:9/molpro", "sandbox", sandbox.config.password, max_attempts=1
    ) as client:
        result = client.create_job(request)
    assert result.outcome is Outcome.CREATED
    assert result.job_id in sandbox.state.jobs
