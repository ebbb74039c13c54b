"""Where the password is kept: what a person sees when the OS keyring cannot take it."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordSetError

from xl_mailer.click2mail.credentials import service_name, store_password
from xl_mailer.core.errors import ConfigurationError, XlMailerError

SECRET = "c0rrect-h0rse-battery"


class Refusing(KeyringBackend):
    """A keyring that cannot store anything, and names what it was given when it says so."""

    priority = 1
    asked: list[tuple[str, str]] = []

    def set_password(self, service: str, username: str, password: str) -> None:
        self.asked.append((service, username))
        raise PasswordSetError(f"locked keychain refused {username}:{password}")

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def delete_password(self, service: str, username: str) -> None:
        pass


@pytest.fixture
def refusing_keyring() -> Iterator[type[Refusing]]:
    previous = keyring.get_keyring()
    Refusing.asked = []
    keyring.set_keyring(Refusing())  # type: ignore[no-untyped-call]
    try:
        yield Refusing
    finally:
        keyring.set_keyring(previous)


def test_a_keyring_that_refuses_the_password_gives_a_clear_error_without_it(
    refusing_keyring: type[Refusing],
) -> None:
    url = "https://stage-rest.click2mail.com/molpro"
    with pytest.raises(XlMailerError) as caught:
        store_password(url, "ann", SECRET)
    assert isinstance(caught.value, ConfigurationError)
    assert str(caught.value).startswith(
        "The OS keyring refused the password (PasswordSetError); nothing was stored. Set"
        " C2M_PASSWORD in the environment of the window that runs xl-mailer instead"
    )
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    assert isinstance(caught.value.__cause__, PasswordSetError)  # the cause is kept for -v
    assert refusing_keyring.asked == [(service_name(url), "ann")]
