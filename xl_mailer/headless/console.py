"""What the command line shows: a line per row, a progress bar, the totals and the exit
code; and how Ctrl-C is taken during a run."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from xl_mailer.app.create import SheetRun
from xl_mailer.core.models import JobResult, Outcome
from xl_mailer.engine.runner import RunSummary
from xl_mailer.headless.args import EXIT_OK, EXIT_ROWS_FAILED, EXIT_STOPPED


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


def row_printer(out: TextIO, *, quiet: bool) -> Callable[[int, JobResult], None]:
    """What to do with each row's result as it comes: print it, unless ``quiet``."""
    if quiet:
        return lambda row, result: None
    return lambda row, result: print(describe_row(row, result), file=out, flush=True)


@contextlib.contextmanager
def first_ctrl_c_cancels(cancel: threading.Event, out: TextIO) -> Iterator[None]:
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


def progress_bar() -> _Bar | None:
    return _Bar() if sys.stderr.isatty() else None


def finish(run: SheetRun, out: TextIO, *, where: Path | None) -> int:
    summary = run.summary
    print(f"Totals: {summary.line()} in {summary.seconds:.1f} s", file=out)
    if where is not None:
        print(f"Results saved in {where}", file=out)
    if summary.stopped:
        print(f"Stopped: {summary.stopped}", file=sys.stderr)
    return exit_code(summary)
