"""Option values typed with a slip: spaces around them are removed before checking (no catalog
value has any), and a value that differs from Click2Mail's only in case or in the spaces
between its words is refused with what to change, not a "did you mean" that looks the same."""

from __future__ import annotations

import pytest

from xl_mailer.core.catalog import default_catalog, slight_differences
from xl_mailer.core.models import REQUIRED_PARAMS, Outcome
from xl_mailer.core.rows import plan_rows
from xl_mailer.core.sheet import find_layout

from ..conftest import LETTER

CATALOG = default_catalog()
HEADER = [*REQUIRED_PARAMS, "mailClass"]


def plan(**changes: object):  # type: ignore[no-untyped-def]
    row = {**LETTER, **changes}
    values = [HEADER, [row.get(h) for h in HEADER]]
    (planned,) = plan_rows(values, find_layout(values), catalog=CATALOG)
    return planned


def test_no_catalog_value_has_spaces_around_it() -> None:
    for field in ("documentClass", "layout", "productionTime", "envelope", "color"):
        for value in CATALOG.allowed(field):
            assert value == value.strip(), (field, value)


@pytest.mark.parametrize(
    ("changes", "sent", "note"),
    [
        (
            {"documentClass": " Letter 8.5 x 11"},
            ("documentClass", "Letter 8.5 x 11"),
            "removed the spaces around documentClass 'Letter 8.5 x 11'",
        ),
        (
            {"layout": "Address on Separate Page  "},
            ("layout", "Address on Separate Page"),
            "removed the spaces around layout 'Address on Separate Page'",
        ),
        (
            {"color": "\u00a0Black and White "},
            ("color", "Black and White"),
            "removed the spaces around color 'Black and White'",
        ),
    ],
)
def test_spaces_around_an_option_value_are_removed_and_the_row_says_so(
    changes: dict[str, object], sent: tuple[str, str], note: str
) -> None:
    planned = plan(**changes)
    assert planned.request is not None, planned.result
    assert planned.request.get(sent[0]) == sent[1]
    assert planned.notes == (note,)


def test_a_row_refused_for_another_reason_also_says_which_spaces_were_removed() -> None:
    planned = plan(layout="Address on Separate Page ", documentId=None)
    assert planned.result.outcome is Outcome.INVALID
    assert planned.result.description == (
        "Not sent: documentId is empty"
        " (removed the spaces around layout 'Address on Separate Page')"
    )


def test_an_option_of_only_spaces_is_empty() -> None:
    assert "color is empty (color held only spaces)" in plan(color="   ").result.description
    planned = plan(mailClass="  ")
    assert planned.request is not None and planned.request.get("mailClass") is None


def test_free_text_keeps_its_spaces() -> None:
    values = [[*HEADER, "rtnName"], [*(LETTER.get(h) for h in HEADER), "  Acme  "]]
    (planned,) = plan_rows(values, find_layout(values), catalog=CATALOG)
    assert planned.request.get("rtnName") == "  Acme  "
    assert planned.notes == ()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"documentClass": "Priority Express Letter 8.5 x 11"},
            "documentClass 'Priority Express Letter 8.5 x 11' differs from Click2Mail's"
            " 'Priority Express Letter  8.5 x 11': it has one space after 'Letter'"
            " (Click2Mail's has two spaces)",
        ),
        (
            {"documentClass": "Letter  8.5 x 11"},
            "documentClass 'Letter  8.5 x 11' differs from Click2Mail's 'Letter 8.5 x 11':"
            " it has two spaces after 'Letter' (Click2Mail's has one space)",
        ),
        (
            {"documentClass": "letter 8.5 x 11"},
            "documentClass 'letter 8.5 x 11' differs from Click2Mail's 'Letter 8.5 x 11':"
            " write 'Letter' with a capital L",
        ),
        (
            {"color": "black and white"},
            "color 'black and white' differs from Click2Mail's 'Black and White':"
            " write 'Black' with a capital B; write 'White' with a capital W",
        ),
        (
            {"productionTime": "NEXT Day"},
            "productionTime 'NEXT Day' differs from Click2Mail's 'Next Day':"
            " write 'Next', not 'NEXT'",
        ),
        (
            {"layout": "Address on\u00a0Separate Page"},
            "it has a non-breaking space after 'on' (Click2Mail's has one space)",
        ),
        (
            {"printOption": "Printing one side"},
            "write 'One' with a capital O",
        ),
    ],
)
def test_a_value_that_differs_only_in_case_or_spacing_says_what_to_change(
    changes: dict[str, object], message: str
) -> None:
    description = plan(**changes).result.description
    assert message in description
    assert "did you mean" not in description


def test_a_real_typo_still_gets_did_you_mean() -> None:
    description = plan(layout="Adress on Separate Page").result.description
    assert "did you mean 'Address on Separate Page'?" in description


def test_slight_differences_name_each_change() -> None:
    assert slight_differences("letter  8.5 X 11", "Letter 8.5 x 11") == [
        "it has two spaces after 'letter' (Click2Mail's has one space)",
        "write 'Letter' with a capital L",
        "write 'x' with a small x",
    ]
