"""The Click2Mail ribbon tab's actions, called from VBA through ``RunPython``.

Each function takes the book (``xw.Book.caller()`` when none is given), uses
the same core and client as the CLI, reads the sheet once, writes in blocks,
and ends with a short alert. Problems that stop an action are shown as an
alert, never as a traceback, and never contain a secret.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import xlwings as xw

from xl_mailer.app import claims
from xl_mailer.app.jobs import run_sheet
from xl_mailer.app.reconcile import reconcile_sheet, reconcile_summary
from xl_mailer.click2mail import credentials, endpoints
from xl_mailer.click2mail.connection import connect
from xl_mailer.click2mail.settings import Settings, from_mapping, with_environment
from xl_mailer.core.blocks import contiguous_blocks
from xl_mailer.core.catalog import default_catalog
from xl_mailer.core.cells import is_blank
from xl_mailer.core.errors import XlMailerError
from xl_mailer.core.models import JobRequest, JobResult, Outcome
from xl_mailer.core.sheet import find_layout
from xl_mailer.engine.journal import WHAT, Entry
from xl_mailer.engine.runner import RunSummary
from xl_mailer.engine.workbooks import mark_unfinished
from xl_mailer.excel.bookjournal import book_journal
from xl_mailer.excel.xlbook import BookSheet, quiet_excel, status

TITLE = "Click2Mail"
JOBS_SHEET = "Jobs"
F = TypeVar("F", bound=Callable[..., Any])


def _caller(book: xw.Book | None) -> xw.Book:
    return book if book is not None else xw.Book.caller()


def _alert(book: xw.Book, text: str) -> None:
    book.app.alert(text, title=TITLE)


def action(function: F) -> F:
    """Run a ribbon action; a problem that stops it becomes an alert, not a traceback."""

    @functools.wraps(function)
    def wrapper(book: xw.Book | None = None, **kwargs: Any) -> Any:
        book = _caller(book)
        try:
            return function(book, **kwargs)
        except XlMailerError as exc:
            status(book, None)
            _alert(book, f"Stopped: {exc}")
            return None

    return wrapper  # type: ignore[return-value]


def read_settings(book: xw.Book) -> Settings:
    """The Settings sheet's values (defaults when the book has none), then the environment."""
    names = [sheet.name for sheet in book.sheets]
    values: dict[str, object] = {}
    if "Settings" in names:
        block = book.sheets["Settings"].used_range.options(ndim=2).value or []
        values = {str(row[0]): row[1] for row in block if len(row) > 1 and row[0] is not None}
    return with_environment(from_mapping(values))


def _jobs(book: xw.Book) -> BookSheet:
    names = [sheet.name for sheet in book.sheets]
    return BookSheet(book.sheets[JOBS_SHEET] if JOBS_SHEET in names else book.sheets.active)


class _Progress:
    """Status-bar text at most every half second: each update is a call into Excel."""

    def __init__(self, book: xw.Book, verb: str) -> None:
        self.book, self.verb, self._last = book, verb, 0.0

    def __call__(self, summary: RunSummary) -> None:
        now = time.monotonic()
        if now - self._last >= 0.5 or summary.done == summary.total:
            self._last = now
            status(
                self.book, f"{self.verb}: {summary.done} / {summary.total}, {summary.failed} failed"
            )


def _log(book: xw.Book, endpoint: str, summary: RunSummary) -> None:
    names = [sheet.name for sheet in book.sheets]
    if "Log" not in names:
        return
    sheet = book.sheets["Log"]
    last = sheet.used_range.last_cell.row
    row = [
        dt.datetime.now().replace(microsecond=0),
        getpass.getuser(),
        endpoint,
        summary.created,
        summary.failed,
        summary.counts[Outcome.SKIPPED],
        round(summary.seconds, 1),
    ]
    sheet.range((last + 1, 1)).value = [row]


def _create(book: xw.Book, rows: list[int] | None) -> RunSummary:
    settings = read_settings(book)
    port = _jobs(book)
    with (
        connect(
            settings.endpoint,
            username=settings.username,
            timeout=settings.timeout,
            concurrency=settings.concurrency,
        ) as connection,
        book_journal(book, port, endpoint=settings.endpoint, sending=True) as journal,
    ):
        with quiet_excel(book):
            run = run_sheet(
                port,
                send=connection.client.create_job,
                catalog=default_catalog(),
                concurrency=settings.concurrency,
                rows=rows,
                preflight=connection.client.check_credentials,
                progress=_Progress(book, "Creating jobs"),
                journal=journal,
            )
        if journal is not None and journal.here:
            # another person's run waits until a save of this book holds what this one sent
            sent = run.results + run.recovered
            mark_unfinished(Path(journal.here), {r.request_key for _, r in sent if r.request_key})
        label = connection.label
    status(book, None)
    _log(book, label, run.summary)
    summary = run.summary
    text = f"{summary.line()} in {summary.seconds:.1f} s."
    if summary.stopped:
        text += f"\n\nStopped: {summary.stopped}"
    _alert(book, text)
    return summary


@action
def validate_rows(book: xw.Book) -> RunSummary:
    """Check every row and write what is wrong in its Description; send nothing."""
    run = run_sheet(_jobs(book), send=_no_send, catalog=default_catalog(), validate_only=True)
    summary = run.summary
    _alert(
        book,
        f"Validation: {summary.line()}."
        + (" Rows marked 'Not sent' need fixing." if summary.failed else ""),
    )
    return summary


def _no_send(request: JobRequest) -> JobResult:
    raise AssertionError("validation sends nothing")


@action
def create_jobs(book: xw.Book) -> RunSummary:
    """Create one Click2Mail job per row that has no Job ID yet."""
    return _create(book, rows=None)


@action
def create_selected_jobs(book: xw.Book) -> RunSummary | None:
    """Create jobs only for the rows that are selected."""
    if book.sheets.active.name != _jobs(book).name:
        _alert(book, f"Select the rows to send on the {_jobs(book).name} sheet first.")
        return None
    selection = book.selection
    rows = selected_rows(selection.address if selection is not None else None)
    if not rows:
        _alert(book, "Select the rows to send first (any cell of each row).")
        return None
    return _create(book, rows=sorted(rows))


def selected_rows(address: str | None) -> set[int]:
    """Row numbers covered by an address such as ``$A$5:$C$7,$B$9`` or ``5:7``."""
    rows: set[int] = set()
    for area in (address or "").replace("$", "").split(","):
        if "!" in area:
            area = area.split("!", 1)[1]
        numbers = [int(n) for n in re.findall(r"\d+", area)]
        if len(numbers) == 1:
            rows.add(numbers[0])
        elif len(numbers) == 2:
            rows.update(range(min(numbers), max(numbers) + 1))
    return rows


@action
def refresh_status(book: xw.Book) -> int:
    """Look up each job's current state at Click2Mail and show it in its Description."""
    settings = read_settings(book)
    port = _jobs(book)
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    job_col, text_col = layout.results["Job ID"], layout.results["Description"]
    updates: list[tuple[int, list[object]]] = []
    with connect(
        settings.endpoint,
        username=settings.username,
        timeout=settings.timeout,
        concurrency=settings.concurrency,
    ) as connection:
        for index in range(layout.first_data_row, len(values)):
            row = values[index]
            job = row[job_col] if job_col < len(row) else None
            if is_blank(job) or not isinstance(job, int | float):
                continue
            document = connection.client.job_status(int(job))
            state = document.fields.get("description", "")
            updates.append(
                (index + 1, [f"Job status: {state} (checked {dt.datetime.now():%Y-%m-%d %H:%M})"])
            )
    with quiet_excel(book):
        for first, cells in contiguous_blocks(updates):
            port.write_block(first, text_col, cells)
    _alert(book, f"Refreshed the status of {len(updates)} job(s).")
    return len(updates)


@action
def clear_results(book: xw.Book) -> int:
    """Clear the results of rows that have no job, so they can be fixed and sent again.

    Rows with a Job ID, or whose outcome is UNKNOWN, are kept: clearing them
    could send the same mailing twice.
    """
    port = _jobs(book)
    endpoint = read_settings(book).endpoint
    with book_journal(book, port, endpoint=endpoint), quiet_excel(book):  # no run interleaves
        cleared = claims.clear_results(port)
    _alert(
        book,
        f"Cleared {len(cleared.rows)} row(s). Kept {cleared.kept} row(s) that have a job or"
        " await reconciliation.",
    )
    return len(cleared.rows)


UNCLAIMED_SHEET = "Unclaimed Jobs"
UNCLAIMED_HEADER = [
    "Job ID",
    "Request Key",
    "Sent from row",
    "Sent with",
    "Sent (UTC)",
    "Decision",
]
_DECISION = UNCLAIMED_HEADER.index("Decision")


@action
def unclaimed_jobs(book: xw.Book) -> int:
    """List the jobs the journal holds that no row claims, on their own sheet; carry out the
    decisions typed there (a row number: the job is that row's; ``release``: not this
    workbook's to track). Returns how many are still unclaimed."""
    port = _jobs(book)
    with book_journal(book, port, endpoint=read_settings(book).endpoint) as journal:
        if journal is None:
            _alert(book, "Save the workbook as a file first: its journal is kept by file.")
            return 0
        names = [sheet.name for sheet in book.sheets]
        sheet = (
            book.sheets[UNCLAIMED_SHEET]
            if UNCLAIMED_SHEET in names
            else book.sheets.add(UNCLAIMED_SHEET, after=book.sheets[len(names) - 1])
        )
        listed = sheet.used_range.options(ndim=2).value or []
        attach, release = _decisions(listed[1:])
        entries = claims.unclaimed(port, journal)
        done = {a.entry.key for a in claims.attach(port, journal, attach)} if attach else set()
        if release:
            released = claims.release(journal, entries, release, "released on the ribbon")
            done |= {e.key for e in released}
        left = [e for e in entries if e.key not in done]
        lines: list[list[object]] = [list(UNCLAIMED_HEADER)]
        lines += [
            [e.result.job_id, e.key, e.row, _sent_with(e), e.result.sent_at or e.sent_from, None]
            for e in left
        ]
        blank = max(len(listed) - len(lines), 0)
        sheet.range((1, 1)).value = lines + [[None] * len(UNCLAIMED_HEADER)] * blank
    told = f"Attached {len(attach)}, released {len(release)}. " if attach or release else ""
    _alert(
        book,
        told
        + (
            f"{len(left)} job(s) that no row claims are listed on the '{UNCLAIMED_SHEET}'"
            " sheet. In Decision, type the row each belongs to, or 'release' if it is not this"
            " workbook's to track; then press Unclaimed Jobs again."
            if left
            else "No unclaimed jobs: every job the journal holds is in its row."
        ),
    )
    return len(left)


def _sent_with(entry: Entry) -> str:
    """The mailing a job is, as its send record keeps it (documentId and addressId)."""
    return ", ".join(f"{n} {v}" for n, v in zip(WHAT, entry.ids, strict=False) if v)


def _decisions(lines: list[list[object]]) -> tuple[list[tuple[str, int]], list[str]]:
    """The decisions typed on the Unclaimed Jobs sheet: (job, row) to attach, jobs to release."""
    attach: list[tuple[str, int]] = []
    release: list[str] = []
    for line in lines:
        if len(line) < len(UNCLAIMED_HEADER) or line[1] in (None, ""):
            continue
        key, decision = str(line[1]), line[_DECISION]
        if isinstance(decision, int | float) and not isinstance(decision, bool):
            attach.append((key, int(decision)))
        elif isinstance(decision, str) and decision.strip().isdigit():
            attach.append((key, int(decision.strip())))
        elif isinstance(decision, str) and decision.strip().lower() in ("release", "released"):
            release.append(key)
    return attach, release


@action
def reconcile(book: xw.Book) -> int:
    """Look UNKNOWN rows up at Click2Mail: fill in their job ids, or mark them safe to send."""
    settings = read_settings(book)
    port = _jobs(book)
    with (
        connect(
            settings.endpoint, username=settings.username, timeout=settings.timeout, concurrency=1
        ) as connection,
        book_journal(book, port, endpoint=settings.endpoint) as journal,
        quiet_excel(book),
    ):
        settled = reconcile_sheet(port, connection.client.find_jobs, journal=journal)
    _alert(book, reconcile_summary(settled) + "." if settled else "No row awaits reconciliation.")
    return len(settled)


@action
def test_connection(book: xw.Book) -> str:
    """Check the endpoint and the credentials with a read-only call."""
    settings = read_settings(book)
    with connect(
        settings.endpoint, username=settings.username, timeout=settings.timeout, concurrency=1
    ) as connection:
        credit = connection.client.check_credentials()
        text = (
            f"Connected to {connection.label} as {connection.client.username}."
            f" Credit balance: {credit.fields.get('balance', '?')}."
        )
    _alert(book, text)
    return text


def _ask_password(prompt: str) -> str | None:
    """A masked password dialog (Tk ships with Python on Windows and macOS)."""
    try:
        import tkinter
        from tkinter import simpledialog
    except ImportError:
        return None
    root = tkinter.Tk()
    root.withdraw()
    root.attributes("-topmost", True)
    try:
        return simpledialog.askstring(TITLE, prompt, show="*", parent=root)
    finally:
        root.destroy()


@action
def set_password(book: xw.Book, *, ask: Callable[[str], str | None] = _ask_password) -> bool:
    """Keep the password for the Settings endpoint and username in the OS keyring."""
    settings = read_settings(book)
    if settings.endpoint == endpoints.SANDBOX:
        _alert(book, "The sandbox needs no password.")
        return False
    base_url = endpoints.resolve(settings.endpoint)
    if not settings.username:
        _alert(book, "Enter your Click2Mail username on the Settings sheet first.")
        return False
    password = ask(f"Click2Mail password for {settings.username} at {endpoints.label(base_url)}:")
    if not password:
        _alert(book, "No password given; nothing stored. You can also run 'xl-mailer login'.")
        return False
    credentials.store_password(base_url, settings.username, password)
    _alert(
        book,
        f"Password kept in the OS keyring for {settings.username} at"
        f" {endpoints.label(base_url)}. It is not stored in the workbook.",
    )
    return True


ACTIONS: dict[str, Callable[..., Any]] = {
    "validate_rows": validate_rows,
    "create_jobs": create_jobs,
    "create_selected_jobs": create_selected_jobs,
    "refresh_status": refresh_status,
    "reconcile": reconcile,
    "clear_results": clear_results,
    "unclaimed_jobs": unclaimed_jobs,
    "test_connection": test_connection,
    "set_password": set_password,
}
"""Ribbon button tags and the functions they run."""


def run(tag: str) -> None:
    """Entry point of the VBA dispatcher, which passes the button's tag."""
    function = ACTIONS.get(tag)
    book = xw.Book.caller()
    if function is None:
        _alert(book, f"Unknown ribbon button {tag!r}: update xl-mailer.")
        return
    function(book)
