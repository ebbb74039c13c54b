"""``xl-mailer status`` and ``xl-mailer proof``: each job's state and tracking, its proof."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from xl_mailer.app.proofs import get_proofs
from xl_mailer.app.status import refresh_status
from xl_mailer.click2mail.connection import connect, endpoint_name
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.headless.args import EXIT_OK, EXIT_ROWS_FAILED
from xl_mailer.headless.heldfile import held_workbook
from xl_mailer.headless.xlsx import FileSheet


@contextmanager
def _per_job(args: argparse.Namespace) -> Iterator[tuple[FileSheet, Mailing]]:
    """The workbook held (its lock, no run note) and a connection; saved when all went well."""
    endpoint = endpoint_name(args.endpoint)
    with (
        held_workbook(
            args.workbook, sheet=args.sheet, endpoint=endpoint, output=args.output, note=False
        ) as held,
        connect(endpoint, timeout=args.timeout, concurrency=args.concurrency) as c,
    ):
        yield held.port, Mailing(c.client)
        held.port.save()


def status_workbook(args: argparse.Namespace, out: TextIO) -> int:
    """Write each job's Job Status (and Tracking, once mailed) into the workbook."""
    with _per_job(args) as (port, mailing):
        run = refresh_status(port, mailing, concurrency=args.concurrency)
    for job in run.jobs:
        shown = job.problem or job.words + (f"; {job.tracking}" if job.tracking else "")
        print(f"row {job.row:>5}: job {job.job_id}: {shown}", file=out)
    print(run.line(), file=out)
    return EXIT_ROWS_FAILED if any(job.problem for job in run.jobs) else EXIT_OK


def proof_workbook(args: argparse.Namespace, out: TextIO) -> int:
    """Save each job's proof beside the workbook and link it from the row."""
    with _per_job(args) as (port, mailing):
        run = get_proofs(port, mailing, concurrency=args.concurrency)
    for proof in run.proofs:
        shown = str(proof.path) if proof.path is not None else f"no proof: {proof.problem}"
        print(f"row {proof.row:>5}: job {proof.job_id}: {shown}", file=out)
    print(run.line(), file=out)
    return EXIT_ROWS_FAILED if run.failed else EXIT_OK
