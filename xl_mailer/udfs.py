"""Worksheet functions for the template (xlwings UDFs).

They only read: none creates, submits or changes anything at Click2Mail,
because Excel recalculates whenever it likes.
"""

from __future__ import annotations

import xlwings as xw

from xl_mailer.core.catalog import CLASS_FIELDS, default_catalog
from xl_mailer.core.models import REQUIRED_PARAMS, RESULT_HEADERS
from xl_mailer.core.returncodes import describe
from xl_mailer.core.rows import plan_row
from xl_mailer.core.sheet import find_layout

_CATALOG = default_catalog()
_HEADER = [*REQUIRED_PARAMS, "mailClass", "mailingDate", *RESULT_HEADERS]
_LAYOUT = find_layout([_HEADER])


@xw.func
def C2M_VALIDATE(
    documentClass: object,
    layout: object,
    productionTime: object,
    envelope: object,
    color: object,
    paperType: object,
    printOption: object,
    documentId: object,
    addressId: object,
    mailClass: object = None,
    mailingDate: object = None,
) -> str:
    """ "OK" when the row would be sent, else the reason it would be refused."""
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
    plan = plan_row(0, row, _LAYOUT, catalog=_CATALOG)
    if plan.result is None:
        return "OK"
    return plan.result.description.removeprefix("Not sent: ")


@xw.func
def C2M_RETURN_CODE(code: object, http_status: object = None) -> str:
    """The documented description of a Click2Mail return code."""
    try:
        number = int(float(str(code)))
        http = int(float(str(http_status))) if http_status not in (None, "") else None
    except ValueError:
        return f"Not a return code: {code!r}"
    return describe(number, http)


@xw.func
@xw.ret(expand="table")
def C2M_OPTIONS(field: str, documentClass: object = None) -> list[list[str]]:
    """The allowed values of a field, for one documentClass (or all), one per row."""
    name = str(field).strip()
    if name != "documentClass" and name not in CLASS_FIELDS:
        return [[f"Unknown field {name!r}"]]
    product = str(documentClass) if documentClass not in (None, "") else None
    values = _CATALOG.allowed(name, product)
    if not values and product is not None:
        return [[f"Unknown documentClass {product!r}"]]
    return [[value] for value in values]
