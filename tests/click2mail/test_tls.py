"""A TLS failure once the request has been written: the job may exist, so the row is UNKNOWN
and the request is never sent again (a real TLS server on 127.0.0.1, trusted through a
corporate-style CA bundle)."""

from __future__ import annotations

import os
import socket
import ssl
import threading
from pathlib import Path

import pytest
import trustme

from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.core.models import JobRequest, Outcome

from ..conftest import LETTER

REQUEST = JobRequest(2, tuple((k, str(v)) for k, v in LETTER.items()), "xlm-2611281000-aaaaaa")


def test_a_tls_error_after_the_request_was_written_is_unknown_and_never_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    posts: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            tls = context.wrap_socket(raw, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                data += tls.recv(65536)
            posts.append(data)  # the whole request arrived: a job would be made here
            plain = socket.socket(fileno=tls.detach())
            plain.sendall(b"\x17\x03\x03\x00\x20" + os.urandom(32))  # a corrupt TLS record
            plain.close()

    threading.Thread(target=serve, daemon=True).start()
    port = listener.getsockname()[1]
    client = Click2MailClient(
        f"https://localhost:{port}/molpro", "u", "p", timeout=5, sleep=lambda s: None
    )
    result = client.create_job(REQUEST)
    listener.close()
    assert len(posts) == 1
    assert result.outcome is Outcome.UNKNOWN
