"""The ``xl-mailer`` command line: its commands, their options, and how a bad one is told."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from xl_mailer import __version__
from xl_mailer.app.reconcile import MIN_AGE
from xl_mailer.click2mail.endpoints import DEFAULT_TIMEOUT
from xl_mailer.sandbox import CALLS, FAULTS

EXIT_OK, EXIT_ROWS_FAILED, EXIT_STOPPED = 0, 1, 2
DESCRIPTION = (
    "Create one Click2Mail print-and-mail job per row of a workbook. New to it? Run"
    " 'xl-mailer demo': it runs a sample workbook against a practice server on this computer."
)
EPILOG = "Run 'xl-mailer COMMAND --help' for what a command does and its options."
VERBOSE_HELP = (
    "show details: each request sent (never a password) and, when something unexpected stops"
    " a command, the full error; before or after the command"
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_STOPPED, f"{self.prog}: error: {message}\n")


class _Command(_Parser):
    """A command's parser: it takes -v/--verbose too, so that it works after the command as
    well as before it (unset here unless given, so that one given before the command stays)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP
        )


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or a positive number of seconds")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="xl-mailer", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"xl-mailer {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Command, metavar="COMMAND"
    )

    run = commands.add_parser("run", help="create one Click2Mail job per row of a workbook")
    run.add_argument("workbook", type=Path)
    run.add_argument("--sheet", default="Jobs", help="sheet to process (default: Jobs)")
    run.add_argument(
        "--endpoint",
        help="stage, production, sandbox or a URL ending in /molpro"
        " (default: $C2M_ENDPOINT, else stage)",
    )
    run.add_argument("--output", type=Path, help="save results here; the original is untouched")
    run.add_argument("--validate-only", action="store_true", help="check rows, send nothing")
    run.add_argument(
        "--timeout",
        type=_positive_float,
        default=DEFAULT_TIMEOUT,
        help="seconds to wait for each answer (default: 60)",
    )
    run.add_argument(
        "--concurrency", type=_positive_int, default=4, help="calls in flight at once (default: 4)"
    )
    run.add_argument("--catalog", type=Path, help="JSON catalog merged into the built-in one")
    run.add_argument(
        "--no-catalog-check",
        action="store_true",
        help="do not check option values against the catalog",
    )
    run.add_argument("--quiet", action="store_true", help="print only the totals")

    demo = commands.add_parser("demo", help="run a sample workbook against the embedded sandbox")
    demo.add_argument(
        "--dir",
        type=Path,
        default=Path("xl-mailer-demo"),
        help="folder for the sample workbook (default: ./xl-mailer-demo)",
    )

    box = commands.add_parser("sandbox", help="serve the embedded Click2Mail sandbox")
    box.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    box.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    box.add_argument(
        "--fault", choices=FAULTS, help="a fault to inject (into POST /jobs unless --fault-on)"
    )
    box.add_argument(
        "--fault-on",
        choices=CALLS,
        default="create",
        help="the call the fault hits: create (POST /jobs, the default), upload, address_list,"
        " submit, proof, ...",
    )
    box.add_argument(
        "--fault-every",
        type=_positive_int,
        default=1,
        help="apply the fault to every N-th request of that call",
    )
    box.add_argument(
        "--seconds-per-state",
        type=_seconds,
        default=30.0,
        help="how long a submitted job stays Awaiting Production and In Production before it is"
        " Mailed (default: 30; 0: mailed at once)",
    )

    settle = commands.add_parser(
        "reconcile", help="look UNKNOWN rows up at Click2Mail: fill in job ids or mark them safe"
    )
    settle.add_argument("workbook", type=Path)
    settle.add_argument("--sheet", default="Jobs", help="sheet to process (default: Jobs)")
    settle.add_argument("--endpoint", help="as for run")
    settle.add_argument("--output", type=Path, help="save results here; the original is untouched")
    settle.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT)
    settle.add_argument(
        "--min-age",
        type=float,
        default=MIN_AGE.total_seconds(),
        metavar="SECONDS",
        help="declare a row safe to send again only this long after it was sent (default: 300;"
        " Click2Mail may still be making a job whose answer timed out)",
    )

    clear = commands.add_parser(
        "clear", help="clear the results of rows without a job, to send them again on purpose"
    )
    clear.add_argument("workbook", type=Path)
    clear.add_argument("--sheet", default="Jobs", help="sheet to process (default: Jobs)")
    clear.add_argument("--rows", help="only these rows, e.g. 5,7-9 (default: every row)")

    archive = commands.add_parser(
        "archive", help="move finished rows (with a Job ID) to the History sheet"
    )
    archive.add_argument("workbook", type=Path)
    archive.add_argument("--sheet", default="Jobs", help="sheet to process (default: Jobs)")

    claims = commands.add_parser(
        "unclaimed",
        help="list the jobs the journal holds that no row claims; attach or release them",
    )
    claims.add_argument("workbook", type=Path)
    claims.add_argument("--sheet", default="Jobs", help="sheet to process (default: Jobs)")
    claims.add_argument(
        "--attach",
        action="append",
        metavar="JOB=ROW",
        help="give a job (its id, or the request key of a lost answer) to a row; repeatable",
    )
    claims.add_argument(
        "--release",
        action="append",
        metavar="JOB",
        help="record that a job is not this workbook's to track; repeatable",
    )
    claims.add_argument("--why", help="the reason recorded with --release")
    claims.add_argument(
        "--endpoint", help="the account whose jobs these are, as for run (default: as for run)"
    )
    claims.add_argument("--all", action="store_true", help="also list jobs released earlier")

    cost = commands.add_parser(
        "cost", help="write each created job's cost (not yet submitted) into its Cost column"
    )
    submit = commands.add_parser(
        "submit",
        help="submit the jobs whose Submit column says Yes, under a spend limit, after a question",
    )
    for money in (cost, submit):
        money.add_argument("workbook", type=Path)
        money.add_argument("--sheet", default="Jobs", help="sheet to process (default: Jobs)")
        money.add_argument("--endpoint", help="as for run")
        money.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT)
        money.add_argument(
            "--concurrency", type=_positive_int, default=4, help="calls in flight at once"
        )
    submit.add_argument(
        "--billing-type",
        help="User Credit, Invoice, ACH, Credit Card... (default: the Settings sheet's Billing"
        " Type, else User Credit)",
    )
    submit.add_argument(
        "--limit",
        metavar="AMOUNT",
        help="the most the batch may cost, in dollars (default: the Settings sheet's Spend"
        " Limit; with neither, nothing is submitted)",
    )
    submit.add_argument("--yes", action="store_true", help="submit without asking first")

    for name, words in (
        ("status", "write each job's Job Status, and its Tracking once mailed"),
        ("proof", "save each job's proof PDF beside the workbook, linked from its row"),
    ):
        per_job = commands.add_parser(name, help=words)
        per_job.add_argument("workbook", type=Path)
        per_job.add_argument("--sheet", default="Jobs", help="sheet to process (default: Jobs)")
        per_job.add_argument("--endpoint", help="as for run")
        per_job.add_argument(
            "--output", type=Path, help="save results here; the original is untouched"
        )
        per_job.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT)
        per_job.add_argument(
            "--concurrency", type=_positive_int, default=4, help="calls in flight at once"
        )

    login = commands.add_parser("login", help="keep a password in the OS keyring")
    login.add_argument("--endpoint", help="stage, production or a URL (default: stage)")
    login.add_argument("--username", help="the Click2Mail username (default: $C2M_USERNAME)")

    upload = commands.add_parser(
        "upload",
        help="upload the Documents sheet's documents and create the Address Lists sheet's lists"
        " (those without an id), waiting for each list to be ready",
    )
    upload.add_argument("workbook", type=Path)
    upload.add_argument("--sheet", default="Jobs", help="the Jobs sheet (default: Jobs)")
    upload.add_argument("--endpoint", help="as for run")
    upload.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT)
    upload.add_argument(
        "--wait",
        type=_positive_float,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait, in all, for the lists to be ready (default: 300); a list not"
        " ready by then keeps its id, and the next upload asks for its status again",
    )
    upload.add_argument(
        "--poll",
        type=_positive_float,
        default=5.0,
        metavar="SECONDS",
        help="how often to ask for a list's status (default: 5)",
    )

    book = commands.add_parser(
        "new-workbook",
        help="write a new workbook from the template, set to start this Python from Excel",
    )
    book.add_argument("path", type=Path, help="the new .xlsm file; an existing file is refused")
    return parser
