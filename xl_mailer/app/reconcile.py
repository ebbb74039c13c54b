"""Settle rows whose create may or may not have reached Click2Mail.

Such rows (Description ``UNKNOWN: ...``) are looked up among the jobs
Click2Mail lists since the row's request key was made (``GET /jobs?startDate=``):
a job carrying the row's key (sent as ``appSignature``) and its parameters is
the row's job, and its id is filled in; no such job means the row is safe to
send again; several mean a person must decide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from xl_mailer.app.ports import SheetPort, write_results
from xl_mailer.core.cells import job_number
from xl_mailer.core.keys import key_time
from xl_mailer.core.models import KEY_HEADER, SENT_HEADER, JobRequest, JobResult, Outcome, utc_now
from xl_mailer.core.rows import UNKNOWN_PREFIX, RowState, plan_row, row_state
from xl_mailer.core.sheet import Layout, find_layout
from xl_mailer.engine.journal import Entry, Journal

LOOKBACK_DAYS = 1
"""Days before a row's send time to start the listing: clocks and time zones differ."""

MIN_AGE = dt.timedelta(minutes=5)
"""A row is declared safe only this long after its request last left: a create whose answer
timed out (HTTP 524 is Cloudflare's 100 s) may still be in the making."""

MAX_SKEW = dt.timedelta(minutes=2)
"""How far this computer's clock may be from Click2Mail's for a listing to be trusted."""

TOLERANCE = dt.timedelta(seconds=5)
"""Uncertainty of a job's time against ours once the clocks' difference is taken out."""

LEGACY_WAIT = dt.timedelta(days=1)
"""For a row sent before send times were recorded: how long after its key to wait."""


class ListingLike(Protocol):
    """What reconciliation needs of a job listing (``client.Listing``)."""

    @property
    def jobs(self) -> list[dict[str, str]]: ...

    @property
    def server_time(self) -> dt.datetime | None: ...

    @property
    def problem(self) -> str | None: ...


FindJobs = Callable[[dt.date], ListingLike]


@dataclass(frozen=True)
class Pending:
    """One UNKNOWN row: its number, request key, the parameters it was sent with, and the
    window in which its request may have left (UTC, naive; None where not known)."""

    row: int
    key: str | None
    params: tuple[tuple[str, str], ...]
    sent_from: dt.datetime | None = None  # it cannot have left before
    sent_at: dt.datetime | None = None  # nor after


def _latest(*times: object) -> dt.datetime | None:
    known = [t.replace(tzinfo=None) for t in times if isinstance(t, dt.datetime)]
    return max(known) if known else None


def _earliest(*times: object) -> dt.datetime | None:
    known = [t.replace(tzinfo=None) for t in times if isinstance(t, dt.datetime)]
    return min(known) if known else None


def pending_rows(
    values: list[list[object]], layout: Layout, entries: Mapping[str, Entry] | None = None
) -> list[Pending]:
    """The rows awaiting reconciliation: no Job ID and a Description that starts UNKNOWN.
    Their send windows come from the journal's ``entries`` (by key), the Sent column and
    the request key's minute."""
    found: list[Pending] = []
    cols = layout.results
    for index in range(layout.first_data_row, len(values)):
        line = values[index] + [None] * (max(cols.values()) + 1 - len(values[index]))
        if row_state(line, layout) is not RowState.UNKNOWN:
            continue
        cell = line[cols[KEY_HEADER]]
        key = str(cell) if cell not in (None, "") else None
        plan = plan_row(index + 1, line, layout, catalog=None)
        params = plan.request.params if plan.request else ()
        entry = (entries or {}).get(key) if key else None
        stamped = key_time(key) if key else None
        made = stamped.replace(tzinfo=None) if stamped else None
        sent_from = _earliest(entry.sent_from if entry else None, made)
        sent_at = _latest(entry.result.sent_at if entry else None, line[cols[SENT_HEADER]])
        found.append(Pending(index + 1, key, params, sent_from, sent_at))
    return found


def start_date(pending: Sequence[Pending], today: dt.date) -> dt.date:
    """The first day to list: the earliest send, less the look-back; a week when unknown."""
    known = [p.sent_from.date() for p in pending if p.sent_from is not None]
    if len(known) < len(pending):
        known.append(today - dt.timedelta(days=7))
    return min(known) - dt.timedelta(days=LOOKBACK_DAYS)


def _same_params(params: Sequence[tuple[str, str]], job: Mapping[str, str]) -> bool:
    """Every parameter the listing shows agrees with the row (fields it omits are not held
    against it: the listing's shape is not documented)."""
    return all(
        job[name] == value for name, value in params if name != "appSignature" and name in job
    )


def made_window(job: Mapping[str, str]) -> tuple[dt.datetime, dt.datetime] | None:
    """When the listing says a job was made, as (earliest, latest) on Click2Mail's clock:
    a date alone is its whole day. None when the listing does not say ([U] in API.md)."""
    text = (job.get("createdDate") or job.get("created") or job.get("dateCreated") or "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
            return day, day + dt.timedelta(days=1)
        made = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if made.tzinfo is not None:
        made = made.astimezone(dt.UTC).replace(tzinfo=None)
    return made, made + dt.timedelta(seconds=1)


def settle(
    pending: Pending,
    jobs: Sequence[Mapping[str, str]],
    checked: dt.date,
    *,
    now: dt.datetime | None = None,
    min_age: dt.timedelta = MIN_AGE,
    claimed: Mapping[int, str] | None = None,
    skew: dt.timedelta = dt.timedelta(0),
    contested: Mapping[str, Sequence[int]] | None = None,
) -> JobResult:
    """The row's result, from a listing that was understood (complete, clocks agreeing).

    ``claimed`` maps job ids to where they already belong (a row, the journal): a
    job belongs to at most one row. ``skew`` is Click2Mail's clock less ours.
    ``contested`` maps jobs that several rows with their own appSignature could
    claim to those rows (``own_signature_rivals``): none of them is given such a job.
    """
    claimed = claimed or {}
    own_signature = dict(pending.params).get("appSignature")
    by_key = bool(pending.key) and own_signature in (None, pending.key)
    if by_key and jobs and not any("appSignature" in job for job in jobs):
        return _still_unknown(
            "Click2Mail's job listing does not show appSignature, so this row cannot be matched"
            " to its job; check at Click2Mail",
            pending,
        )
    if by_key:
        candidates = [j for j in jobs if j.get("appSignature") == pending.key]
        mismatched = [j for j in candidates if not _same_params(pending.params, j)]
        if mismatched:
            ids = ", ".join(j.get("id", "?") for j in mismatched)
            return _still_unknown(
                f"job(s) {ids} carry this row's request key but other parameters; check them at"
                " Click2Mail",
                pending,
            )
    else:
        unknown_time = _own_signature_candidates(pending, jobs, claimed, skew, contested or {})
        if isinstance(unknown_time, JobResult):
            return unknown_time
        candidates = unknown_time
    if len(candidates) == 1:
        job_id = candidates[0].get("id", "")
        if job_id.isdigit() and int(job_id) in claimed:
            return _still_unknown(
                f"job {job_id} matches this row but belongs to {claimed[int(job_id)]}; check"
                " at Click2Mail which row it was made for",
                pending,
            )
        if job_id.isdigit():
            return JobResult(
                Outcome.CREATED,
                f"Reconciled: job {job_id} exists at Click2Mail (its answer had been lost)",
                int(job_id),
                None,
                0,
                pending.key,
                pending.sent_at,
            )
    if not candidates:
        return _no_job(pending, checked, now or utc_now(), min_age)
    ids = ", ".join(j.get("id", "?") for j in candidates)
    return _still_unknown(
        f"{len(candidates)} jobs at Click2Mail match this row ({ids}); put the"
        " right one in Job ID by hand",
        pending,
    )


def _own_signature_candidates(
    pending: Pending,
    jobs: Sequence[Mapping[str, str]],
    claimed: Mapping[int, str],
    skew: dt.timedelta,
    contested: Mapping[str, Sequence[int]],
) -> list[Mapping[str, str]] | JobResult:
    """For a row sent with its own appSignature (no key to match): the unclaimed jobs with
    its parameters and signature that were not made before the row's request could leave.
    One such job may settle the row only when it was surely made after that; a job made
    around that moment, or a listing that does not say when, leaves the row UNKNOWN."""
    own = dict(pending.params).get("appSignature")
    alike = [
        j
        for j in jobs
        if _same_params(pending.params, j)
        and j.get("appSignature") == own
        and not (j.get("id", "").isdigit() and int(j["id"]) in claimed)
    ]
    if not alike:
        return []
    if pending.sent_from is None:
        return _still_unknown(
            f"{len(alike)} job(s) at Click2Mail have this row's values and appSignature, and"
            " there is no record of when this row was sent; check at Click2Mail",
            pending,
        )
    later: list[Mapping[str, str]] = []
    for job in alike:
        window = made_window(job)
        if window is None:
            return _still_unknown(
                "Click2Mail's listing does not say when its jobs were made, so the jobs with"
                " this row's values and appSignature cannot be told apart; check at Click2Mail",
                pending,
            )
        earliest, latest = (w - skew for w in window)  # on our clock
        if latest < pending.sent_from - TOLERANCE:
            continue  # made before this row's request could leave: not its job
        if earliest < pending.sent_from + TOLERANCE:
            return _still_unknown(
                f"job {job.get('id', '?')} has this row's values and appSignature and was made"
                " about when this row was sent, so it cannot be told whether it is this row's;"
                " check at Click2Mail",
                pending,
            )
        rivals = [r for r in contested.get(job.get("id", ""), ()) if r != pending.row]
        if rivals:
            return _still_unknown(
                f"job {job.get('id', '?')} could be this row's or row(s)"
                f" {', '.join(map(str, rivals))}'s (the same appSignature, and the values the"
                " listing shows); check at Click2Mail which row it was made for",
                pending,
            )
        later.append(job)
    return later


def own_signature_rivals(
    pending: Sequence[Pending], jobs: Sequence[Mapping[str, str]], skew: dt.timedelta
) -> dict[str, list[int]]:
    """Jobs that more than one row sent with its own appSignature could claim (made after
    each of those rows could leave, as far as the listing shows), with those rows."""
    rows: dict[str, list[int]] = {}
    for p in pending:
        own = dict(p.params).get("appSignature")
        if own is None or own == p.key:
            continue
        for job in jobs:
            if not (_same_params(p.params, job) and job.get("appSignature") == own):
                continue
            window = made_window(job)
            latest = window[1] - skew if window else None
            if latest is None or p.sent_from is None or latest >= p.sent_from - TOLERANCE:
                rows.setdefault(job.get("id", ""), []).append(p.row)
    return {job: found for job, found in rows.items() if len(found) > 1}


def _no_job(
    pending: Pending, checked: dt.date, now: dt.datetime, min_age: dt.timedelta
) -> JobResult:
    """No job matches: safe to send again once the row's request is old enough."""
    sent = pending.sent_at
    if sent is None and pending.key and key_time(pending.key):
        # sent by a version that did not record send times: wait long after its key
        sent = key_time(pending.key).replace(tzinfo=None) + LEGACY_WAIT  # type: ignore[union-attr]
    if sent is None:
        return _still_unknown(
            "there is no record of when this row was sent, so it cannot be told whether"
            " Click2Mail is still making its job; check at Click2Mail",
            pending,
        )
    if now - sent < min_age:
        after = (sent + min_age).strftime("%Y-%m-%d %H:%M:%S")
        return _still_unknown(
            f"no job yet, but Click2Mail may still be making it; reconcile again after {after} UTC",
            pending,
        )
    what = f"request key {pending.key}" if pending.key else "these parameters"
    return JobResult(
        Outcome.FAILED,
        f"Safe to send again: Click2Mail has no job with {what} (checked {checked.isoformat()})",
    )


def _still_unknown(why: str, pending: Pending) -> JobResult:
    return JobResult(
        Outcome.UNKNOWN,
        f"{UNKNOWN_PREFIX} {why}.",
        request_key=pending.key,
        sent_at=pending.sent_at,
    )


def listing_doubt(listing: ListingLike, now: dt.datetime) -> str | None:
    """Why a listing cannot prove that a job is missing, or None when it can."""
    if listing.problem:
        return listing.problem
    if listing.server_time is None:
        return (
            "Click2Mail's answer carries no Date header, so this computer's clock cannot be"
            " checked against Click2Mail's"
        )
    skew = listing.server_time - now
    if abs(skew) > MAX_SKEW:
        ahead = "behind" if skew > dt.timedelta(0) else "ahead of"
        minutes = abs(skew).total_seconds() / 60
        return (
            f"this computer's clock is {minutes:,.0f} minutes {ahead} Click2Mail's; correct"
            " the clock (Windows: Settings, Time, Sync now) and reconcile again"
        )
    return None


def reconcile_sheet(
    port: SheetPort,
    find_jobs: FindJobs,
    *,
    journal: Journal | None = None,
    now: dt.datetime | None = None,
    min_age: dt.timedelta = MIN_AGE,
) -> list[tuple[int, JobResult]]:
    """Look every UNKNOWN row up at Click2Mail and write what was found. One listing,
    read to its end.

    A row is declared safe only from a listing that was understood: complete,
    its request keys whole, and from a clock that agrees with ours. Each verdict
    is added to the journal too, so that a later run does not mark a settled row
    UNKNOWN again from the journal's older record.
    """
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    entries = {e.key: e for e in journal.entries()} if journal is not None else {}
    pending = pending_rows(values, layout, entries)
    if not pending:
        return []
    now = now or utc_now()
    listing = find_jobs(start_date(pending, now.date()))
    doubt = listing_doubt(listing, now)
    in_rows = _claims(values, layout)
    in_journal = {
        e.result.job_id: (e.key, f"the journal's request {e.key} (row {e.row})")
        for e in entries.values()
        if e.result.job_id is not None
    }
    skew = listing.server_time - now if listing.server_time else dt.timedelta(0)
    contested = own_signature_rivals(pending, listing.jobs, skew)
    settled: list[tuple[int, JobResult]] = []
    for p in pending:
        if doubt:
            result = _still_unknown(
                f"{doubt}. No row was declared safe to send again from this listing", p
            )
        else:
            claimed = dict(in_rows)
            claimed.update((job, where) for job, (key, where) in in_journal.items() if key != p.key)
            result = settle(
                p,
                listing.jobs,
                now.date(),
                now=now,
                min_age=min_age,
                claimed=claimed,
                skew=skew,
                contested=contested,
            )
            if result.job_id is not None:
                in_rows[result.job_id] = f"row {p.row}"  # a job goes to one row in this pass too
        settled.append((p.row, result))
    # two rows that both could have one job: neither is given it
    given = [r.job_id for _, r in settled if r.job_id is not None]
    shared = {job for job in given if given.count(job) > 1}
    settled = [
        (row, _still_unknown(f"job {r.job_id} matches more than one row; check at Click2Mail", p))
        if r.job_id in shared
        else (row, r)
        for p, (row, r) in zip(pending, settled, strict=True)
    ]
    if journal is not None:
        for p, (row, result) in zip(pending, settled, strict=True):
            if p.key and result.outcome is not Outcome.UNKNOWN:
                journal.result(JobRequest(row, p.params, p.key), result.keyed(p.key))
        journal.sync()
    write_results(port, layout, settled)
    return settled


def _claims(values: list[list[object]], layout: Layout) -> dict[int, str]:
    """The job ids the sheet's rows hold, each with its row."""
    column = layout.results["Job ID"]
    found: dict[int, str] = {}
    for index in range(layout.first_data_row, len(values)):
        line = values[index]
        number = job_number(line[column]) if column < len(line) else None
        if number is not None:
            found.setdefault(number, f"row {index + 1}")
    return found


def reconcile_summary(settled: Sequence[tuple[int, JobResult]]) -> str:
    """One line on what a reconciliation found, for the console and the ribbon's alert."""
    left = sum(1 for _, r in settled if r.outcome is Outcome.UNKNOWN)
    found = sum(1 for _, r in settled if r.outcome is Outcome.CREATED)
    return (
        f"Reconciled {len(settled)} row(s): {found} job(s) found at Click2Mail,"
        f" {len(settled) - found - left} safe to send again, {left} still unknown"
    )
