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

from .blocks import contiguous_blocks
from .jobs import SheetPort, key_date, key_time, result_spans
from .journal import Journal
from .models import KEY_HEADER, JobRequest, JobResult, Outcome
from .rows import UNKNOWN_PREFIX, plan_row
from .sheet import Layout, find_layout

LOOKBACK_DAYS = 1
"""Days before a key's date to start the listing: clocks and time zones differ."""

MIN_AGE = dt.timedelta(minutes=5)
"""A row is declared safe only this long after it was sent: a create whose answer timed out
(HTTP 524 is Cloudflare's 100 s) may still be in the making."""

FindJobs = Callable[[dt.date], Sequence[Mapping[str, str]]]


@dataclass(frozen=True)
class Pending:
    """One UNKNOWN row: its number, request key and the parameters it was sent with."""

    row: int
    key: str | None
    params: tuple[tuple[str, str], ...]


def pending_rows(values: list[list[object]], layout: Layout) -> list[Pending]:
    """The rows awaiting reconciliation: no Job ID and a Description that starts UNKNOWN."""
    found: list[Pending] = []
    cols = layout.results
    for index in range(layout.first_data_row, len(values)):
        line = values[index] + [None] * (max(cols.values()) + 1 - len(values[index]))
        text = line[cols["Description"]]
        if line[cols["Job ID"]] not in (None, "") or not (
            isinstance(text, str) and text.startswith(UNKNOWN_PREFIX)
        ):
            continue
        key = line[cols[KEY_HEADER]]
        plan = plan_row(index + 1, line, layout, catalog=None)
        params = plan.request.params if plan.request else ()
        found.append(Pending(index + 1, str(key) if key not in (None, "") else None, params))
    return found


def start_date(pending: Sequence[Pending], today: dt.date) -> dt.date:
    """The first day to list: the oldest key's day, less the look-back; a week without keys."""
    days = [key_date(p.key) for p in pending if p.key]
    known = [d for d in days if d is not None]
    if len(known) < len(pending):
        known.append(today - dt.timedelta(days=7))
    return min(known) - dt.timedelta(days=LOOKBACK_DAYS)


def _same_params(params: Sequence[tuple[str, str]], job: Mapping[str, str]) -> bool:
    """Every parameter the listing shows agrees with the row (fields it omits are not held
    against it: the listing's shape is not documented)."""
    return all(
        job[name] == value for name, value in params if name != "appSignature" and name in job
    )


def settle(
    pending: Pending,
    jobs: Sequence[Mapping[str, str]],
    checked: dt.date,
    *,
    now: dt.datetime | None = None,
    min_age: dt.timedelta = MIN_AGE,
) -> JobResult:
    """The row's result once the listing is known."""
    own_signature = dict(pending.params).get("appSignature")
    by_key = bool(pending.key) and own_signature in (None, pending.key)
    if by_key and jobs and not any("appSignature" in job for job in jobs):
        return _still_unknown(
            "Click2Mail's job listing does not show appSignature, so this row cannot be matched"
            " to its job; check at Click2Mail",
            pending.key,
        )
    if by_key:
        candidates = [j for j in jobs if j.get("appSignature") == pending.key]
        mismatched = [j for j in candidates if not _same_params(pending.params, j)]
        if mismatched:
            ids = ", ".join(j.get("id", "?") for j in mismatched)
            return _still_unknown(
                f"job(s) {ids} carry this row's request key but other parameters; check them at"
                " Click2Mail",
                pending.key,
            )
    else:
        candidates = [
            j
            for j in jobs
            if _same_params(pending.params, j)
            and (own_signature is None or j.get("appSignature") == own_signature)
        ]
    if len(candidates) == 1:
        job_id = candidates[0].get("id", "")
        if job_id.isdigit():
            return JobResult(
                Outcome.CREATED,
                f"Reconciled: job {job_id} exists at Click2Mail (its answer had been lost)",
                int(job_id),
                None,
                0,
                pending.key,
            )
    if not candidates:
        sent = key_time(pending.key) if pending.key else None
        now = now or dt.datetime.now(dt.UTC)
        if sent is not None and now - sent < min_age:
            after = (sent + min_age).strftime("%H:%M")
            return _still_unknown(
                "no job yet, but Click2Mail may still be making it; reconcile again after"
                f" {after} UTC",
                pending.key,
            )
        what = f"request key {pending.key}" if pending.key else "these parameters"
        return JobResult(
            Outcome.FAILED,
            f"Safe to send again: Click2Mail has no job with {what}"
            f" (checked {checked.isoformat()})",
            None,
            None,
            None,
            None,
        )
    ids = ", ".join(j.get("id", "?") for j in candidates)
    return _still_unknown(
        f"{len(candidates)} jobs at Click2Mail match this row ({ids}); put the"
        " right one in Job ID by hand",
        pending.key,
    )


def _still_unknown(why: str, key: str | None) -> JobResult:
    return JobResult(Outcome.UNKNOWN, f"{UNKNOWN_PREFIX} {why}.", request_key=key)


def reconcile_sheet(
    port: SheetPort,
    find_jobs: FindJobs,
    *,
    journal: Journal | None = None,
    now: dt.datetime | None = None,
    min_age: dt.timedelta = MIN_AGE,
) -> list[tuple[int, JobResult]]:
    """Look every UNKNOWN row up at Click2Mail and write what was found. One listing call.

    Each verdict is added to the journal too, so that a later run does not mark a
    settled row UNKNOWN again from the journal's older record.
    """
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    pending = pending_rows(values, layout)
    if not pending:
        return []
    now = now or dt.datetime.now(dt.UTC)
    jobs = find_jobs(start_date(pending, now.date()))
    settled = [(p.row, settle(p, jobs, now.date(), now=now, min_age=min_age)) for p in pending]
    if journal is not None:
        for p, (row, result) in zip(pending, settled, strict=True):
            if p.key and result.outcome is not Outcome.UNKNOWN:
                journal.result(JobRequest(row, p.params, p.key), result.keyed(p.key))
        journal.sync()
    spans = result_spans(layout)
    for first, cells in contiguous_blocks([(row, list(r.cells)) for row, r in settled]):
        for column, indexes in spans:
            port.write_block(first, column, [[line[i] for i in indexes] for line in cells])
    port.checkpoint()
    return settled
