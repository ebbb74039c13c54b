"""Which row a job belongs to, when the journal and the sheet disagree; and sending a row
again on purpose.

After a crash and an edit, the journal may hold jobs (or requests that may have
made one) that no row claims any more. A run then stops before sending; here a
person lists them and decides, for each: it is row N's (attach: its id goes
into the row), or it is not this workbook's to track (release: recorded in the
journal, never silently forgotten). Nothing here sends anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from xl_mailer.app.jobs import SheetPort, recover, write_results
from xl_mailer.core.cells import is_blank
from xl_mailer.core.errors import XlMailerError
from xl_mailer.core.models import KEY_HEADER, OUTPUT_HEADERS, JobResult, Outcome
from xl_mailer.core.outcomes import UNKNOWN_PREFIX
from xl_mailer.core.sheet import find_layout
from xl_mailer.engine.journal import WHAT, Entry, Journal


class DecisionError(XlMailerError):
    """A decision about an unclaimed job that cannot be carried out as asked."""


def unclaimed(port: SheetPort, journal: Journal) -> list[Entry]:
    """The jobs a person must decide about: the journal's entries that may have made a job
    and that no row of the sheet claims, then saved jobs that hold back a row with the
    same values (``jobs.recover``)."""
    values = port.values()
    found = recover(values, find_layout(values, sheet=port.name), journal)
    return found.unclaimed + found.holding


def _find(entries: Sequence[Entry], what: str) -> Entry:
    """The entry named by a job id or a request key."""
    for entry in entries:
        if what == entry.key or (what.isdigit() and entry.result.job_id == int(what)):
            return entry
    known = ", ".join(_name(e) for e in entries) or "none"
    raise DecisionError(f"{what} is not an unclaimed job of this workbook (unclaimed: {known})")


def _text(value: object) -> str | None:
    """A cell as a send record keeps it: a whole number as its digits."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _name(entry: Entry) -> str:
    return str(entry.result.job_id) if entry.result.job_id is not None else entry.key


@dataclass(frozen=True)
class Attached:
    row: int
    entry: Entry


def attach(
    port: SheetPort, journal: Journal, decisions: Sequence[tuple[str, int]]
) -> list[Attached]:
    """Give each named job (id or request key) to a row: the row's Job ID (or, for a request
    whose answer was lost, its UNKNOWN state and key) is written, so no run sends it again.
    Raises DecisionError, writing nothing, when a row already has a job or is not a data row.
    """
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    found = recover(values, layout, journal)
    entries = found.unclaimed + found.holding
    job_col = layout.results["Job ID"]
    done: list[Attached] = []
    rows_taken: set[int] = set()
    for what, row in decisions:
        entry = _find(entries, what)
        if row <= layout.first_data_row or row > len(values):
            raise DecisionError(f"row {row} is not a row of the table on {port.name}")
        line = values[row - 1] + [None] * (max(layout.results.values()) + 1)
        if not is_blank(line[job_col]) or row in rows_taken:
            raise DecisionError(f"row {row} has a Job ID already; a row has one job")
        key, text = line[layout.results[KEY_HEADER]], line[layout.results["Description"]]
        if isinstance(text, str) and text.startswith(UNKNOWN_PREFIX):
            raise DecisionError(
                f"row {row} awaits reconciliation of its own request; reconcile it first"
            )
        if not is_blank(key) and str(key) != entry.key:
            raise DecisionError(
                f"row {row} was sent with another request key ({key}); a row has one job"
            )
        now = tuple(_text(line[layout.params[n]]) if n in layout.params else None for n in WHAT)
        if entry.ids and any(
            a is not None and a != b for a, b in zip(entry.ids, now, strict=False)
        ):
            sent = ", ".join(f"{n} {v}" for n, v in zip(WHAT, entry.ids, strict=False))
            shown = ", ".join(f"{n} {v}" for n, v in zip(WHAT, now, strict=False))
            raise DecisionError(
                f"row {row} shows {shown}, but {_name(entry)} was sent with {sent}: it is another"
                " mailing. Attach it to the row of that mailing (rows may have moved), or, if"
                " this row was changed on purpose, release it"
            )
        rows_taken.add(row)
        done.append(Attached(row, entry))
    # the row now carries the request key: the journal matches the entry there from now on
    write_results(port, layout, [(a.row, _attached(a.entry)) for a in done])
    return done


def _attached(entry: Entry) -> JobResult:
    result = entry.result
    if result.job_id is None:
        text = (
            f"{UNKNOWN_PREFIX} attached by hand: a request whose answer was lost (request key"
            f" {entry.key}). The job may exist at Click2Mail: run Reconcile before sending this"
            " row again."
        )
        return JobResult(
            Outcome.UNKNOWN, text, None, result.http_status, result.code, entry.key, result.sent_at
        )
    return JobResult(
        Outcome.CREATED,
        f"Attached: job {result.job_id} given to this row by hand (request key {entry.key})",
        result.job_id,
        result.http_status,
        result.code,
        entry.key,
        result.sent_at,
    )


def release(
    journal: Journal, entries: Sequence[Entry], what: Sequence[str], why: str
) -> list[Entry]:
    """Record that the named jobs are not this workbook's to track. They stay in the
    journal (listed by ``releases``) and never stop a run again."""
    chosen = [_find(entries, w) for w in what]
    for entry in chosen:
        journal.release(entry, why)
    return chosen


@dataclass(frozen=True)
class Cleared:
    rows: list[int]
    kept: int  # rows left as they are: a Job ID, or an UNKNOWN outcome


_ROWS = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")


def parse_rows(text: str) -> list[int]:
    """Row numbers from ``5,7-9``. Raises DecisionError."""
    found: list[int] = []
    for part in text.split(","):
        match = _ROWS.fullmatch(part)
        if not match:
            raise DecisionError(f"{part.strip()!r} is not a row number or a range like 7-9")
        first, last = int(match[1]), int(match[2] or match[1])
        found.extend(range(min(first, last), max(first, last) + 1))
    return found


def clear_results(port: SheetPort, rows: Sequence[int] | None = None) -> Cleared:
    """Clear the results of rows that have no job, so that they are sent again on purpose.

    Rows with a Job ID, or whose outcome is UNKNOWN, are kept: clearing them could
    send the same mailing twice. If the journal still knows a cleared row's job,
    the next run puts it back rather than sending.
    """
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    cols = layout.results
    wanted = set(rows) if rows is not None else None
    cleared: list[int] = []
    kept = 0
    for index in range(layout.first_data_row, len(values)):
        if wanted is not None and index + 1 not in wanted:
            continue
        line = values[index] + [None] * (max(cols.values()) + 1 - len(values[index]))
        text = line[cols["Description"]]
        if not is_blank(line[cols["Job ID"]]) or (
            isinstance(text, str) and text.startswith(UNKNOWN_PREFIX)
        ):
            kept += 1
            continue
        if any(not is_blank(line[cols[name]]) for name in OUTPUT_HEADERS if name != "Job ID"):
            cleared.append(index + 1)
    blank = JobResult(Outcome.NOT_SENT, "")
    write_results(port, layout, [(row, blank) for row in cleared])
    return Cleared(cleared, kept)
