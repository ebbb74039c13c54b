"""The leaner load and save (``headless.leanbook``) write the file openpyxl's own would."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer import excel

from xl_mailer.headless.leanbook import drop_blank_styles, lean_save

TEMPLATE = Path(__file__).resolve().parents[2] / "workbook_template" / "xl-mailer.xlsm"


def parts(data: bytes) -> dict[str, bytes]:
    """Every part of a saved workbook but its save time (docProps/core.xml)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"
        }


def stock_and_lean(path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The file openpyxl saves after loading ``path``, and the one leanbook saves."""
    keep_vba = path.suffix == ".xlsm"
    stock, lean = io.BytesIO(), io.BytesIO()
    load_workbook(path, keep_vba=keep_vba, keep_links=True).save(stock)
    book = load_workbook(path, keep_vba=keep_vba, keep_links=True)
    drop_blank_styles(book)
    lean_save(book, lean)
    return parts(stock.getvalue()), parts(lean.getvalue())


def busy_book(path: Path) -> Path:
    """Styles and no styles side by side, dates, formulas, a merge, a styled empty row, a
    link, a comment, a validation and a second sheet, written in no particular order."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Jobs"
    sheet["C3"] = "late cell first"
    sheet.append(["Job ID", "When", "Total", "Note"])
    for row in range(4, 40):
        sheet.cell(row, 1, row * 7)
        sheet.cell(row, 2, dt.datetime(2026, 11, 28, 12, row % 60))
        sheet.cell(row, 3, f"=A{row}*2")
        if row % 3 == 0:
            sheet.cell(row, 4, "styled").font = Font(bold=True)
            sheet.cell(row, 1).fill = PatternFill("solid", fgColor="FFFF00")
    sheet.merge_cells("F2:G3")
    sheet.row_dimensions[60].height = 30  # a row with no cells, styled
    sheet["A1"].hyperlink = "https://example.com/"
    sheet["D5"].comment = Comment("a note", "ops")
    check = DataValidation(type="list", formula1='"Yes,No"')
    sheet.add_data_validation(check)
    check.add("E4:E39")
    other = book.create_sheet("Settings")
    other["A1"], other["B1"] = "Spend Limit", 250
    book.save(path)
    return path


def test_the_lean_load_and_save_write_the_same_parts_as_openpyxl(tmp_path: Path) -> None:
    stock, lean = stock_and_lean(busy_book(tmp_path / "busy.xlsx"))
    assert stock.keys() == lean.keys()
    assert [name for name in stock if stock[name] != lean[name]] == []


def test_the_template_saves_the_same_through_the_lean_save() -> None:
    stock, lean = stock_and_lean(TEMPLATE)
    assert "xl/vbaProject.bin" in lean  # the macros kept
    assert [name for name in stock if stock[name] != lean[name]] == []


def test_a_cell_whose_blank_style_was_dropped_is_styled_on_its_own(tmp_path: Path) -> None:
    book = load_workbook(busy_book(tmp_path / "busy.xlsx"))
    drop_blank_styles(book)
    sheet = book["Jobs"]
    assert sheet["A4"].has_style is False and sheet["A4"].number_format == "General"
    assert sheet["D6"].font.bold  # a real style is kept
    sheet["A4"].font = Font(italic=True)
    assert sheet["A4"].font.italic and not sheet["A5"].font.italic
    assert not sheet["A7"].font.italic


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # openpyxl's zip
def test_openpyxl_writes_with_its_own_writer_again_after_a_lean_save(tmp_path: Path) -> None:
    stock = excel.WorksheetWriter  # type: ignore[attr-defined]
    book = load_workbook(busy_book(tmp_path / "busy.xlsx"))
    lean_save(book, io.BytesIO())
    assert excel.WorksheetWriter is stock  # type: ignore[attr-defined]

    class Broken(io.BytesIO):
        def write(self, data: object) -> int:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        lean_save(book, Broken())
    assert excel.WorksheetWriter is stock  # type: ignore[attr-defined]
