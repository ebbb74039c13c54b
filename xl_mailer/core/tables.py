"""Tables on sheets other than the Jobs table's own columns: the Documents, Addresses and
Address Lists sheets, and the columns the whole mailing adds beside a Jobs row (Cost,
Submit, Submitted, Job Status, Tracking, Proof...).

A ``TableSpec`` names a table's columns: those a row must have, those it may have, and
those xl-mailer writes. ``find_table`` finds the header row (within the first rows, as
the Jobs table is found), matches names case-insensitively, and places the written
columns a sheet lacks right of the last column in use, never over the user's data. Pure:
it works on the values of a sheet from A1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xl_mailer.core.errors import SheetLayoutError
from xl_mailer.core.sheet import HEADER_SEARCH_ROWS, Rows, header_columns


@dataclass(frozen=True)
class TableSpec:
    """The columns of one kind of table, by the names its header row gives them."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    written: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """Where a table's columns are; indexes are 0-based into the rows given."""

    header_row: int
    columns: dict[str, int]  # every column found or placed, by its spec name
    added: tuple[str, ...] = ()  # written columns the header row lacks (placed, not there yet)

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1

    def cell(self, row: Sequence[object], name: str) -> object:
        """The value of column ``name`` in ``row`` (None when the table has no such column)."""
        column = self.columns.get(name)
        return row[column] if column is not None and column < len(row) else None

    def data_rows(self, rows: Rows) -> list[tuple[int, Sequence[object]]]:
        """(1-based sheet row, values) of each row below the header with any value."""
        return [
            (index + 1, rows[index])
            for index in range(self.first_data_row, len(rows))
            if any(v not in (None, "") for v in rows[index])
        ]


def find_table(rows: Rows, spec: TableSpec, *, sheet: str) -> Table:
    """The table ``spec`` describes on ``sheet``. Raises SheetLayoutError naming what is
    missing (or a header given twice) when no row in the first ones holds every required
    column."""
    names = {name.casefold(): name for name in (*spec.required, *spec.optional, *spec.written)}
    best: tuple[int, list[str]] | None = None
    for r, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = header_columns(row, names, row_number=r + 1, sheet=sheet)
        missing = [name for name in spec.required if name not in found]
        if not missing:
            return _placed(rows, r, found, spec)
        if best is None or len(missing) < len(best[1]):
            best = (r, missing)
    if best is None or len(best[1]) == len(spec.required):
        raise SheetLayoutError(
            sheet,
            f"no header row in the first {HEADER_SEARCH_ROWS} rows; one row must hold the"
            f" column names {', '.join(spec.required)}",
        )
    raise SheetLayoutError(sheet, f"the header row (row {best[0] + 1}) lacks {', '.join(best[1])}")


def _placed(rows: Rows, r: int, found: dict[str, int], spec: TableSpec) -> Table:
    """Written columns the header lacks go right of the last column any row uses."""
    to_place = tuple(name for name in spec.written if name not in found)
    columns = dict(found)
    if to_place:
        start = max(len(row) for row in rows[r:])
        while start > 0 and all(
            start - 1 >= len(row) or row[start - 1] in (None, "") for row in rows[r:]
        ):
            start -= 1
        columns.update(zip(to_place, range(start, start + len(to_place)), strict=True))
    return Table(header_row=r, columns=columns, added=to_place)
