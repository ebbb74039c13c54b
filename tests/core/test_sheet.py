from __future__ import annotations

import pytest

from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS
from xl_mailer.core.sheet import SheetLayoutError, column_letter, find_layout

HEADER = list(REQUIRED_PARAMS)


def test_header_in_first_row_maps_every_required_column() -> None:
    layout = find_layout([HEADER])
    assert layout.header_row == 0
    assert layout.params == {name: i for i, name in enumerate(REQUIRED_PARAMS)}


def test_header_below_a_title_row_is_found() -> None:
    layout = find_layout([["My mailings"], [], HEADER, ["x"] * 9])
    assert layout.header_row == 2
    assert layout.first_data_row == 3


def test_header_matches_case_insensitively_and_ignores_surrounding_spaces() -> None:
    header = [f"  {name.upper()} " for name in REQUIRED_PARAMS]
    assert find_layout([header]).params["paperType"] == 5


def test_shuffled_columns_and_user_columns_are_mapped_by_name() -> None:
    header = ["Notes", *reversed(REQUIRED_PARAMS), "mailClass"]
    layout = find_layout([header])
    assert layout.params["addressId"] == 1
    assert layout.params["documentClass"] == 9
    assert layout.params["mailClass"] == 10
    # results go right of the rightmost parameter column, then the request key
    assert layout.results == {h: 11 + i for i, h in enumerate(OUTPUT_HEADERS)}
    assert layout.missing_headers == [(11 + i, h) for i, h in enumerate(OUTPUT_HEADERS)]


def test_existing_result_columns_are_found_by_header_wherever_they_are() -> None:
    header = ["Description", *REQUIRED_PARAMS, "Job ID", "Return Code", "HTTP Status"]
    layout = find_layout([header])
    assert layout.results == {
        "Description": 0,
        "Job ID": 10,
        "Return Code": 11,
        "HTTP Status": 12,
        "Request Key": 13,
        "Sent (UTC)": 14,
    }
    assert layout.missing_headers == [(13, "Request Key"), (14, "Sent (UTC)")]


def test_header_beyond_row_ten_is_not_found() -> None:
    rows: list[list[object]] = [[] for _ in range(10)] + [HEADER]
    with pytest.raises(SheetLayoutError, match="no header row in the first 10 rows"):
        find_layout(rows)


def test_header_in_row_ten_is_found() -> None:
    rows: list[list[object]] = [[] for _ in range(9)] + [HEADER]
    assert find_layout(rows).header_row == 9


def test_misspelled_header_names_the_nearest_name() -> None:
    header = [*REQUIRED_PARAMS[:-1], "adressId"]
    with pytest.raises(SheetLayoutError, match="lacks addressId; 'adressId' should be 'addressId'"):
        find_layout([header])


def test_duplicate_header_is_refused_naming_both_columns() -> None:
    with pytest.raises(SheetLayoutError, match="'layout' appears twice \\(columns B and J\\)"):
        find_layout([[*REQUIRED_PARAMS, "Layout"]])


def test_missing_output_columns_go_right_of_a_users_column_instead_of_over_it() -> None:
    rows = [
        [*REQUIRED_PARAMS, "Job ID", "HTTP Status", "Return Code", "Description", "Notes"],
        [None] * 13 + ["mine", None, "also mine"],
    ]
    layout = find_layout(rows)
    assert layout.results["Request Key"] == 16  # Q: right of the last used column (P)
    assert layout.results["Sent (UTC)"] == 17


def test_result_columns_are_not_created_over_a_users_column() -> None:
    rows = [[*REQUIRED_PARAMS, None, "my notes"], ["x"] * 9]
    layout = find_layout(rows)
    assert layout.results["Job ID"] == 11  # L: right of the user's notes in K
    assert sorted(layout.results.values()) == list(range(11, 17))


def test_some_but_not_all_result_headers_is_refused() -> None:
    with pytest.raises(SheetLayoutError, match="lacks 'HTTP Status'"):
        find_layout([[*REQUIRED_PARAMS, "Job ID", "Return Code", "Description"]])


@pytest.mark.parametrize(
    ("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letters(index: int, letters: str) -> None:
    assert column_letter(index) == letters
