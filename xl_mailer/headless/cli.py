"""The ``xl-mailer`` command: run a workbook headless, serve the sandbox, run the demo.

Exit codes: 0 every row created or skipped; 1 at least one row failed
validation or creation (or its outcome is unknown); 2 the run could not start
or was stopped (usage, unreadable file, credentials, authentication, endpoint).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TextIO

from xl_mailer.core.errors import XlMailerError
from xl_mailer.headless.account import login
from xl_mailer.headless.args import EXIT_STOPPED, build_parser
from xl_mailer.headless.followup import (
    archive_workbook,
    clear_workbook,
    reconcile_workbook,
    unclaimed_jobs,
)
from xl_mailer.headless.money import cost_workbook, submit_workbook
from xl_mailer.headless.newbook import new_workbook
from xl_mailer.headless.sending import run_workbook
from xl_mailer.headless.tracking import proof_workbook, status_workbook
from xl_mailer.headless.uploads import upload_workbook


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    from xl_mailer.headless.demo import run_demo

    return run_demo(args.dir, out)


def _sandbox(args: argparse.Namespace, out: TextIO) -> int:
    from xl_mailer.headless.demo import serve_sandbox

    return serve_sandbox(args, out)


COMMANDS = {
    "run": run_workbook,
    "upload": upload_workbook,
    "demo": _demo,
    "sandbox": _sandbox,
    "reconcile": reconcile_workbook,
    "login": login,
    "clear": clear_workbook,
    "archive": archive_workbook,
    "unclaimed": unclaimed_jobs,
    "new-workbook": new_workbook,
    "cost": cost_workbook,
    "submit": submit_workbook,
    "status": status_workbook,
    "proof": proof_workbook,
}


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Entry point of the ``xl-mailer`` command; returns the exit code."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return COMMANDS[args.command](args, out)
    except XlMailerError as exc:
        print(f"xl-mailer: {exc}", file=sys.stderr)
        return EXIT_STOPPED
    except KeyboardInterrupt:
        print(f"xl-mailer: {_cancelled(args.command)}", file=sys.stderr)
        return EXIT_STOPPED
    except Exception as exc:
        if args.verbose:
            raise
        print(
            f"xl-mailer: {args.command} stopped by an unexpected {type(exc).__name__}; run the"
            f" same command again with -v to see the details.{_kept(args.command)}",
            file=sys.stderr,
        )
        return EXIT_STOPPED


SENDING_COMMANDS = frozenset({"run"})
"""The commands that send rows, and so may stop with job ids received (kept in the workbook
and in its journal); the demo keeps a journal of its own and throws it away."""


def _kept(command: str) -> str:
    """Where a stopped command left the job ids it received: said only for those that send."""
    if command not in SENDING_COMMANDS:
        return ""
    return (
        " Any job id it received is in the workbook or in its journal: running the same"
        " command again continues from there and sends nothing twice."
    )


def _cancelled(command: str) -> str:
    """What a Ctrl-C that stopped ``command`` left behind."""
    if command == "login":
        return "login cancelled; no password was stored"
    return f"{command} cancelled (Ctrl-C).{_kept(command)}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
