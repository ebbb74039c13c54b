"""Worksheet functions for the template (xlwings UDFs).

They only read: none creates, submits or changes anything at Click2Mail,
because Excel recalculates whenever it likes. The template carries their VBA
wrappers (module ``xlwings_udfs``, written by xlwings' own generator when the
template is built), so they work as soon as the workbook opens in Excel for
Windows. Excel for Mac runs the ribbon's buttons but not xlwings worksheet
functions.

Arguments are typed ``Any``, not ``object``: xlwings converts an argument by its
type hint, and it has a converter for ``Any`` but none for ``object``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import xlwings as xw

from xl_mailer.core.catalog import CLASS_FIELDS, default_catalog
from xl_mailer.core.errors import SheetLayoutError
from xl_mailer.core.models import REQUIRED_PARAMS, RESULT_HEADERS
from xl_mailer.core.returncodes import describe
from xl_mailer.core.rows import RowPlan, plan_row, plan_rows
from xl_mailer.core.sheet import HEADER_SEARCH_ROWS, Layout, find_layout

_CATALOG = default_catalog()
_VALUES_HEADER = [*REQUIRED_PARAMS, "mailClass", "mailingDate", *RESULT_HEADERS]
_VALUES_LAYOUT = find_layout([_VALUES_HEADER])
_PREFIXES = ("Not sent: ", "Skipped: ")


def _verdict(plan: RowPlan) -> str:
    if plan.result is None:
        return "OK"
    text = plan.result.description
    for prefix in _PREFIXES:
        text = text.removeprefix(prefix)
    return text


def _header_above(row: xw.Range) -> list[list[Any]]:
    """The cells above ``row`` in its own columns, in the rows where a header may be
    (the first ``HEADER_SEARCH_ROWS`` of the sheet, as for a run)."""
    last = min(row.row - 1, HEADER_SEARCH_ROWS)
    if last < 1:
        return []
    above = row.sheet.range((1, row.column), (last, row.last_cell.column))
    values: list[list[Any]] = above.options(ndim=2).value
    return values


def _layout(header: Sequence[Sequence[Any]], row: xw.Range, *, given: bool) -> Layout | str:
    """The layout the header gives, or what to tell the user when there is none."""
    try:
        return find_layout(header)
    except SheetLayoutError as exc:
        if given:
            named = {str(v).strip().casefold() for v in header[0] if v is not None}
            missing = [name for name in REQUIRED_PARAMS if name.casefold() not in named]
            return f"the header given lacks {', '.join(missing)}" if missing else exc.reason
        where = row.address.replace("$", "")
        return f"{exc.reason}. Or give the header row: =C2M_VALIDATE({where}, <header row>)"


@xw.func
@xw.arg("header", ndim=1)
def C2M_VALIDATE(row: xw.Range, header: Any = None) -> str:
    """ "OK" when a row of the Jobs table would be sent, else the reason it would not.

    ``row`` is the row's cells, e.g. A5:S5. They are matched to parameter names
    through the table's header row: the row in the first ten rows of the sheet,
    above ``row`` and in its columns, that names the nine required parameters
    (as a run finds it); or ``header`` (e.g. A$4:S$4) when it is given. A blank row
    gives an empty text, so the formula can be filled down the whole table.
    """
    values: list[list[Any]] = row.options(ndim=2).value
    if len(values) != 1:
        return f"Give one row of the table, e.g. A5:S5, not {row.address.replace('$', '')}"
    names = [list(header)] if header is not None else _header_above(row)
    layout = _layout(names, row, given=header is not None)
    if isinstance(layout, str):
        return layout
    # the rows down to the header, then this row: as a run would read the sheet
    rows = [*names[: layout.first_data_row], values[0]]
    plans = plan_rows(rows, layout, catalog=_CATALOG)
    return _verdict(plans[0]) if plans else ""


@xw.func
def C2M_VALIDATE_VALUES(
    documentClass: Any,
    layout: Any,
    productionTime: Any,
    envelope: Any,
    color: Any,
    paperType: Any,
    printOption: Any,
    documentId: Any,
    addressId: Any,
    mailClass: Any = None,
    mailingDate: Any = None,
) -> str:
    """ "OK" when these values would be sent, else the reason they would be refused;
    one argument per parameter, for values that are not in a row of the Jobs table."""
    row = [
        documentClass,
        layout,
        productionTime,
        envelope,
        color,
        paperType,
        printOption,
        documentId,
        addressId,
        mailClass,
        mailingDate,
    ]
    return _verdict(plan_row(0, row, _VALUES_LAYOUT, catalog=_CATALOG))


@xw.func
def C2M_RETURN_CODE(code: Any, http_status: Any = None) -> str:
    """The documented description of a Click2Mail return code."""
    try:
        number = int(float(str(code)))
        http = int(float(str(http_status))) if http_status not in (None, "") else None
    except ValueError:
        return f"Not a return code: {code!r}"
    return describe(number, http)


@xw.func
@xw.ret(expand="table")
def C2M_OPTIONS(field: str, documentClass: Any = None) -> list[list[str]]:
    """The allowed values of a field, for one documentClass (or all), one per row."""
    name = str(field).strip()
    if name != "documentClass" and name not in CLASS_FIELDS:
        return [[f"Unknown field {name!r}"]]
    product = str(documentClass) if documentClass not in (None, "") else None
    values = _CATALOG.allowed(name, product)
    if not values and product is not None:
        return [[f"Unknown documentClass {product!r}"]]
    return [[value] for value in values]
