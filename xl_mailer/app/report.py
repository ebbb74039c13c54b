"""What a run did, in words for the person who ran it and as a line for the workbook's Log
sheet: the same for the ribbon and the command line, each of which shows or writes it."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Sequence

from xl_mailer.core.models import JobResult, Outcome
from xl_mailer.engine.runner import RunSummary

LOG_SHEET = "Log"
LOG_HEADERS = ("When", "Who", "Endpoint", "Created", "Failed", "Skipped", "Seconds")
"""The Log sheet's columns, as the template's header row names them."""

LogValue = dt.datetime | str | int | float


def who() -> str:
    """The name of the person running xl-mailer, as the operating system knows it."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name: a service account, a container
        return ""


def log_line(
    summary: RunSummary,
    *,
    endpoint: str,
    when: dt.datetime | None = None,
    user: str | None = None,
) -> list[LogValue]:
    """One run's line, in ``LOG_HEADERS`` order: when (local time, to the second), who,
    the endpoint's name, the rows created, failed and skipped, and the seconds taken."""
    return [
        (when or dt.datetime.now()).replace(microsecond=0),
        who() if user is None else user,
        endpoint,
        summary.created,
        summary.failed,
        summary.counts[Outcome.SKIPPED],
        round(summary.seconds, 1),
    ]


def was_sent(result: JobResult) -> bool:
    """True when the row's request reached Click2Mail (or may have): it has an answer, or
    its outcome is unknown."""
    return result.outcome in (Outcome.CREATED, Outcome.UNKNOWN) or result.http_status is not None


def totals(
    summary: RunSummary, results: Sequence[tuple[int, JobResult]], *, validate_only: bool
) -> str:
    """The run's counts in words. A validation sends nothing: its rows are "ready" or
    "would be refused", never "created" or "failed"."""
    counts = summary.counts
    if validate_only:
        parts = [
            f"{counts[Outcome.VALID]} ready to send",
            f"{counts[Outcome.INVALID]} would be refused",
        ]
    else:
        refused = sum(1 for _, r in results if r.outcome is Outcome.FAILED and was_sent(r))
        parts = [f"{summary.created} created", f"{summary.failed} failed"]
        if summary.failed:
            parts[-1] += (
                f" ({refused} refused by Click2Mail, {summary.failed - refused} refused"
                " before sending)"
                if refused
                else " (refused before sending)"
            )
    for outcome, words in (
        (Outcome.UNKNOWN, "unknown (may exist at Click2Mail)"),
        (Outcome.SKIPPED, "skipped (a Job ID already)"),
        (Outcome.NOT_SENT, "not sent (the run stopped first)"),
    ):
        if counts[outcome]:
            parts.append(f"{counts[outcome]} {words}")
    text = ", ".join(parts)
    return text + ("; nothing was sent (validation only)" if validate_only else "")
