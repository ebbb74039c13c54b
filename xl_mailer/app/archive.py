"""Archive finished rows: every row with a Job ID moves to the History sheet, with every
column and the day it was archived, so that the Jobs sheet holds only today's work.

The rows are written into History before they leave the Jobs sheet: a failure in
between leaves a row in both places, never in neither. A job in History is this
workbook's: no run asks about it again or holds back a row that has its values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from xl_mailer.app.ports import ArchivePort
from xl_mailer.core.cells import UNCALCULATED, job_number
from xl_mailer.core.keys import is_key
from xl_mailer.core.models import KEY_HEADER
from xl_mailer.core.rows import RowState, row_state
from xl_mailer.core.sheet import find_layout

HISTORY_SHEET = "History"
ARCHIVED_HEADER = "Archived"


@dataclass(frozen=True)
class Archived:
    """What an archiving did: the sheet rows moved, and the rows left that await
    reconciliation (their job may exist: they stay until Reconcile settles them)."""

    rows: list[int]
    unknown: int

    def line(self) -> str:
        moved = f"Moved {len(self.rows)} finished row(s) to the {HISTORY_SHEET} sheet"
        if not self.rows:
            moved = "No finished row to archive: no row of the table has a Job ID"
        waiting = (
            f"; {self.unknown} row(s) await reconciliation and stay (run Reconcile first)"
            if self.unknown
            else ""
        )
        return moved + waiting + "."


@dataclass(frozen=True)
class HistoryClaims:
    """The job ids and request keys of the rows a book has archived."""

    ids: frozenset[int]
    keys: frozenset[str]

    def holds(self, key: str, job_id: int | None) -> bool:
        return key in self.keys or (job_id is not None and job_id in self.ids)


NOTHING_ARCHIVED = HistoryClaims(frozenset(), frozenset())


def history_claims(history: Sequence[Sequence[object]]) -> HistoryClaims:
    """What the History sheet's rows hold, found through its header row."""
    if not history:
        return NOTHING_ARCHIVED
    header = [str(cell).strip() if cell is not None else "" for cell in history[0]]
    job_col = header.index("Job ID") if "Job ID" in header else None
    key_col = header.index(KEY_HEADER) if KEY_HEADER in header else None
    ids: set[int] = set()
    keys: set[str] = set()
    for line in history[1:]:
        if job_col is not None and job_col < len(line):
            number = job_number(line[job_col])
            if number is not None:
                ids.add(number)
        if key_col is not None and key_col < len(line):
            cell = line[key_col]
            if isinstance(cell, str) and is_key(cell):
                keys.add(cell)
    return HistoryClaims(frozenset(ids), frozenset(keys))


def archive_rows(port: ArchivePort, *, today: dt.date) -> Archived:
    """Move every row with a Job ID to the History sheet (a header row first, if it has
    none), stamped with ``today``. Rows awaiting reconciliation stay. Raises
    SheetLayoutError, with nothing moved, when the sheet has no table."""
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    header = list(values[layout.header_row])
    while header and header[-1] in (None, ""):
        header.pop()
    width = max([len(header), *(c + 1 for c in layout.results.values())])
    header += [None] * (width - len(header))
    finished: list[int] = []
    unknown = 0
    for index in range(layout.first_data_row, len(values)):
        state = row_state(values[index], layout)
        if state is RowState.HAS_JOB:
            finished.append(index + 1)
        elif state is RowState.UNKNOWN:
            unknown += 1
    if not finished:
        return Archived([], unknown)
    history = port.archived()
    existing = _trimmed(history[0]) if history else []
    columns = _history_columns(existing, header)
    lines: list[list[object]] = []
    if columns.names != existing:  # a new History, or Jobs has columns History lacks
        lines.append(list(columns.names))
    for row in finished:
        line = list(values[row - 1]) + [None] * width
        out: list[object] = [None] * len(columns.names)
        for source, target in columns.places.items():
            # a formula Excel never calculated has no value to keep: History shows a blank
            out[target] = None if line[source] is UNCALCULATED else line[source]
        out[columns.archived] = today
        lines.append(out)
    if history and columns.names != existing:
        port.write_history(1, lines[:1])  # the header grows; the rows go below the last
        lines = lines[1:]
    port.write_history(len(history) + 1 if history else 1, lines)
    port.delete_rows(finished)
    return Archived(finished, unknown)


def _trimmed(line: Sequence[object]) -> list[object]:
    cells = list(line)
    while cells and cells[-1] in (None, ""):
        cells.pop()
    return cells


@dataclass(frozen=True)
class _Columns:
    names: list[object]  # the History header, as it will be
    places: dict[int, int]  # Jobs column -> History column
    archived: int  # the History column of the day archived


def _history_columns(existing: Sequence[object], header: Sequence[object]) -> _Columns:
    """Where each Jobs column goes in History: under the same name, new names at the end
    (before nothing: History keeps its own order once it exists)."""
    names: list[object] = list(existing) if existing else [*header, ARCHIVED_HEADER]
    places: dict[int, int] = {}
    for column, name in enumerate(header):
        if name in (None, ""):
            if not existing:
                places[column] = column
            continue
        if name not in names:
            names.append(name)
        places[column] = names.index(name)
    if ARCHIVED_HEADER not in names:
        names.append(ARCHIVED_HEADER)
    return _Columns(names, places, names.index(ARCHIVED_HEADER))
