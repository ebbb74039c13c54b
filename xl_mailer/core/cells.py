"""Turn one cell's value into the exact text Click2Mail receives, or say why it cannot be.

Excel hands every number over as a float and every date as a datetime; a
parameter is text. Conversions here are exact: text goes as typed, whole
numbers lose their ``.0``, dates become ``yyyymmdd``.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from xl_mailer.core.errors import CellError as CellError
from xl_mailer.core.models import ID_PARAMS

EXCEL_ERRORS: frozenset[str] = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
    }
)

MAX_ID = 2_147_483_647
"""Click2Mail ids are 32-bit integers; a larger number is a typo, not an id."""

MAX_TEXT = 1_000
"""No Click2Mail option or address field comes near this; longer text is a pasted accident."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"\d+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class _Uncalculated:
    """A formula cell whose file holds no calculated value (never opened in Excel)."""

    def __repr__(self) -> str:
        return "<uncalculated formula>"


UNCALCULATED = _Uncalculated()


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def to_param(name: str, value: object) -> str:
    """Convert a non-blank cell value for the parameter ``name``.

    Raises CellError with a message that names the column and the value.
    """
    if value is UNCALCULATED:
        raise CellError(
            f"{name} is a formula that was never calculated; open and save the workbook in Excel"
        )
    if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
        raise CellError(f"{name} holds the Excel error {value.strip()}; fix the formula")
    if name in ID_PARAMS:
        return _to_id(name, value)
    if name == "mailingDate":
        return _to_date(value)
    return _to_text(name, value)


def _to_id(name: str, value: object) -> str:
    number: int | None = None
    if isinstance(value, bool | dt.date | dt.time | dt.timedelta):
        kind = "TRUE/FALSE" if isinstance(value, bool) else "a date or time"
        raise CellError(f"{name} must be a positive whole number, not {kind} ({value!r})")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise CellError(f"{name} must be a positive whole number, not {value!r}")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if _DIGITS.fullmatch(text):
            number = int(text)
        else:
            raise CellError(f"{name} must be a positive whole number, not {_show(value)}")
    else:
        raise CellError(f"{name} must be a positive whole number, not {value!r}")
    if number <= 0:
        raise CellError(f"{name} must be a positive whole number, not {number}")
    if number > MAX_ID:
        raise CellError(f"{name} {number} is too large for a Click2Mail id")
    return str(number)


def _to_date(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y%m%d")
    text: str | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        whole = not isinstance(value, float) or value.is_integer()
        text = str(int(value)) if whole else None
    elif isinstance(value, str):
        text = value.strip()
        iso = _ISO_DATE.fullmatch(text)
        if iso:
            text = "".join(iso.groups())
    if text is not None and len(text) == 8 and text.isdigit():
        try:
            dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
        else:
            return text
    raise CellError(f"mailingDate must be a date (or yyyymmdd text), not {_show(value)}")


def _to_text(name: str, value: object) -> str:
    if isinstance(value, bool):
        raise CellError(f"{name} must be text, not TRUE/FALSE")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError(f"{name} must be text, not {value!r}")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        raise CellError(f"{name} must be text, not a date or time ({value})")
    if not isinstance(value, str):
        raise CellError(f"{name} must be text, not {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise CellError(f"{name} is {len(value):,} characters long; at most {MAX_TEXT:,} fit")
    control = _CONTROL.search(value)
    if control:
        raise CellError(
            f"{name} contains a control character (code {ord(control.group())})"
            f" at position {control.start() + 1}; retype the value"
        )
    return value


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def job_number(value: object) -> int | None:
    """A Job ID cell as a number: Excel may keep it as a whole float or as text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
