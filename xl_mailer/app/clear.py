"""Clear the results of rows without a job, so that they are sent again on purpose."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from xl_mailer.app.ports import SheetPort, write_results
from xl_mailer.core.cells import is_blank
from xl_mailer.core.errors import DecisionError
from xl_mailer.core.models import OUTPUT_HEADERS, JobResult, Outcome
from xl_mailer.core.rows import RowState, row_state
from xl_mailer.core.sheet import find_layout


@dataclass(frozen=True)
class Cleared:
    rows: list[int]
    kept: int  # rows left as they are: a Job ID, or an UNKNOWN outcome

    def line(self, *, listed: bool = False) -> str:
        """What was done, in a sentence (``listed``: with the first rows cleared)."""
        rows = f" ({', '.join(map(str, self.rows[:20]))})" if listed and self.rows else ""
        return (
            f"Cleared {len(self.rows)} row(s){rows}. Kept {self.kept} row(s) that have a job or"
            " await reconciliation."
        )


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
        if row_state(line, layout) is not RowState.OPEN:
            kept += 1
            continue
        if any(not is_blank(line[cols[name]]) for name in OUTPUT_HEADERS if name != "Job ID"):
            cleared.append(index + 1)
    blank = JobResult(Outcome.NOT_SENT, "")
    write_results(port, layout, [(row, blank) for row in cleared])
    return Cleared(cleared, kept)
