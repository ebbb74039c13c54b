"""Result columns a run adds go right of the table's last used column when the cells next to
the parameters hold the user's own data (an Owner or notes column), and the run says where."""

from __future__ import annotations

from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS
from xl_mailer.core.sheet import find_layout, placement


def test_an_owner_column_right_after_the_parameters_moves_the_results_past_it() -> None:
    rows = [[*REQUIRED_PARAMS, "Owner"], ["x"] * 9 + ["Ann"], ["x"] * 9 + ["Bob"]]
    layout = find_layout(rows)
    assert [layout.results[name] for name in OUTPUT_HEADERS] == list(range(10, 16))  # K to P
    assert placement(layout) == (
        "Results go in columns K to P, right of the last column in use"
        " (your column J is left as it is)"
    )


def test_two_columns_of_the_users_own_are_named_as_a_span() -> None:
    rows = [[*REQUIRED_PARAMS, "Owner", "notes"], ["x"] * 9 + ["Ann", "call first"]]
    assert placement(find_layout(rows)) == (
        "Results go in columns L to Q, right of the last column in use"
        " (your columns J to K are left as they are)"
    )


def test_nothing_is_said_when_the_results_go_right_after_the_parameters() -> None:
    assert placement(find_layout([list(REQUIRED_PARAMS), ["x"] * 9])) is None
    with_results = [[*REQUIRED_PARAMS, *OUTPUT_HEADERS, "Owner"], ["x"] * 9]
    assert placement(find_layout(with_results)) is None
