"""Decide, for every data row, what to send or why not: the pure heart of a run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from xl_mailer.core.catalog import Catalog
from xl_mailer.core.cells import CellError, is_blank, to_param
from xl_mailer.core.models import (
    ALL_PARAMS,
    KEY_HEADER,
    OPTION_PARAMS,
    REQUIRED_PARAMS,
    SENT_HEADER,
    JobRequest,
    JobResult,
    Outcome,
)
from xl_mailer.core.outcomes import UNKNOWN_PREFIX as UNKNOWN_PREFIX
from xl_mailer.core.sheet import Layout, Rows


class RowState(Enum):
    """What a data row's result cells say about its mailing, as every action reads it."""

    OPEN = "open"  # no Job ID and no request awaiting reconciliation
    HAS_JOB = "has a job"  # a Job ID (whatever else the row shows)
    UNKNOWN = "unknown"  # no Job ID; its create may have reached Click2Mail: reconcile first


def state_of(job_id: object, description: object) -> RowState:
    """A row's state from its Job ID and Description cells."""
    if not is_blank(job_id):
        return RowState.HAS_JOB
    if isinstance(description, str) and description.startswith(UNKNOWN_PREFIX):
        return RowState.UNKNOWN
    return RowState.OPEN


def row_state(row: Sequence[object], layout: Layout) -> RowState:
    """The state of one row of the values read from a sheet with this ``layout``."""
    cols = layout.results
    return state_of(_cell(row, cols["Job ID"]), _cell(row, cols["Description"]))


@dataclass(frozen=True, slots=True)
class RowPlan:
    """One data row: either a request to send, or a result already decided."""

    row: int  # 1-based sheet row number
    request: JobRequest | None = None
    result: JobResult | None = None
    write: bool = True  # False for rows left exactly as they are (already done)
    notes: tuple[str, ...] = ()  # what was tidied on the way (spaces around an option value)


def _cell(row: Sequence[object], column: int) -> object:
    return row[column] if column < len(row) else None


def plan_rows(
    rows: Rows,
    layout: Layout,
    *,
    catalog: Catalog | None,
    origin_row: int = 1,
    refused: Mapping[int, str] | None = None,
    hold_created: bool = True,
) -> list[RowPlan]:
    """Plan every non-blank data row below the header.

    ``origin_row`` is the sheet row number of ``rows[0]``. Rows that already
    have a Job ID, or an UNKNOWN outcome awaiting reconciliation, are kept as
    they are, so a rerun never makes a second job for them. ``refused`` maps
    row numbers to the reason they may not be sent (hidden rows, merged cells).
    A row that shows it was created but has no Job ID is not sent either
    (``hold_created``; off only to read what such a row asks for).
    """
    plans: list[RowPlan] = []
    for index in range(layout.first_data_row, len(rows)):
        row = rows[index]
        number = index + origin_row
        if all(is_blank(_cell(row, c)) for c in layout.params.values()):
            continue
        state = row_state(row, layout)
        if state is RowState.HAS_JOB:
            plans.append(RowPlan(number, result=_kept("has a Job ID already"), write=False))
            continue
        if state is RowState.UNKNOWN:
            waiting = JobResult(Outcome.UNKNOWN, "Not sent: awaits reconciliation")
            plans.append(RowPlan(number, result=waiting, write=False))
            continue
        held = _held(row, layout) if hold_created else None
        if held is not None:
            plans.append(RowPlan(number, result=held))
            continue
        if refused and number in refused:
            plans.append(RowPlan(number, result=invalid([refused[number]])))
            continue
        plans.append(plan_row(number, row, layout, catalog=catalog))
    return plans


HELD_PREFIX = "Not sent: this row shows"
CREATED_TEXTS = ("Created", "Reconciled: job", "Attached: job", HELD_PREFIX)
"""Descriptions that say a row has a job (or had, before its Job ID was cleared)."""


def _held(row: Sequence[object], layout: Layout) -> JobResult | None:
    """A row with no Job ID that shows it was created, or that was sent and shows no
    refusal, is not sent again: its Job ID may have been cleared by hand. Its cells stay as
    they are but for the Description, which says how to send it again on purpose."""
    cols = layout.results
    http, code = _cell(row, cols["HTTP Status"]), _cell(row, cols["Return Code"])
    text, key = _cell(row, cols["Description"]), _cell(row, cols[KEY_HEADER])
    created = http in (201, 201.0) and code in (0, 0.0)
    says_created = isinstance(text, str) and text.startswith(CREATED_TEXTS)
    silent = not is_blank(key) and is_blank(http) and is_blank(code) and is_blank(text)
    if not (created or says_created or silent):
        return None
    what = "Created" if created or says_created else "a Request Key"
    return JobResult(
        Outcome.INVALID,
        f"{HELD_PREFIX} {what} but no Job ID: it may already be mailed (a Job ID cleared by"
        " hand?). Put its Job ID back, or, to send it again on purpose, press Clear Results"
        " (xl-mailer clear) for this row first",
        None,
        _whole(http),
        _whole(code),
        str(key) if not is_blank(key) else None,
        sent if isinstance(sent := _cell(row, cols[SENT_HEADER]), dt.datetime) else None,
    )


def _whole(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else None


def _kept(why: str) -> JobResult:
    return JobResult(Outcome.SKIPPED, f"Skipped: {why}")


def plan_row(
    number: int, row: Sequence[object], layout: Layout, *, catalog: Catalog | None
) -> RowPlan:
    """Convert and validate one row; a row with any problem is not sent."""
    params: list[tuple[str, str]] = []
    problems: list[str] = []
    notes: list[str] = []
    for name in ALL_PARAMS:
        column = layout.params.get(name)
        if column is None:
            continue
        value = _cell(row, column)
        if not is_blank(value):
            try:
                text = to_param(name, value)
            except CellError as exc:
                problems.append(str(exc))
                continue
            if name not in OPTION_PARAMS or text == text.strip():
                params.append((name, text))
                continue
            # no option value has spaces around it: they are a slip, never what was meant
            value = text.strip()
            notes.append(
                f"removed the spaces around {name} {value!r}"
                if value
                else f"{name} held only spaces"
            )
            if value:
                params.append((name, value))
                continue
        if name == "envelope":
            params.append((name, ""))
        elif name in REQUIRED_PARAMS:
            problems.append(f"{name} is empty")
    if catalog is not None:
        problems.extend(catalog.check(dict(params)))
    if problems:
        return RowPlan(number, result=noted(invalid(problems), notes), notes=tuple(notes))
    return RowPlan(number, request=JobRequest(row=number, params=tuple(params)), notes=tuple(notes))


def invalid(problems: Sequence[str]) -> JobResult:
    """The result of a row refused before any call."""
    return JobResult(Outcome.INVALID, "Not sent: " + "; ".join(problems))


def noted(result: JobResult, notes: Sequence[str]) -> JobResult:
    """``result`` with what planning tidied in its row (``RowPlan.notes``) at the end of its
    Description, so that the row says why what was sent differs from what it shows."""
    if not notes:
        return result
    return JobResult(
        result.outcome,
        f"{result.description} ({'; '.join(notes)})",
        result.job_id,
        result.http_status,
        result.code,
        result.request_key,
        result.sent_at,
    )
