from __future__ import annotations

import datetime as dt

import pytest

from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.udfs import C2M_OPTIONS, C2M_RETURN_CODE, C2M_VALIDATE

from ..conftest import LETTER

ROW = [LETTER[k] for k in REQUIRED_PARAMS]


def test_validate_says_ok_for_a_row_that_would_be_sent() -> None:
    assert C2M_VALIDATE(*ROW) == "OK"
    assert C2M_VALIDATE(*ROW, "First Class", dt.datetime(2026, 12, 24)) == "OK"


def test_validate_gives_the_reason_a_row_would_be_refused() -> None:
    row = list(ROW)
    row[1] = "Adress on Separate Page"
    assert C2M_VALIDATE(*row) == (
        "layout 'Adress on Separate Page' is not allowed for"
        " 'Letter 8.5 x 11'; did you mean 'Address on Separate Page'?"
    )
    row = list(ROW)
    row[7] = 12.5
    assert C2M_VALIDATE(*row) == "documentId must be a positive whole number, not 12.5"


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
