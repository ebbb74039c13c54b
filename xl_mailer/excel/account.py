"""Ribbon actions about the account: test the connection, keep the password in the keyring."""

from __future__ import annotations

from collections.abc import Callable

import xlwings as xw

from xl_mailer.click2mail import credentials, endpoints
from xl_mailer.excel.book import action, alert, ask_password, connected, read_settings


@action
def test_connection(book: xw.Book) -> str:
    """Check the endpoint and the credentials with a read-only call."""
    with connected(read_settings(book), concurrency=1) as connection:
        credit = connection.client.check_credentials()
        text = (
            f"Connected to {connection.label} as {connection.client.username}."
            f" Credit balance: {credit.fields.get('balance', '?')}."
        )
    alert(book, text)
    return text


@action
def set_password(book: xw.Book, *, ask: Callable[[str], str | None] = ask_password) -> bool:
    """Keep the password for the Settings endpoint and username in the OS keyring."""
    settings = read_settings(book)
    if settings.endpoint == endpoints.SANDBOX:
        alert(book, "The sandbox needs no password.")
        return False
    base_url = endpoints.resolve(settings.endpoint)
    if not settings.username:
        alert(book, "Enter your Click2Mail username on the Settings sheet first.")
        return False
    where = f"{settings.username} at {endpoints.label(base_url)}"
    password = ask(f"Click2Mail password for {where}:")
    if not password:
        alert(book, "No password given; nothing stored. You can also run 'xl-mailer login'.")
        return False
    credentials.store_password(base_url, settings.username, password)
    alert(book, f"Password kept in the OS keyring for {where}. It is not stored in the workbook.")
    return True
