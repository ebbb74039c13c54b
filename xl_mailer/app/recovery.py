"""What the journal knows that the sheet does not: the ids it put back, the jobs no row
claims, and the rows a saved job holds back.

``recover`` decides; the caller writes (a run, before it plans; ``claims``, when a
person attaches a job to a row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xl_mailer.app.archive import NOTHING_ARCHIVED, HistoryClaims
from xl_mailer.core.cells import job_number
from xl_mailer.core.errors import UnclaimedJobs
from xl_mailer.core.models import KEY_HEADER, JobResult, Outcome, utc_now
from xl_mailer.core.outcomes import unknown
from xl_mailer.core.rows import RowState, plan_rows, row_state
from xl_mailer.core.sheet import Layout
from xl_mailer.engine.journal import Entry, Journal, Settled, digest, match_rows

HOLD_PREFIX = "Not sent: held back:"
"""A row without a key whose values a saved job was sent with from it (``recover``)."""


def unclaimed_error(journal: Journal, where: object, entries: Sequence[Entry]) -> UnclaimedJobs:
    """The stop for journal entries that no row claims: names each, and the way forward."""
    lines = []
    for entry in entries[:10]:
        what = (
            f"job {entry.result.job_id}"
            if entry.result.job_id is not None
            else "a request whose answer was lost"
        )
        lines.append(f"{what} (sent from row {entry.row}, request key {entry.key})")
    more = f" and {len(entries) - 10} more" if len(entries) > 10 else ""
    return UnclaimedJobs(
        where,
        "its journal holds " + "; ".join(lines) + more + ", but no row claims it now (the"
        " rows were edited, moved or deleted since). Every other job id the journal held is"
        " back in its row. Nothing new was sent. Run 'xl-mailer unclaimed' on this workbook (or"
        " press Unclaimed Jobs) to see them, then attach each to its row (--attach JOB=ROW) or"
        " release it as not from this workbook (--release JOB)",
        list(entries),
    )


def _cell(row: Sequence[object], column: int) -> object:
    return row[column] if column < len(row) else None


@dataclass(frozen=True)
class Recovery:
    """What the journal knows that the sheet does not."""

    updates: list[tuple[int, JobResult]]  # results to write into rows
    unclaimed: list[Entry]  # entries that may have made a job and that no row claims
    holding: list[Entry] = field(default_factory=list)  # saved jobs that hold back a row


def recover(
    values: list[list[object]],
    layout: Layout,
    journal: Journal,
    archived: HistoryClaims = NOTHING_ARCHIVED,
) -> Recovery:
    """Match the journal's entries to the sheet's rows, and decide what each match means.

    By request key, always. By the row's values (``match_rows``), only for requests
    whose results never reached a saved file (the run stopped before it saved), or
    that were journaled after the state this file is, byte for byte (a copy made
    mid-run, the untouched source of an ``--output`` run): a saved job whose key a
    row does not show is that row's only if the row cannot have changed since.
    Otherwise a row without a key that has exactly the values a saved job was sent
    with from that row is held, not sent and not given the job: it may be an older
    copy of that row, or a new mailing with the same values, and only a person can
    tell (releasing the job says: a new mailing).

    A row is given a result only when the sheet shows no job id for it and does not
    already show that outcome; a job id already in another row is never written into
    a second one. A request the journal saw leave with no answer gets, as its send
    time, now: the run that sent it has ended. A job the book has ``archived`` (its
    History sheet) and whose results never reached a saved file is the book's: it is never
    matched to a row or named as unclaimed. (A saved job holds back a row with its values
    whether or not a History sheet shows it: History is cells, and cells can be pasted
    into an older copy.)
    """
    entries = journal.entries()
    released = {e.key for e in entries if e.released} | {r.key for r in journal.releases()}
    held = [
        _held_in_file(r, journal.here)
        for r in journal.settled_records()
        if r.key not in released  # whatever became of its file: the job exists all the same
    ]
    if not entries and not held:
        return Recovery([], [])
    saved = journal.saved_keys()
    since = journal.known_since

    def after_this_state(entry: Entry) -> bool:
        """Journaled after the state this file is, byte for byte: its row here cannot show
        its key, and cannot have changed since."""
        return since is not None and entry.line > since

    loose: list[Entry] = []
    strict: list[Entry] = []
    for entry in entries + held:
        never_saved = entry.file is None and entry.key not in saved
        (loose if never_saved or after_this_state(entry) else strict).append(entry)
    loose = [e for e in loose if not archived.holds(e.key, e.result.job_id)]
    digests = {
        plan.row: digest(plan.request.params)
        for plan in plan_rows(values, layout, catalog=None, hold_created=False)
        if plan.request is not None
    }
    key_col, job_col = layout.results[KEY_HEADER], layout.results["Job ID"]
    keys: dict[int, str] = {}
    ids: set[int] = set()
    job_rows: set[int] = set()
    for index in range(layout.first_data_row, len(values)):
        line = values[index]
        if _cell(line, key_col) not in (None, ""):
            keys[index + 1] = str(_cell(line, key_col))
        if _cell(line, job_col) not in (None, ""):
            job_rows.add(index + 1)
        number = job_number(_cell(line, job_col))
        if number is not None:
            ids.add(number)
    matched, orphans = match_rows(loose, digests, keys)
    by_key, strict_orphans = match_rows(strict, {}, keys)  # saved: by request key only
    matched += by_key
    in_files = {e.key for e in held} | saved  # jobs a file held: not lost when no row shows them
    unclaimed = [
        e
        for e in orphans + strict_orphans
        if e.may_have_made_a_job
        and e.result.job_id not in ids
        and not e.released
        and e.key not in in_files
    ]
    updates: list[tuple[int, JobResult]] = []
    now = utc_now()
    taken = {row for row, _ in matched}
    for row, entry in matched:
        line = values[row - 1]
        if _cell(line, job_col) not in (None, ""):
            continue  # the sheet has this row's job already
        if not entry.may_have_made_a_job:
            continue  # a clean refusal: nothing was made, the row may be sent again
        if entry.result.job_id is not None and entry.result.job_id in ids:
            continue  # another row shows this job: a job belongs to one row
        if entry.result.job_id is None and row_state(line, layout) is RowState.UNKNOWN:
            continue  # already shows that it awaits reconciliation
        result = entry.result
        if result.sent_at is None:
            result = result.sent(now)
        updates.append((row, result))
    holding: list[Entry] = []
    free: dict[str, list[int]] = {}  # rows without a key or a job, by their values
    for row in sorted(digests):
        if row not in taken and row not in keys and row not in job_rows:
            free.setdefault(digests[row], []).append(row)
    waiting = [
        e
        for e in strict_orphans
        if e.may_have_made_a_job and not e.released and e.result.job_id not in ids
    ]
    # each saved job holds back one row with its values: its own row first, else the first
    # such row (rows inserted or deleted above it since)
    at_own_row = [e.row in free.get(e.digest, ()) for e in waiting]
    ordered = [e for e, own in zip(waiting, at_own_row, strict=True) if own]
    ordered += [e for e, own in zip(waiting, at_own_row, strict=True) if not own]
    for entry in ordered:
        rows = free.get(entry.digest, [])
        spot = entry.row if entry.row in rows else (rows[0] if rows else None)
        if spot is not None:
            rows.remove(spot)
            holding.append(entry)
            updates.append((spot, _hold(entry)))
    return Recovery(updates, unclaimed, holding)


def _held_in_file(settled: Settled, here: str | None) -> Entry:
    """A job a file of this workbook held when the journal forgot its request (or, with no
    job id, a request whose answer was lost, which that file shows UNKNOWN)."""
    if settled.job_id is None:
        result = unknown(
            f"a request sent from this row lost its answer; {Path(settled.path).name} shows it too",
        ).keyed(settled.key)
    else:
        where = (
            "the journal remembers it (its Job ID had been cleared)"
            if settled.path == here
            else f"{Path(settled.path).name} holds it too"
        )
        result = JobResult(
            Outcome.CREATED,
            f"Recovered: job {settled.job_id} was made for this row; {where}",
            settled.job_id,
            201,
            0,
            settled.key,
        )
    return Entry(
        settled.key,
        settled.row,
        settled.digest,
        result,
        line=settled.line,
        file=settled.path,
    )


def _hold(entry: Entry) -> JobResult:
    """The result of a row held back by a saved job sent from it with the same values."""
    job = entry.result.job_id
    what = f"job {job}" if job is not None else f"a request whose answer was lost ({entry.key})"
    where = Path(entry.file).name if entry.file else "the workbook as it was saved"
    sent = entry.result.sent_at or entry.sent_from
    when = f" on {sent:%Y-%m-%d %H:%M} UTC" if sent else ""
    name = str(job) if job is not None else entry.key
    return JobResult(
        Outcome.INVALID,
        f"{HOLD_PREFIX} this row was mailed with these same values as {what}"
        f"{when}, and {where} holds it. If this file or window is older than that, it is"
        f" this row's job: work in the newer one. To mail these values again, release it"
        f" first (xl-mailer unclaimed --release {name}, or Unclaimed Jobs), then create jobs"
        " again",
    )
