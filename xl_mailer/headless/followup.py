"""``xl-mailer reconcile``, ``clear``, ``archive`` and ``unclaimed``: the commands after a run."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TextIO

from xl_mailer.app.archive import archive_rows
from xl_mailer.app.claims import decide, describe_entry, parse_decision
from xl_mailer.app.clear import clear_results, parse_rows
from xl_mailer.app.reconcile import reconcile_sheet, reconcile_summary
from xl_mailer.click2mail.connection import connect, endpoint_name
from xl_mailer.core.models import Outcome
from xl_mailer.headless.args import EXIT_OK, EXIT_ROWS_FAILED
from xl_mailer.headless.console import describe_row
from xl_mailer.headless.heldfile import held_workbook


def reconcile_workbook(args: argparse.Namespace, out: TextIO) -> int:
    with (
        held_workbook(
            args.workbook, sheet=args.sheet, endpoint=args.endpoint, output=args.output
        ) as held,
        connect(endpoint_name(args.endpoint), timeout=args.timeout) as c,
    ):
        try:
            min_age = dt.timedelta(seconds=args.min_age)
            settled = reconcile_sheet(
                held.port, c.client.find_jobs, journal=held.journal, min_age=min_age
            )
        finally:
            held.port.save()
    if not settled:
        print("Nothing to reconcile: no row is UNKNOWN.", file=out)
        return EXIT_OK
    for row, result in settled:
        print(describe_row(row, result), file=out)
    print(reconcile_summary(settled) + ".", file=out)
    left = sum(1 for _, r in settled if r.outcome is Outcome.UNKNOWN)
    return EXIT_ROWS_FAILED if left else EXIT_OK


def clear_workbook(args: argparse.Namespace, out: TextIO) -> int:
    rows = parse_rows(args.rows) if args.rows else None
    with held_workbook(args.workbook, sheet=args.sheet, note=False) as held:
        cleared = clear_results(held.port, rows)
        held.port.save()
    print(cleared.line(listed=True), file=out)
    return EXIT_OK


def archive_workbook(args: argparse.Namespace, out: TextIO) -> int:
    with held_workbook(args.workbook, sheet=args.sheet, note=False) as held:
        archived = archive_rows(held.port, today=dt.date.today())
        held.port.save()
    print(archived.line(), file=out)
    return EXIT_OK


def unclaimed_jobs(args: argparse.Namespace, out: TextIO) -> int:
    attach_to = [parse_decision(text) for text in args.attach or []]
    endpoint = args.endpoint
    with held_workbook(args.workbook, sheet=args.sheet, endpoint=endpoint, note=False) as held:
        why = args.why or "released by hand: not from this workbook"
        done = decide(
            held.port,
            held.journal,
            attach_to=attach_to,
            release_names=args.release or [],
            why=why,
            after_attach=held.port.save,
        )
        for a in done.attached:
            print(f"row {a.row:>5}: now holds {describe_entry(a.entry)}", file=out)
        for entry in done.released:
            print(f"released {describe_entry(entry)}: {why}", file=out)
        if not done.left:
            print("No unclaimed jobs: every job the journal holds is in its row.", file=out)
        for entry in done.left:
            print(f"unclaimed: {describe_entry(entry)}", file=out)
        if done.left:
            print(
                "Attach each to its row (--attach JOB=ROW, or KEY=ROW for a lost answer), or"
                " release it (--release JOB) if it is not this workbook's to track.",
                file=out,
            )
        for gone in held.journal.releases() if args.all else []:
            print(f"released earlier: request {gone.key} job {gone.job_id} ({gone.why})", file=out)
    return EXIT_ROWS_FAILED if done.left else EXIT_OK
