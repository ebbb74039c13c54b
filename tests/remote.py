"""Drive the ribbon's Python code through xlwings' remote engine, as the VBA client would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import xlwings as xw
from openpyxl import load_workbook

TEMPLATE = Path(__file__).resolve().parents[1] / "workbook_template" / "xl-mailer.xlsm"


def _cell(value: object) -> object:
    """A cell as the VBA client sends it: a date or time as ISO text ending in Z (xlwings'
    remote engine cuts the last character off before it reads the rest)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()).isoformat() + "Z"
    return value


def sheet_values(rows: list[list[object]]) -> list[list[object]]:
    """A rectangular block from A1, as the VBA client sends a sheet's used range."""
    width = max((len(r) for r in rows), default=0)
    return [[_cell(v) for v in r] + [None] * (width - len(r)) for r in rows] or [[]]


def payload_from_workbook(
    path: Path = TEMPLATE,
    *,
    changes: dict[str, dict[tuple[int, int], object]] | None = None,
    selection: str | None = "A1",
    active: str = "Jobs",
) -> dict[str, Any]:
    """The JSON the VBA client would send for ``path``, with cells changed first (1-based)."""
    book = load_workbook(path)
    sheets = []
    for ws in book.worksheets:
        for (row, column), value in (changes or {}).get(ws.title, {}).items():
            ws.cell(row, column, value)
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        sheets.append(
            {"name": ws.title, "values": sheet_values(rows), "pictures": [], "tables": []}
        )
    return {
        "client": "VBA",
        "version": xw.__version__,
        "book": {
            "name": path.name,
            "active_sheet_index": book.sheetnames.index(active),
            "selection": selection,
        },
        "names": [],
        "sheets": sheets,
    }


def actions(book: xw.Book, func: str | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = book.json()["actions"]
    return [a for a in found if func is None or a["func"] == func]
