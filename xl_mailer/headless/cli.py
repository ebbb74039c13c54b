"""The ``xl-mailer`` command: run a workbook headless, serve the sandbox, run the demo.

Exit codes: 0 every row created or skipped; 1 at least one row failed
validation or creation (or its outcome is unknown); 2 the run could not start
or was stopped (usage, unreadable file, credentials, authentication, endpoint).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from xl_mailer import __version__
from xl_mailer.app.claims import (
    DecisionError,
    attach,
    clear_results,
    parse_rows,
    release,
    unclaimed,
)
from xl_mailer.app.jobs import SheetRun, run_sheet
from xl_mailer.app.reconcile import MIN_AGE, reconcile_sheet, reconcile_summary
from xl_mailer.click2mail import credentials, endpoints
from xl_mailer.click2mail.connection import connect, endpoint_name
from xl_mailer.click2mail.endpoints import DEFAULT_TIMEOUT
from xl_mailer.core.catalog import Catalog, default_catalog
from xl_mailer.core.errors import JournalError, WorkbookError, XlMailerError
from xl_mailer.core.models import JobResult, Outcome
from xl_mailer.engine.bookid import file_digest, real_path
from xl_mailer.engine.journal import WHAT, Entry, Journal, RunLock
from xl_mailer.engine.runner import RunSummary
from xl_mailer.engine.workbooks import (
    BookState,
    book_state,
    forget_settled,
    keys_in,
    mark_finished,
    mark_unfinished,
    refuse_others_note,
    refuse_others_unfinished,
    whose_run,
)
from xl_mailer.headless.xlsx import FileSheet, open_sheet
from xl_mailer.sandbox import FAULTS, Sandbox, SandboxConfig

EXIT_OK, EXIT_ROWS_FAILED, EXIT_STOPPED = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_STOPPED, f"{self.prog}: error: {message}\n")


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="xl-mailer", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"xl-mailer {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log requests (no secrets)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

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
    box.add_argument("--fault", choices=FAULTS, help="a fault to inject into POST /jobs")
    box.add_argument(
        "--fault-every",
        type=_positive_int,
        default=1,
        help="apply the fault to every N-th POST /jobs",
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

    login = commands.add_parser("login", help="keep a password in the OS keyring")
    login.add_argument("--endpoint", help="stage, production or a URL (default: stage)")
    login.add_argument("--username", help="the Click2Mail username (default: $C2M_USERNAME)")
    return parser


def load_catalog(path: Path | None, *, check: bool) -> Catalog | None:
    if not check:
        return None
    catalog = default_catalog()
    return catalog.merged(Catalog.load(path)) if path else catalog


def describe_row(row: int, result: JobResult) -> str:
    codes = ""
    if result.http_status is not None:
        codes = f" [{result.http_status}" + (f"/{result.code}" if result.code is not None else "")
        codes += "]"
    job = f" job {result.job_id}" if result.job_id is not None else ""
    return f"row {row:>5}: {result.outcome.value:<8}{job}{codes} {result.description}"


def exit_code(summary: RunSummary) -> int:
    if summary.stopped:
        return EXIT_STOPPED
    bad = summary.failed + summary.counts[Outcome.UNKNOWN]
    return EXIT_ROWS_FAILED if bad else EXIT_OK


@contextlib.contextmanager
def held_workbook(
    path: Path,
    *,
    sheet: str,
    endpoint: str | None = None,
    output: Path | None = None,
    note: bool = True,
) -> Iterator[tuple[FileSheet, BookState]]:
    """The workbook at ``path`` held for an action that sends or settles: its file's lock
    (symbolic links followed) taken before it is read, then its identity's lock and its
    journal, all kept until the caller has saved. Results go into the real file (or
    ``output``); a link stays a link."""
    source = real_path(path)
    target = real_path(output) if output is not None else None
    with RunLock(source):
        port = open_sheet(source, sheet=sheet, output=target)
        refuse_others_note(source, port.unfinished)
        refuse_others_unfinished(source, lambda: keys_in(port.values()))
        read = file_digest(source)
        with book_state(
            source,
            carried=port.identity,
            endpoint=endpoint_name(endpoint),
            fingerprint=read,
            output=target,
            note=note,
        ) as state:
            port.set_identity(state.identity)
            port.on_save = state.journal.note_saved
            yield port, state


def run_workbook(args: argparse.Namespace, out: TextIO) -> int:
    catalog = load_catalog(args.catalog, check=not args.no_catalog_check)
    show = (
        (lambda row, result: None)
        if args.quiet
        else (lambda row, result: print(describe_row(row, result), file=out, flush=True))
    )
    if args.validate_only:
        port = open_sheet(real_path(args.workbook), sheet=args.sheet, write=False)
        checked = run_sheet(
            port, send=_never_send, catalog=catalog, validate_only=True, on_result=show
        )
        return _finish(checked, out, where=None)
    if args.output is not None:
        _check_output(args.output)
    with (
        held_workbook(
            args.workbook, sheet=args.sheet, endpoint=args.endpoint, output=args.output
        ) as (port, state),
        connect(
            endpoint_name(args.endpoint), timeout=args.timeout, concurrency=args.concurrency
        ) as connection,
    ):
        journal = state.journal
        where = connection.client.base_url
        label = connection.label if connection.label == where else f"{connection.label} ({where})"
        print(f"Endpoint: {label}", file=out)

        def preflight() -> None:
            connection.client.check_credentials()
            # the file carries its identity, and who is running it, before a request leaves:
            # a rename, a move or a copy of it keeps both (another person's run waits)
            port.set_unfinished(whose_run())
            port.save(force=True)
            mark_unfinished(state.path)  # for another person's run of a shared file

        progress = _progress_bar()
        cancel = threading.Event()
        run: SheetRun | None = None
        try:
            with _first_ctrl_c_cancels(cancel, out):
                run = run_sheet(
                    port,
                    send=connection.client.create_job,
                    catalog=catalog,
                    concurrency=args.concurrency,
                    on_result=show,
                    preflight=preflight,
                    progress=progress.update if progress else None,
                    journal=journal,
                    cancel=cancel,
                )
        finally:
            if progress:
                progress.close()
            # a run that got to its end leaves a file that holds every id it knows of
            finished = run is not None and port.unfinished is not None
            _save(port, journal, run, clear_note=finished)
            if run is not None:
                mark_finished(state.path)  # saved: the file (or --output) holds every id received
        tampered = journal.tampered()
        if tampered:
            raise JournalError(
                port.target,
                f"{tampered}. Its results are saved in the workbook; the journal's earlier"
                " records may be lost, so check at Click2Mail before sending rows that were"
                " UNKNOWN",
            )
        if run.summary.stopped is None:
            # a clean finish: forget what every copy of this workbook holds now
            with contextlib.suppress(XlMailerError, OSError):
                held_in = port.target or state.path
                forget_settled(journal, port.name, [port.values()], held_in=held_in)
    for row, result in run.recovered:
        print(f"row {row:>5}: recovered from the journal: {result.description}", file=out)
    return _finish(run, out, where=port.target)


def _save(port: FileSheet, journal: Journal, run: SheetRun | None, *, clear_note: bool) -> None:
    """Save the results (with ``clear_note``, without this run's note: the save holds every
    id it received); if that fails, say exactly which job ids only the journal holds."""
    try:
        if clear_note:
            port.set_unfinished(None)
        port.save(force=clear_note)
    except WorkbookError as exc:
        held = [r.job_id for _, r in (run.results + run.recovered if run else [])]
        ids = [str(i) for i in held if i is not None]
        if ids:
            shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
            raise WorkbookError(
                exc.path,
                f"{exc.reason}. These {len(ids)} job id(s) are only in the journal at"
                f" {journal.path}: {shown}. Free the space or fix the file, then run again:"
                " they are put back into their rows, and nothing is sent twice",
            ) from exc
        raise


@contextlib.contextmanager
def _first_ctrl_c_cancels(cancel: threading.Event, out: TextIO) -> Iterator[None]:
    """The first Ctrl-C stops sending new rows and lets the answers in flight arrive; a second
    one interrupts at once (the journal still holds every id)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print(
            "Cancelling: no new rows will be sent; waiting for the answers in flight"
            " (Ctrl-C again to stop now)",
            file=sys.stderr,
            flush=True,
        )

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _check_output(output: Path) -> None:
    """Refuse an --output that would hide an earlier run's job ids from this one."""
    if output.exists():
        raise WorkbookError(
            output,
            "exists already and may hold job ids of an earlier run. To continue that run, run"
            f" 'xl-mailer run {output}'; to start afresh, choose another --output",
        )


def reconcile_workbook(args: argparse.Namespace, out: TextIO) -> int:
    with (
        held_workbook(
            args.workbook, sheet=args.sheet, endpoint=args.endpoint, output=args.output
        ) as (port, state),
        connect(endpoint_name(args.endpoint), timeout=args.timeout) as c,
    ):
        try:
            settled = reconcile_sheet(
                port,
                c.client.find_jobs,
                journal=state.journal,
                min_age=dt.timedelta(seconds=args.min_age),
            )
        finally:
            port.save()
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
    with held_workbook(args.workbook, sheet=args.sheet, note=False) as (port, _):
        cleared = clear_results(port, rows)
        port.save()
    print(
        f"Cleared {len(cleared.rows)} row(s)"
        + (f" ({', '.join(map(str, cleared.rows[:20]))})" if cleared.rows else "")
        + f". Kept {cleared.kept} row(s) that have a job or await reconciliation.",
        file=out,
    )
    return EXIT_OK


def unclaimed_jobs(args: argparse.Namespace, out: TextIO) -> int:
    decisions = [_decision(text) for text in args.attach or []]
    with held_workbook(args.workbook, sheet=args.sheet, endpoint=args.endpoint, note=False) as (
        port,
        state,
    ):
        if decisions:
            for done in attach(port, state.journal, decisions):
                print(f"row {done.row:>5}: now holds {_entry_text(done.entry)}", file=out)
            port.save()
        if args.release:
            entries = unclaimed(port, state.journal)
            why = args.why or "released by hand: not from this workbook"
            for entry in release(state.journal, entries, args.release, why):
                print(f"released {_entry_text(entry)}: {why}", file=out)
        left = unclaimed(port, state.journal)
        if not left:
            print("No unclaimed jobs: every job the journal holds is in its row.", file=out)
        for entry in left:
            print(f"unclaimed: {_entry_text(entry)}", file=out)
        if left:
            print(
                "Attach each to its row (--attach JOB=ROW, or KEY=ROW for a lost answer), or"
                " release it (--release JOB) if it is not this workbook's to track.",
                file=out,
            )
        for gone in state.journal.releases() if args.all else []:
            print(f"released earlier: request {gone.key} job {gone.job_id} ({gone.why})", file=out)
    return EXIT_ROWS_FAILED if left else EXIT_OK


def _decision(text: str) -> tuple[str, int]:
    what, _, row = text.partition("=")
    if not row.strip().isdigit() or not what.strip():
        raise DecisionError(f"--attach takes JOB=ROW (e.g. 245985=12), not {text!r}")
    return what.strip(), int(row)


def _entry_text(entry: Entry) -> str:
    job = f"job {entry.result.job_id}" if entry.result.job_id is not None else "a lost answer"
    sent = entry.result.sent_at or entry.sent_from
    when = f", sent {sent:%Y-%m-%d %H:%M} UTC" if sent else ""
    what = ", ".join(f"{n} {v}" for n, v in zip(WHAT, entry.ids, strict=False) if v)
    with_ = f" with {what}" if what else ""
    return f"{job} (request key {entry.key}, sent from row {entry.row}{with_}{when})"


def _never_send(request: object) -> JobResult:  # pragma: no cover - validate_only never sends
    raise AssertionError("validation only: nothing may be sent")


class _Bar:
    """A tqdm bar on stderr, shown only when stderr is a terminal."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._bar = tqdm(unit="row", desc="Creating jobs", file=sys.stderr, leave=False)
        self._seen = 0

    def update(self, summary: RunSummary) -> None:
        if self._bar.total != summary.total:
            self._bar.total = summary.total
        self._bar.set_postfix(failed=summary.failed, refresh=False)
        self._bar.update(summary.done - self._seen)
        self._seen = summary.done

    def close(self) -> None:
        self._bar.close()


def _progress_bar() -> _Bar | None:
    return _Bar() if sys.stderr.isatty() else None


def _finish(run: SheetRun, out: TextIO, *, where: Path | None) -> int:
    summary = run.summary
    print(f"Totals: {summary.line()} in {summary.seconds:.1f} s", file=out)
    if where is not None:
        print(f"Results saved in {where}", file=out)
    if summary.stopped:
        print(f"Stopped: {summary.stopped}", file=sys.stderr)
    return exit_code(summary)


def serve_sandbox(args: argparse.Namespace, out: TextIO) -> int:
    config = SandboxConfig(latency=args.latency, fault=args.fault, fault_every=args.fault_every)
    sandbox = Sandbox(config, port=args.port, verbose=True)
    print(f"Click2Mail sandbox at {sandbox.url}", file=out)
    print(f"Username: {config.username}  Password: {config.password}  (practice account)", file=out)
    print(
        f"Try: C2M_ENDPOINT={sandbox.url} C2M_USERNAME={config.username}"
        f" C2M_PASSWORD={config.password} xl-mailer run WORKBOOK",
        file=out,
    )
    print("Press Ctrl-C to stop.", file=out, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sandbox.serve_forever()
    return EXIT_OK


def login(args: argparse.Namespace, out: TextIO) -> int:
    base_url = endpoints.resolve(endpoint_name(args.endpoint))
    import os

    username = args.username or os.environ.get("C2M_USERNAME") or input("Username: ").strip()
    password = getpass.getpass(f"Password for {username} at {endpoints.label(base_url)}: ")
    if not password:
        print("No password given; nothing stored.", file=sys.stderr)
        return EXIT_STOPPED
    credentials.store_password(base_url, username, password)
    print(
        f"Password kept in the OS keyring for {username} at {endpoints.label(base_url)}.", file=out
    )
    return EXIT_OK


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Entry point of the ``xl-mailer`` command; returns the exit code."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "run":
            return run_workbook(args, out)
        if args.command == "demo":
            from xl_mailer.headless.demo import run_demo

            return run_demo(args.dir, out)
        if args.command == "sandbox":
            return serve_sandbox(args, out)
        if args.command == "reconcile":
            return reconcile_workbook(args, out)
        if args.command == "login":
            return login(args, out)
        if args.command == "clear":
            return clear_workbook(args, out)
        if args.command == "unclaimed":
            return unclaimed_jobs(args, out)
    except XlMailerError as exc:
        print(f"xl-mailer: {exc}", file=sys.stderr)
        return EXIT_STOPPED
    except KeyboardInterrupt:
        print("xl-mailer: cancelled", file=sys.stderr)
        return EXIT_STOPPED
    except Exception as exc:
        if args.verbose:
            raise
        print(
            f"xl-mailer: stopped by an unexpected {type(exc).__name__}; run again with -v for"
            " details. Any job id a run received is in its workbook or in its journal.",
            file=sys.stderr,
        )
        return EXIT_STOPPED
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
