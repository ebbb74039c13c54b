"""A failed connection in words a person can act on: host not found, connection refused,
timed out, a certificate problem; never urllib3's "HTTPSConnectionPool(...) Max retries
exceeded (Caused by NameResolutionError(...))".

Reads the chain of causes the HTTP library keeps (the operating system's error is at its
end) and, failing that, the words of the error; imports no HTTP library itself.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it was raised from or during, and what its first argument
    holds (urllib3 keeps the cause of a ``MaxRetryError`` in ``reason``)."""
    seen: set[int] = set()
    waiting: list[BaseException] = [exc]
    while waiting:
        current = waiting.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nested in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(nested, BaseException):
                waiting.append(nested)
        waiting.extend(arg for arg in current.args if isinstance(arg, BaseException))


class _Never(BaseException):
    """No cause is one of these: for ``_has`` to go by words alone."""


def _has(exc: BaseException, kind: type[BaseException], *markers: str) -> BaseException | None:
    """The first cause of type ``kind``, else the first whose words hold one of ``markers``."""
    causes = list(_causes(exc))
    for cause in causes:
        if isinstance(cause, kind):
            return cause
    for cause in causes:
        text = f"{type(cause).__name__}: {cause}"
        if any(marker.lower() in text.lower() for marker in markers):
            return cause
    return None


def in_words(exc: BaseException, *, url: str, timeout: float, timed_out: bool = False) -> str:
    """What went wrong connecting to ``url``, and what to check; ``timed_out`` when the HTTP
    library said the connection attempt timed out."""
    parts = urlsplit(url)
    host = parts.hostname or url
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if _has(exc, _Never, "ProxyError", "Unable to connect to proxy"):
        return "the proxy could not be reached; check the HTTPS_PROXY setting"
    if _has(exc, socket.gaierror, "NameResolutionError", "Failed to resolve", "getaddrinfo"):
        return (
            f"the server name {host} was not found; check the endpoint for a typing error,"
            " and that this computer is online"
        )
    if _has(exc, ConnectionRefusedError, "Connection refused"):
        return (
            f"{host} refused the connection on port {port}: nothing there accepts it. Check"
            " the endpoint's address and port (the sandbox: that it is still running)"
        )
    certificate = _has(exc, ssl.SSLCertVerificationError, "CERTIFICATE_VERIFY_FAILED")
    if certificate is not None:
        detail = getattr(certificate, "verify_message", "") or "it could not be verified"
        return (
            f"the certificate of {host} was not accepted ({detail}). Check the endpoint; if"
            " your network inspects secure connections, ask IT for its certificate and set"
            " REQUESTS_CA_BUNDLE to that file"
        )
    if timed_out or _has(exc, TimeoutError, "ConnectTimeout", "timed out"):
        return (
            f"{host} did not answer within {timeout:g} s; check that this computer is online"
            " and that no firewall or proxy blocks it"
        )
    if _has(exc, ssl.SSLError, "SSLError", "SSL:", "TLS"):
        return (
            f"a secure connection to {host} could not be set up; check that the endpoint"
            " starts with https:// and names Click2Mail's server"
        )
    if _has(exc, ConnectionResetError, "Connection reset", "Connection aborted"):
        return f"{host} closed the connection"
    return f"the connection to {host} failed ({type(exc).__name__})"
