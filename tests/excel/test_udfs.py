from __future__ import annotations

import datetime as dt

import pytest
import xlwings as xw

from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.udfs import C2M_OPTIONS, C2M_RETURN_CODE, C2M_VALIDATE, C2M_VALIDATE_VALUES

from ..conftest import LETTER
from ..remote import payload_from_workbook

ROW = [LETTER[k] for k in REQUIRED_PARAMS]
JOB_ID = 20  # column T of the template


def jobs_sheet(*rows: list[object], start: int = 5) -> xw.Sheet:
    """The template's Jobs sheet, through xlwings' remote engine, with these rows from row 5."""
    cells = {(r, c): v for r, row in enumerate(rows, start) for c, v in enumerate(row, 1)}
    book = xw.Book(json=payload_from_workbook(changes={"Jobs": cells}))
    return book.sheets["Jobs"]


def test_validate_takes_a_row_of_the_table_and_finds_its_columns_by_the_header() -> None:
    wrong = list(ROW)
    wrong[1] = "Adress on Separate Page"
    optional = [*ROW, "First Class", *[None] * 7, dt.datetime(2026, 12, 24)]
    jobs = jobs_sheet(ROW, wrong, optional)
    assert C2M_VALIDATE(jobs["A5:S5"]) == "OK"
    assert C2M_VALIDATE(jobs["A6:S6"]) == (
        "layout 'Adress on Separate Page' is not allowed for"
        " 'Letter 8.5 x 11'; did you mean 'Address on Separate Page'?"
    )
    assert C2M_VALIDATE(jobs["A7:S7"]) == "OK"  # mailClass in J and mailingDate in R
    # the header, not the position, says which cell is which: a row from column C on
    assert C2M_VALIDATE(jobs["C5:S5"]).startswith("the header row (row 4) lacks documentClass")


def test_validate_reads_the_cells_as_a_run_would() -> None:
    id_cell = list(ROW)
    id_cell[7] = 12.5
    job = [*ROW, *[None] * 10, 1234]  # a Job ID in column T
    jobs = jobs_sheet(id_cell, job)
    assert C2M_VALIDATE(jobs["A5:S5"]) == "documentId must be a positive whole number, not 12.5"
    assert C2M_VALIDATE(jobs["A6:Y6"]) == "has a Job ID already"
    assert C2M_VALIDATE(jobs["A7:S7"]) == ""  # a blank row: the formula can fill the table


def test_validate_takes_the_header_as_a_second_argument() -> None:
    jobs = jobs_sheet(["Click2Mail", *ROW], start=20)
    header = [None, *REQUIRED_PARAMS]
    assert C2M_VALIDATE(jobs["A20:J20"], header) == "OK"
    # without it, the table's header row names these cells one column off
    assert C2M_VALIDATE(jobs["A20:J20"]).startswith("documentId must be a positive whole")
    assert C2M_VALIDATE(jobs["A20:J20"], ["documentClass"]) == (
        "the header given lacks layout, productionTime, envelope, color, paperType,"
        " printOption, documentId, addressId"
    )


def test_validate_says_what_to_give_when_there_is_no_header_or_more_than_one_row() -> None:
    jobs = jobs_sheet(ROW)
    assert C2M_VALIDATE(jobs["A5:S6"]) == "Give one row of the table, e.g. A5:S5, not A5:S6"
    assert C2M_VALIDATE(jobs["A1:S1"]).startswith("no header row in the first 10 rows")
    assert C2M_VALIDATE(jobs["A1:S1"]).endswith(
        "Or give the header row: =C2M_VALIDATE(A1:S1, <header row>)"
    )


def test_validate_values_takes_one_argument_per_parameter() -> None:
    assert C2M_VALIDATE_VALUES(*ROW) == "OK"
    assert C2M_VALIDATE_VALUES(*ROW, "First Class", dt.datetime(2026, 12, 24)) == "OK"
    row = list(ROW)
    row[7] = 12.5
    assert C2M_VALIDATE_VALUES(*row) == "documentId must be a positive whole number, not 12.5"


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ((3,), "Address List ID not found"),
        ((3.0, 200), "Address List ID not found"),
        ((4,), "Document Type cannot Mail Internationally"),
        (
            (9, 500),
            "HTTP 500 / code 9, no text sent; documented meanings: (custom server error text)",
        ),
        ((42,), "Return code 42 is not documented for job creation"),
        (("x",), "Not a return code: 'x'"),
    ],
)
def test_return_code_gives_the_documented_description(args: tuple[object, ...], text: str) -> None:
    assert C2M_RETURN_CODE(*args).startswith(text)


def test_options_lists_allowed_values_for_a_document_class() -> None:
    assert C2M_OPTIONS("layout", "Postcard 6 x 9") == [
        ["Double Sided Postcard"],
        ["Portrait Double Sided Postcard"],
    ]
    assert ["Priority Express Letter  8.5 x 11"] in C2M_OPTIONS("documentClass")
    assert C2M_OPTIONS("colour", None) == [["Unknown field 'colour'"]]
    assert C2M_OPTIONS("layout", "Letter 9 x 12") == [["Unknown documentClass 'Letter 9 x 12'"]]


def test_udfs_cannot_reach_click2mail() -> None:
    """The UDF module loads no HTTP client at all, so no recalculation can make a job."""
    import subprocess
    import sys

    code = (
        "import sys, xl_mailer.udfs; "
        "print(sorted(m for m in ('requests', 'xl_mailer.click2mail.client',"
        " 'xl_mailer.click2mail.connection')"
        " if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
