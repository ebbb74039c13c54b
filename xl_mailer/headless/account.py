"""``xl-mailer login``: keep a password in the OS keyring, never in a workbook.

Every message is about logging in: a keyring that cannot keep a password is said before
the password is asked for, and an input that ends early is a login not done.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import TextIO

from xl_mailer.click2mail import credentials, endpoints
from xl_mailer.click2mail.connection import endpoint_name
from xl_mailer.core.errors import ConfigurationError
from xl_mailer.headless.args import EXIT_OK, EXIT_STOPPED


def login(args: argparse.Namespace, out: TextIO) -> int:
    """Ask for the password of a username at an endpoint and keep it in the OS keyring.
    Raises ConfigurationError when no keyring can keep it (before anything is asked)."""
    endpoint = endpoint_name(args.endpoint)
    if endpoint.strip().lower() == endpoints.SANDBOX:
        print("The sandbox needs no password: its practice account is built in.", file=out)
        return EXIT_OK
    base_url = endpoints.resolve(endpoint)
    problem = credentials.keyring_problem()
    if problem is not None:
        stop = f"Cannot keep a password: {problem}. Nothing was asked or stored."
        raise ConfigurationError(f"{stop} {credentials.INSTEAD}")
    username = args.username or os.environ.get("C2M_USERNAME") or _ask(input, "Username: ").strip()
    if not username:
        print(
            "No username given; nothing stored. Type it when asked, or give it with"
            " --username NAME.",
            file=sys.stderr,
        )
        return EXIT_STOPPED
    where = f"{username} at {endpoints.label(base_url)}"
    password = _ask(getpass.getpass, f"Password for {where}: ")
    if not password:
        print("No password given; nothing stored.", file=sys.stderr)
        return EXIT_STOPPED
    credentials.store_password(base_url, username, password)
    print(f"Password kept in the OS keyring for {where}.", file=out)
    return EXIT_OK


def _ask(read: Callable[[str], str], prompt: str) -> str:
    """What the person typed ("" when the input ended first)."""
    try:
        return read(prompt)
    except EOFError:  # stdin is not a terminal, or it ended: nothing to read
        return ""
