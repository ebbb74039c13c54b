"""Run settings from a workbook's Settings sheet, overridden by the environment.

The sheet holds endpoint, timeout, concurrency and username: never a password; and for
submitting, Spend Limit (kept as typed: only a submit checks it) and Billing Type.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from xl_mailer.click2mail.endpoints import DEFAULT_TIMEOUT
from xl_mailer.core.errors import ConfigurationError

ENDPOINT_CHOICES = ("Staging", "Production", "Sandbox")
_ENDPOINT_NAMES = {
    "staging": "stage",
    "stage": "stage",
    "production": "production",
    "sandbox": "sandbox",
}
SECRET_KEYS = frozenset({"password", "pass", "pwd", "secret", "c2m_password"})


@dataclass(frozen=True)
class Settings:
    endpoint: str = "stage"
    timeout: float = DEFAULT_TIMEOUT
    concurrency: int = 4
    username: str | None = None
    spend_limit: object = None  # as typed: app.submit.spend_limit reads it, when submitting
    billing_type: str | None = None  # None: app.submit's default, User Credit


def _number(name: str, value: object, *, whole: bool) -> float:
    if isinstance(value, bool) or value is None or value == "":
        raise ConfigurationError(f"Settings: {name} must be a number")
    try:
        number = float(str(value).strip())
    except ValueError as exc:
        raise ConfigurationError(f"Settings: {name} must be a number, not {value!r}") from exc
    if not math.isfinite(number) or number <= 0 or (whole and not number.is_integer()):
        kind = "a positive whole number" if whole else "a positive number"
        raise ConfigurationError(f"Settings: {name} must be {kind}, not {value!r}")
    return number


def from_mapping(values: Mapping[str, object]) -> Settings:
    """Build settings from the sheet's key/value pairs (keys case-insensitive).

    Raises ConfigurationError for a bad value, or for a password on the sheet.
    """
    table = {str(k).strip().lower(): v for k, v in values.items() if k is not None}
    for key, value in table.items():
        if key in SECRET_KEYS and value not in (None, ""):
            raise ConfigurationError(
                "Settings: remove the password from the workbook; use Set Password on the"
                " Click2Mail tab (it is kept in the OS keyring)"
            )
    endpoint_value = table.get("endpoint")
    endpoint = "stage"
    if isinstance(endpoint_value, str) and endpoint_value.strip():
        text = endpoint_value.strip()
        endpoint = _ENDPOINT_NAMES.get(text.lower(), text)
    timeout = table.get("timeout")
    concurrency = table.get("concurrency")
    username = table.get("username")
    billing = table.get("billing type")
    return Settings(
        endpoint=endpoint,
        timeout=DEFAULT_TIMEOUT
        if timeout in (None, "")
        else _number("timeout", timeout, whole=False),
        concurrency=4
        if concurrency in (None, "")
        else int(_number("concurrency", concurrency, whole=True)),
        username=str(username).strip() if username not in (None, "") else None,
        spend_limit=table.get("spend limit"),
        billing_type=str(billing).strip() if billing not in (None, "") else None,
    )


def with_environment(settings: Settings) -> Settings:
    """Apply ``C2M_ENDPOINT`` and ``C2M_USERNAME`` over the sheet's values."""
    endpoint = os.environ.get("C2M_ENDPOINT") or settings.endpoint
    username = os.environ.get("C2M_USERNAME") or settings.username
    return replace(settings, endpoint=endpoint, username=username)
