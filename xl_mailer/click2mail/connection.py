"""Open a client for an endpoint name: resolve it, find credentials, start a sandbox when asked."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from xl_mailer.click2mail import credentials, endpoints
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.endpoints import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from xl_mailer.sandbox import Sandbox


@dataclass
class Connection:
    client: Click2MailClient
    label: str
    sandbox: Sandbox | None = None  # the embedded one, when the endpoint is "sandbox"


endpoint_name = endpoints.chosen


@contextmanager
def connect(
    endpoint: str,
    *,
    username: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = 4,
) -> Iterator[Connection]:
    """Yield a connected client; raises ConfigurationError before any network traffic."""
    sandbox: Sandbox | None = None
    if endpoint.strip().lower() == endpoints.SANDBOX:
        from xl_mailer.sandbox import Sandbox  # the practice wing, started only when asked for

        sandbox = Sandbox().start()
        base_url, label = sandbox.url, "sandbox"
        user = os.environ.get("C2M_USERNAME") or sandbox.config.username
        password = os.environ.get("C2M_PASSWORD") or sandbox.config.password
        found = credentials.Credentials(user, password)
    else:
        base_url = endpoints.resolve(endpoint)
        label = endpoints.label(base_url)
        found = credentials.find(base_url, username=username, endpoint_label=label)
    client = Click2MailClient(
        base_url, found.username, found.password, timeout=timeout, pool_size=concurrency
    )
    try:
        yield Connection(client=client, label=label, sandbox=sandbox)
    finally:
        client.close()
        if sandbox is not None:
            sandbox.stop()
