"""``xl-mailer login``: keep a password in the OS keyring, never in a workbook."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TextIO

from xl_mailer.click2mail import credentials, endpoints
from xl_mailer.click2mail.connection import endpoint_name
from xl_mailer.headless.args import EXIT_OK, EXIT_STOPPED


def login(args: argparse.Namespace, out: TextIO) -> int:
    base_url = endpoints.resolve(endpoint_name(args.endpoint))
    username = args.username or os.environ.get("C2M_USERNAME") or input("Username: ").strip()
    where = f"{username} at {endpoints.label(base_url)}"
    password = getpass.getpass(f"Password for {where}: ")
    if not password:
        print("No password given; nothing stored.", file=sys.stderr)
        return EXIT_STOPPED
    credentials.store_password(base_url, username, password)
    print(f"Password kept in the OS keyring for {where}.", file=out)
    return EXIT_OK
