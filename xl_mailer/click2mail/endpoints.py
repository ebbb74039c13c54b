"""Endpoint names, their URLs, and the rule that passwords never cross a network in clear text."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from xl_mailer.core.errors import ConfigurationError, InsecureEndpoint

STAGE_URL = "https://stage-rest.click2mail.com/molpro"
PRODUCTION_URL = "https://rest.click2mail.com/molpro"

NAMED = {"stage": STAGE_URL, "staging": STAGE_URL, "production": PRODUCTION_URL}
SANDBOX = "sandbox"
DEFAULT_TIMEOUT = 60.0
"""Seconds to wait for each answer, unless the run says otherwise."""
DEFAULT = "stage"
"""Never production by default: staging prints nothing and charges nothing."""


def is_local_host(host: str) -> bool:
    """True for this machine: localhost and the loopback addresses."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve(endpoint: str) -> str:
    """Turn ``stage``, ``production`` or a URL into the base URL ending in ``/molpro``.

    ``sandbox`` is resolved by the caller, who starts one. Raises
    InsecureEndpoint for plain HTTP to another machine, ConfigurationError for
    anything else that is not an endpoint.
    """
    name = endpoint.strip()
    if name.lower() in NAMED:
        return NAMED[name.lower()]
    parts = urlsplit(name)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"endpoint {endpoint!r} is not stage, production, sandbox or an http(s) URL"
        )
    if parts.scheme == "http" and not is_local_host(parts.hostname):
        raise InsecureEndpoint(
            f"endpoint {name} uses plain http to {parts.hostname}: the password would cross"
            " the network unencrypted. Use https:// (plain http is allowed only for this"
            " machine, e.g. the sandbox)"
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            "the endpoint URL must not carry a username or password; use C2M_USERNAME and"
            " the keyring (xl-mailer login) instead"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"endpoint {name} must not have a query or fragment")
    return name.rstrip("/")


def not_found_hint(base_url: str) -> str:
    """What to add to "answered HTTP 404" when the endpoint's address does not end in
    ``/molpro``, where Click2Mail's API lives (empty when it does)."""
    parts = urlsplit(base_url)
    if parts.path.rstrip("/").endswith("/molpro"):
        return ""
    if parts.path.strip("/") == "":
        return (
            f". Click2Mail's API address ends in /molpro: use {base_url.rstrip('/')}/molpro"
            " as the endpoint"
        )
    return f". Click2Mail's API address ends in /molpro, as in {STAGE_URL}: check the endpoint"


def label(base_url: str) -> str:
    """A short name for logs and summaries."""
    for key in ("stage", "production"):
        if NAMED[key] == base_url:
            return key
    return base_url


def chosen(explicit: str | None) -> str:
    """The endpoint to use: an explicit option, else C2M_ENDPOINT, else staging."""
    return explicit or os.environ.get("C2M_ENDPOINT") or DEFAULT


def ledger(endpoint: str) -> str:
    """What a workbook's journal is kept apart by: the Click2Mail account's base URL, so
    that staging or sandbox practice never holds back a production row (or the other way
    round). The embedded sandbox, whose port changes on every start, is one name."""
    if endpoint.strip().lower() == SANDBOX:
        return SANDBOX
    return resolve(endpoint)
