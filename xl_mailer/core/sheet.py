"""Find the parameter block in a sheet's values and say where results go.

Works on a plain list of rows (the values of the sheet from A1), so the same
rules serve openpyxl files, desktop Excel and xlwings' remote engine.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from xl_mailer.core.errors import SheetLayoutError as SheetLayoutError
from xl_mailer.core.models import ALL_PARAMS, OUTPUT_HEADERS, REQUIRED_PARAMS, RESULT_HEADERS

HEADER_SEARCH_ROWS = 10
"""The header row must be within the first this-many rows of the sheet."""

Cell = object
Rows = Sequence[Sequence[Cell]]

_CANONICAL = {name.casefold(): name for name in ALL_PARAMS}
_RESULTS = {name.casefold(): name for name in OUTPUT_HEADERS}


def _header_key(value: Cell) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        return text.casefold() if text else None
    return None


def column_letter(index: int) -> str:
    """Excel column letters for a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class Layout:
    """Where things are in a sheet; all indexes are 0-based into the rows given.

    ``results`` maps every output header (``OUTPUT_HEADERS``) to its column;
    ``existing`` names those the header row already has.
    """

    header_row: int
    params: dict[str, int]
    results: dict[str, int]
    existing: frozenset[str] = frozenset()

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1

    @property
    def missing_headers(self) -> list[tuple[int, str]]:
        """(column, header) of output columns the sheet does not have yet."""
        return [
            (column, name) for name, column in self.results.items() if name not in self.existing
        ]


def header_columns(
    row: Sequence[Cell], names: dict[str, str], *, row_number: int, sheet: str
) -> dict[str, int]:
    """The columns of a row whose text is one of ``names`` (casefolded text -> name), by
    name. Raises SheetLayoutError when a name appears twice."""
    found: dict[str, int] = {}
    for c, value in enumerate(row):
        key = _header_key(value)
        if key in names:
            name = names[key]
            if name in found:
                raise SheetLayoutError(
                    sheet,
                    f"row {row_number}: the header {name!r} appears twice"
                    f" (columns {column_letter(found[name])} and {column_letter(c)}); keep one",
                )
            found[name] = c
    return found


def find_layout(rows: Rows, *, sheet: str = "sheet") -> Layout:
    """Locate the header row and map parameter and result names to columns.

    Raises SheetLayoutError with a message that says what is missing, names the
    nearest header text for a misspelling, or says which columns are in the way.
    """
    best: tuple[int, int, dict[str, int]] | None = None
    for r, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = header_columns(row, _CANONICAL, row_number=r + 1, sheet=sheet)
        required = sum(1 for name in REQUIRED_PARAMS if name in found)
        if required == len(REQUIRED_PARAMS):
            return _with_results(rows, r, found, sheet)
        if best is None or required > best[1]:
            best = (r, required, found)
    raise SheetLayoutError(sheet, _no_header_message(rows, best))


def _no_header_message(rows: Rows, best: tuple[int, int, dict[str, int]] | None) -> str:
    if best is None or best[1] == 0:
        return (
            f"no header row in the first {HEADER_SEARCH_ROWS} rows; one row must hold the"
            f" nine column names {', '.join(REQUIRED_PARAMS)}"
        )
    r, _, found = best
    missing = [name for name in REQUIRED_PARAMS if name not in found]
    texts = [v.strip() for v in rows[r] if isinstance(v, str) and v.strip()]
    unknown = {t.casefold(): t for t in texts if t.casefold() not in _CANONICAL}
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name.casefold(), list(unknown), n=1, cutoff=0.6)
        if close:
            hints.append(f"{unknown[close[0]]!r} should be {name!r}")
    message = f"the header row (row {r + 1}) lacks {', '.join(missing)}"
    if hints:
        message += "; " + "; ".join(hints)
    return message


def _with_results(rows: Rows, r: int, params: dict[str, int], sheet: str) -> Layout:
    header = rows[r]
    results: dict[str, int] = {}
    for c, value in enumerate(header):
        key = _header_key(value)
        if key in _RESULTS:
            name = _RESULTS[key]
            if name in results:
                raise SheetLayoutError(
                    sheet, f"row {r + 1}: the header {name!r} appears twice; keep one"
                )
            results[name] = c
    found = [n for n in RESULT_HEADERS if n in results]
    if found and len(found) < len(RESULT_HEADERS):
        missing = [n for n in RESULT_HEADERS if n not in results]
        raise SheetLayoutError(
            sheet,
            f"row {r + 1} has some result columns but lacks {', '.join(map(repr, missing))};"
            " add them or remove the others",
        )
    existing = frozenset(results)
    to_place = [n for n in OUTPUT_HEADERS if n not in results]
    if to_place:
        start = max([*params.values(), *results.values()]) + 1
        span = range(start, start + len(to_place))
        if not _free(rows, r, span):
            # the cells next to the table hold the user's own data: go right of all of it
            start = max(len(row) for row in rows[r:])
            while start > 0 and all(
                start - 1 >= len(row) or row[start - 1] in (None, "") for row in rows[r:]
            ):
                start -= 1
            span = range(start, start + len(to_place))
        results.update(zip(to_place, span, strict=True))
    return Layout(header_row=r, params=params, results=results, existing=existing)


def placement(layout: Layout) -> str | None:
    """Where the result columns a run adds go, in words, when they do not go right after the
    parameters (the cells there hold the user's own data); None when nothing is added there
    or they go right after the parameters."""
    added = sorted(column for column, _ in layout.missing_headers)
    if not added:
        return None
    used = [*layout.params.values(), *(layout.results[n] for n in layout.existing)]
    if added[0] == max(used) + 1:
        return None
    mine = _span(max(used) + 1, added[0] - 1)
    kept = "are left as they are" if mine.startswith("columns") else "is left as it is"
    return (
        f"Results go in {_span(added[0], added[-1])}, right of the last column in use"
        f" (your {mine} {kept})"
    )


def _span(first: int, last: int) -> str:
    if first == last:
        return f"column {column_letter(first)}"
    return f"columns {column_letter(first)} to {column_letter(last)}"


def _free(rows: Rows, r: int, span: range) -> bool:
    return all(c >= len(row) or row[c] is None or row[c] == "" for row in rows[r:] for c in span)
