"""The Addresses and Address Lists sheets, judged before any list is sent: each input row
beside the problem it gives (None: it is mailed)."""

from __future__ import annotations

import datetime as dt

import pytest

from xl_mailer.core.addresses import (
    ADDRESS_LISTS,
    ADDRESSES,
    FIELDS,
    gather,
    place_names,
    plan_lists,
)
from xl_mailer.core.tables import find_table

HEADER = ["List", *FIELDS]
LISTS_HEADER = ["List", "Addresses", "Address List ID", "HTTP Status", "Return Code", "Description"]
BOSTON = {"List": "April", "Address1": "1 Main St", "City": "Boston", "State": "MA"}


def address(**cells: object) -> list[object]:
    values = {**BOSTON, "Postalcode": "02134", **cells}
    return [values.get(name) for name in HEADER]


def judged(*lines: list[object]) -> tuple[list[dict[str, str]], list[tuple[int, str]]]:
    rows = [HEADER, *lines]
    found = gather(rows, find_table(rows, ADDRESSES, sheet="Addresses"))
    addresses = [a for r in found.values() for a in r.addresses]
    return addresses, [problem for r in found.values() for problem in r.refused]


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ({}, None),
        ({"Address1": None}, "no Address1 (a US address: Country is empty)"),
        (
            {"City": None, "Postalcode": None},
            "no City, Postalcode (a US address: Country is empty)",
        ),
        ({"List": None}, "no List"),
        ({"Country": "Canada", "City": None, "State": None, "Postalcode": None}, None),
        ({"Country": "Canada", "Address1": None}, "no Address1"),
        ({"Address2": dt.datetime(2026, 5, 12)}, "Address2 must be text, not a date or time"),
        ({"Address1": True}, "Address1 must be text, not TRUE/FALSE"),
    ],
)
def test_an_addresses_row_gives_its_problem(cells: dict[str, object], problem: str | None) -> None:
    addresses, refused = judged(address(**cells))
    if problem is None:
        assert refused == [] and len(addresses) == 1
    else:
        assert addresses == [] and len(refused) == 1
        assert refused[0][0] == 2 and refused[0][1].startswith(problem)


@pytest.mark.parametrize(
    ("postalcode", "country", "sent"),
    [
        ("02134", None, "02134"),
        (2134, None, "02134"),  # Excel dropped the leading zero
        (2134.0, None, "02134"),
        (21341234, None, "02134-1234"),
        ("02134-1234", None, "02134-1234"),
        (2134, "Canada", "2134"),  # not a US ZIP: as typed
        ("K1A 0B1", "Canada", "K1A 0B1"),
    ],
)
def test_a_us_zip_typed_as_a_number_gets_its_zeros_back(
    postalcode: object, country: str | None, sent: str
) -> None:
    addresses, refused = judged(address(Postalcode=postalcode, Country=country))
    assert refused == [] and addresses[0]["Postalcode"] == sent


def test_names_and_addresses_keep_ampersands_brackets_quotes_and_accents() -> None:
    cells = {"Firstname": "José", "Organization": 'Brontë & Sons <"Books">', "Lastname": "O'Hara"}
    addresses, _ = judged(address(**cells))
    assert {k: addresses[0][k] for k in cells} == cells


def plans(lists: list[list[object]], *addresses: list[object]) -> list[tuple[str, str | None]]:
    rows = [HEADER, *addresses]
    recipients = gather(rows, find_table(rows, ADDRESSES, sheet="Addresses"))
    table_rows = [LISTS_HEADER, *lists]
    table = find_table(table_rows, ADDRESS_LISTS, sheet="Address Lists")
    return [(p.name, p.problem) for p in plan_lists(table_rows, table, recipients)]


@pytest.mark.parametrize(
    ("lists", "addresses", "problem"),
    [
        ([["April"]], [address()], None),
        ([["APRIL "]], [address()], None),  # case and spaces aside, one name
        (
            [["May"]],
            [address()],
            "Not sent: no row of the Addresses sheet has List 'May'",
        ),
        (
            [[None, None, None, None, None, "x"]],
            [],
            "Not sent: List is empty; give the list a name",
        ),
        (
            [["April"]],
            [address(), address(City=None)],
            "Not sent: on the Addresses sheet, 1 address(es) cannot be mailed (row 3: no City"
            " (a US address: Country is empty)); fix them (or remove their rows) and send again",
        ),
        (
            [["April"], ["april"]],
            [address()],
            "Not sent: the list name 'April' is also on row 3 (case and spaces aside); give"
            " each list its own name",
        ),
        ([["April", 1, 2004]], [address(City=None)], None),  # made already: not judged again
        ([["april"]], [address(), address()], None),  # the rows agree: one spelling
        (
            [["April"]],
            [address(), address(), address(List="april")],
            "Not sent: the Addresses sheet spells this list's name 2 ways, one name case and"
            " spaces aside: 'April' (rows 2, 3); 'april' (row 4); spell it the same way on"
            " every row of the list (or give each list its own name) and send again",
        ),
        (
            [["April"]],
            [address(), address(List=" April "), address(List="Ap ril", City=None)],
            "Not sent: the Addresses sheet spells this list's name 3 ways, one name case and"
            " spaces aside: 'April' (row 2); ' April ' (row 3); 'Ap ril' (row 4); spell it the"
            " same way on every row of the list (or give each list its own name) and send"
            " again",
        ),
    ],
)
def test_an_address_lists_row_gives_its_problem(
    lists: list[list[object]], addresses: list[list[object]], problem: str | None
) -> None:
    assert plans(lists, *addresses)[0][1] == problem


def test_refused_addresses_are_named_five_at_most() -> None:
    bad = [address(Address1=None) for _ in range(7)]
    (got,) = plans([["April"]], *bad)
    assert got[1] is not None
    assert "7 address(es) cannot be mailed" in got[1] and "row 6:" in got[1]
    assert "row 7:" not in got[1] and "and 2 more" in got[1]


def test_a_spelling_names_its_first_five_rows_and_counts_the_rest() -> None:
    rows = [address() for _ in range(7)] + [address(List="april")]
    (got,) = plans([["April"]], *rows)
    assert (
        got[1] is not None and "'April' (rows 2, 3, 4, 5, 6, and 2 more); 'april' (row 9)" in got[1]
    )


EMPTY = [None] * 6


@pytest.mark.parametrize(
    ("lines", "first"),
    [
        ([], 2),
        ([["April"]], 3),
        ([["April"], EMPTY, EMPTY, EMPTY], 3),  # formatted empty rows are free
        ([["April"], EMPTY, ["May"], EMPTY], 5),  # a gap between rows is left alone
        ([["April"], [None, None, None, None, None, "Not sent: ..."]], 4),
        ([["April"], [*EMPTY, None, "a note beside the table"]], 3),
    ],
)
def test_new_list_rows_go_below_the_last_row_the_table_uses(
    lines: list[list[object]], first: int
) -> None:
    rows = [LISTS_HEADER, *lines]
    table = find_table(rows, ADDRESS_LISTS, sheet="Address Lists")
    row, placed = place_names(rows, table, ["June", "July"])
    assert row == first
    assert [line[0] for line in placed[first - 1 : first + 1]] == ["June", "July"]
    assert placed[: first - 1] == rows[: first - 1] and len(placed) >= len(rows)
