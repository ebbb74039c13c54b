"""The Unclaimed Jobs sheet: the jobs no row claims, listed for a person to decide about.

In its Decision column a person types the row a job belongs to, or ``release``;
the next press of Unclaimed Jobs carries the decisions out (``claims.decide``)
and lists what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import xlwings as xw

from xl_mailer.app.claims import sent_with, table_decisions
from xl_mailer.engine.journal import Entry

UNCLAIMED_SHEET = "Unclaimed Jobs"
UNCLAIMED_HEADER = ["Job ID", "Request Key", "Sent from row", "Sent with", "Sent (UTC)", "Decision"]


def unclaimed_sheet(book: xw.Book) -> Any:
    """The book's Unclaimed Jobs sheet, added after the last sheet if it has none."""
    names = [sheet.name for sheet in book.sheets]
    if UNCLAIMED_SHEET in names:
        return book.sheets[UNCLAIMED_SHEET]
    return book.sheets.add(UNCLAIMED_SHEET, after=book.sheets[len(names) - 1])


def read_decisions(sheet: Any) -> tuple[list[list[object]], list[tuple[str, int]], list[str]]:
    """The sheet's lines, and the decisions typed in them: (job, row) to attach, jobs to
    release."""
    listed: list[list[object]] = sheet.used_range.options(ndim=2).value or []
    attach, release = table_decisions(
        [line for line in listed[1:] if len(line) >= len(UNCLAIMED_HEADER)],
        key=UNCLAIMED_HEADER.index("Request Key"),
        decision=UNCLAIMED_HEADER.index("Decision"),
    )
    return listed, attach, release


def list_unclaimed(sheet: Any, entries: Sequence[Entry], *, before: int) -> None:
    """List ``entries`` under the header, blanking the rest of the ``before`` lines shown."""
    lines: list[list[object]] = [list(UNCLAIMED_HEADER)]
    lines += [
        [e.result.job_id, e.key, e.row, sent_with(e), e.result.sent_at or e.sent_from, None]
        for e in entries
    ]
    blank = max(before - len(lines), 0)
    sheet.range((1, 1)).value = lines + [[None] * len(UNCLAIMED_HEADER)] * blank
