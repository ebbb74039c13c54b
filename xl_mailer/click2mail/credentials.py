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


INSTEAD = (
    "Set C2M_PASSWORD in the environment of the window that runs xl-mailer instead (Windows"
    " Command Prompt: set C2M_PASSWORD=your-password; macOS and Linux: read -rs C2M_PASSWORD"
    " and then export C2M_PASSWORD)"
)
"""How to give the password when no keyring can keep it."""


def keyring_problem() -> str | None:
    """Why no OS keyring can keep a password on this computer, or None when one can."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:  # pragma: no cover - keyring is a dependency
        return "the keyring library is missing"
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken PYTHON_KEYRING_BACKEND, a keyring that fails to load
        return f"the keyring could not be opened ({type(exc).__name__})"
    if isinstance(backend, fail.Keyring | null.Keyring):
        return "this computer has no OS keyring that xl-mailer can use"
    return None


def store_password(base_url: str, username: str, password: str) -> None:
    """Keep the password in the OS keyring, and check that it was kept. Raises
    ConfigurationError when there is no keyring, or it did not keep the password."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(service_name(base_url), username, password)
        kept = keyring.get_password(service_name(base_url), username) == password
    except (KeyringError, RuntimeError, OSError) as exc:
        raise ConfigurationError(
            f"The OS keyring refused the password ({type(exc).__name__}); nothing was stored."
            f" {INSTEAD}"
        ) from exc
    if not kept:
        raise ConfigurationError(f"The OS keyring did not keep the password. {INSTEAD}")


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
