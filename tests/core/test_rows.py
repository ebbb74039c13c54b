from __future__ import annotations

import pytest

from xl_mailer.core.catalog import default_catalog
from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS, RESULT_HEADERS, Outcome
from xl_mailer.core.rows import plan_rows
from xl_mailer.core.sheet import find_layout

from ..conftest import LETTER

CATALOG = default_catalog()
HEADER = [*REQUIRED_PARAMS, "mailClass", "mailingDate"]


def plan(*rows: dict[str, object], header: list[str] = HEADER, check: bool = True):  # type: ignore[no-untyped-def]
    values = [header] + [[row.get(h) for h in header] for row in rows]
    return plan_rows(values, find_layout(values), catalog=CATALOG if check else None)


def one(**changes: object):  # type: ignore[no-untyped-def]
    row: dict[str, object] = {**LETTER, **changes}
    (result,) = plan(row)
    return result


def test_a_valid_row_becomes_its_request_in_column_order() -> None:
    request = one().request
    assert request.params == (
        ("documentClass", "Letter 8.5 x 11"),
        ("layout", "Address on Separate Page"),
        ("productionTime", "Next Day"),
        ("envelope", "#10 Double Window"),
        ("color", "Black and White"),
        ("paperType", "White 24#"),
        ("printOption", "Printing One side"),
        ("documentId", "1001"),
        ("addressId", "2001"),
    )
    assert request.row == 2


def test_optional_columns_are_sent_only_when_not_blank() -> None:
    assert one(mailClass="First Class").request.get("mailClass") == "First Class"
    assert one(mailClass=None).request.get("mailClass") is None
    assert one(mailClass="").request.get("mailClass") is None


def test_blank_envelope_is_sent_empty_for_products_without_one() -> None:
    postcard = one(
        documentClass="Postcard 4.25 x 6",
        layout="Double Sided Postcard",
        envelope=None,
        color="Full Color",
        paperType="White Matte",
        printOption="Printing both sides",
        productionTime="Week 2",
    )
    assert postcard.request.get("envelope") == ""


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"layout": None}, "layout is empty"),
        ({"envelope": None}, "envelope is empty, but 'Letter 8.5 x 11' needs one of: '#10 Double"),
        ({"documentId": 12.5}, "documentId must be a positive whole number, not 12.5"),
        ({"addressId": "abc"}, "addressId must be a positive whole number, not 'abc'"),
        (
            {"layout": "Adress on Separate Page"},
            "layout 'Adress on Separate Page' is not allowed for 'Letter 8.5 x 11'; did you mean"
            " 'Address on Separate Page'?",
        ),
        (
            {"documentClass": "Priority Express Letter 8.5 x 11"},
            "it has one space after 'Letter' (Click2Mail's has two spaces)",
        ),
        (
            {"color": "Purple"},
            "color 'Purple' is not allowed for 'Letter 8.5 x 11'; allowed:"
            " 'Full Color', 'Black and White'",
        ),
        (
            {
                "documentClass": "Postcard 4.25 x 6",
                "layout": "Double Sided Postcard",
                "color": "Full Color",
                "paperType": "White Matte",
                "printOption": "Printing both sides",
            },
            "envelope '#10 Double Window' is not allowed for 'Postcard 4.25 x 6': leave envelope"
            " empty",
        ),
        ({"mailClass": "Certified Mail"}, "mailClass 'Certified Mail' is not allowed"),
        ({"mailingDate": "soon"}, "mailingDate must be a date"),
    ],
)
def test_invalid_rows_are_not_sent_and_say_why(changes: dict[str, object], message: str) -> None:
    result = one(**changes)
    assert result.request is None
    assert result.result.outcome is Outcome.INVALID
    assert result.result.description.startswith("Not sent: ")
    assert message in result.result.description


def test_every_problem_of_a_row_is_named() -> None:
    result = one(layout=None, documentId="x")
    assert "layout is empty" in result.result.description
    assert "documentId must be" in result.result.description


def test_catalog_check_can_be_switched_off() -> None:
    (result,) = plan({**LETTER, "color": "Purple"}, check=False)
    assert result.request is not None
    assert result.request.get("color") == "Purple"


def test_blank_rows_are_skipped_even_with_a_note_in_a_user_column() -> None:
    header = [*REQUIRED_PARAMS, *OUTPUT_HEADERS, "Notes"]
    values = [
        header,
        [LETTER[h] for h in REQUIRED_PARAMS],
        [None] * 14 + ["just a note"],
        [],
        [LETTER[h] for h in REQUIRED_PARAMS],
    ]
    plans = plan_rows(values, find_layout(values), catalog=CATALOG)
    assert [p.row for p in plans] == [2, 5]


def test_rows_with_a_job_id_are_kept_as_they_are() -> None:
    header = [*REQUIRED_PARAMS, *RESULT_HEADERS]
    values = [header, [*(LETTER[h] for h in REQUIRED_PARAMS), 245986, 201, 0, "Created"]]
    (result,) = plan_rows(values, find_layout(values), catalog=CATALOG)
    assert result.request is None
    assert result.result.outcome is Outcome.SKIPPED
    assert result.write is False


def test_rows_awaiting_reconciliation_are_never_sent_again() -> None:
    header = [*REQUIRED_PARAMS, *RESULT_HEADERS]
    values = [
        header,
        [*(LETTER[h] for h in REQUIRED_PARAMS), None, None, None, "UNKNOWN: no answer within 60 s"],
    ]
    (result,) = plan_rows(values, find_layout(values), catalog=CATALOG)
    assert result.request is None
    assert result.write is False
