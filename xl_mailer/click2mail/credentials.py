"""Where the username and password come from: environment first, then the OS keyring.

Nothing here writes a secret anywhere but the keyring, and no message names one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from xl_mailer.core.errors import ConfigurationError, CredentialsMissing

SERVICE_PREFIX = "xl-mailer"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password='***')"


def service_name(base_url: str) -> str:
    """The keyring entry's service: one per endpoint, so staging and production differ."""
    return f"{SERVICE_PREFIX}:{base_url.rstrip('/')}"


def _keyring_get(base_url: str, username: str) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    try:
        return keyring.get_password(service_name(base_url), username)
    except (KeyringError, RuntimeError, OSError):
        return None


def store_password(base_url: str, username: str, password: str) -> None:
    """Keep the password in the OS keyring. Raises ConfigurationError when there is none."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(service_name(base_url), username, password)
    except (KeyringError, RuntimeError, OSError) as exc:
        raise ConfigurationError(
            f"No usable OS keyring to store the password ({type(exc).__name__}); set"
            " C2M_PASSWORD in the environment instead"
        ) from exc


def find(base_url: str, *, username: str | None = None, endpoint_label: str = "") -> Credentials:
    """Find credentials for an endpoint: C2M_USERNAME / C2M_PASSWORD, then the keyring.

    Raises CredentialsMissing with a message that says how to set them.
    """
    user = os.environ.get("C2M_USERNAME") or username or ""
    where = endpoint_label or base_url
    if not user:
        raise CredentialsMissing(
            f"No Click2Mail username for {where}: set C2M_USERNAME, or the username on the"
            " Settings sheet"
        )
    password = os.environ.get("C2M_PASSWORD") or _keyring_get(base_url, user)
    if not password:
        raise CredentialsMissing(
            f"No Click2Mail password for {user} at {where}: run 'xl-mailer login"
            f" --endpoint {endpoint_label or base_url}' (or press Set Password on the"
            " Click2Mail tab) to keep it in the OS keyring, or set C2M_PASSWORD"
        )
    return Credentials(user, password)
