"""What the command line shows: a line per row, a progress bar, the totals and the exit
code; and how Ctrl-C is taken during a run."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from xl_mailer.app.create import SheetRun
from xl_mailer.app.report import totals, was_sent
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


class RowLines:
    """Each row's result, kept as it arrives and printed in sheet order: answers arrive in
    the order Click2Mail gives them, and a list that jumps about is hard to check against
    the sheet. With ``quiet`` nothing is printed; the results are still counted."""

    def __init__(self, out: TextIO, *, quiet: bool) -> None:
        self._out = out
        self._quiet = quiet
        self._printed = 0
        self.results: list[tuple[int, JobResult]] = []

    def __call__(self, row: int, result: JobResult) -> None:
        self.results.append((row, result))

    def print(self) -> None:
        """Print the lines not printed yet, in sheet order."""
        fresh = self.results[self._printed :]
        self._printed = len(self.results)
        if not self._quiet:
            for row, result in sorted(fresh, key=lambda item: item[0]):
                print(describe_row(row, result), file=self._out)
            self._out.flush()


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


def advice(
    summary: RunSummary,
    results: Sequence[tuple[int, JobResult]],
    *,
    workbook: str,
    validate_only: bool = False,
) -> list[str]:
    """What to do about the rows that did not make a job, one line per kind."""
    if validate_only:
        if not summary.counts[Outcome.INVALID]:
            return []
        return ["Fix the rows that would be refused (each one's line says why), then check again."]
    lines = []
    if any(r.outcome is Outcome.FAILED and was_sent(r) for _, r in results):
        lines.append(
            "Refused by Click2Mail: a row with an HTTP Status and a non-zero Return Code"
            " (HTTP 200 too) made no job and will not be mailed. Fix what its Description"
            " says, then run again."
        )
    if summary.counts[Outcome.INVALID] or any(
        r.outcome is Outcome.FAILED and not was_sent(r) for _, r in results
    ):
        lines.append(
            "Not sent: a row whose Description starts with 'Not sent' never left this"
            " computer. Fix what its Description says, then run again."
        )
    if summary.counts[Outcome.UNKNOWN]:
        lines.append(
            "Unknown: a row marked UNKNOWN may have made a job at Click2Mail. Run"
            f" 'xl-mailer reconcile {workbook}' before anything else; it is never sent again"
            " blindly."
        )
    return lines


def cancelled_text(
    results: Sequence[tuple[int, JobResult]], summary: RunSummary, again: str
) -> str:
    """What a run cancelled with Ctrl-C did, and how to go on."""
    sent = sum(1 for _, result in results if was_sent(result))
    unsent = summary.counts[Outcome.NOT_SENT]
    return (
        f"Cancelled with Ctrl-C: {sent} row(s) were sent before the cancel, and their answers"
        f" are saved; {unsent} row(s) were not sent. To continue, run {again} again: rows"
        " that have a Job ID are skipped, so nothing is sent twice."
    )


def interrupted_text(
    results: Sequence[tuple[int, JobResult]], *, again: str, workbook: str, second: bool
) -> str:
    """What a Ctrl-C that stops at once (a second one, or one outside the sending) leaves
    behind, and how to go on."""
    answers = sum(1 for _, result in results if was_sent(result))
    return (
        f"Stopped at once by {'a second ' if second else ''}Ctrl-C, after {answers} answer(s)"
        " from Click2Mail. Every job id received is in the journal beside the workbook, and"
        f" in the workbook where its save got through. To continue, run {again} again: it"
        " puts every id back into its row and sends nothing twice. A row whose answer had"
        f" not arrived is marked UNKNOWN: 'xl-mailer reconcile {workbook}' finds out whether"
        " its job was made."
    )


def finish(
    run: SheetRun,
    out: TextIO,
    *,
    where: Path | None,
    quiet: bool = False,
    validate_only: bool = False,
    cancelled: bool = False,
    again: str = "the same command",
) -> int:
    """Print the totals, where the results were saved, what to do next (unless ``quiet``)
    and why the run stopped early (if it did); return the exit code."""
    summary, results = run.summary, run.results
    workbook = str(where) if where is not None else "WORKBOOK"
    print(
        f"Totals: {totals(summary, results, validate_only=validate_only)}"
        f" in {summary.seconds:.1f} s",
        file=out,
    )
    if where is not None:
        print(f"Results saved in {where}", file=out)
    if not quiet:
        for line in advice(summary, results, workbook=workbook, validate_only=validate_only):
            print(line, file=out)
    if cancelled:
        print(cancelled_text(results, summary, again), file=sys.stderr)
    elif summary.stopped:
        print(f"Stopped: {summary.stopped}", file=sys.stderr)
    return exit_code(summary)
