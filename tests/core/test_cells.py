from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xl_mailer.core.cells import EXCEL_ERRORS, MAX_ID, UNCALCULATED, CellError, to_param


@pytest.mark.parametrize(
    ("name", "value", "sent"),
    [
        ("documentClass", "Priority Express Letter  8.5 x 11", "Priority Express Letter  8.5 x 11"),
        ("layout", "address on separate page", "address on separate page"),
        ("rtnName", "  Acme  ", "  Acme  "),
        ("documentId", 12345.0, "12345"),
        ("documentId", 12345, "12345"),
        ("addressId", "2001", "2001"),
        ("addressId", " 2001 ", "2001"),
        ("rtnZip", 2134.0, "2134"),
        ("rtnZip", "02134", "02134"),
        ("rtnaddress1", 12.5, "12.5"),
        ("mailingDate", dt.datetime(2026, 12, 1, 0, 0), "20261201"),
        ("mailingDate", dt.date(2026, 12, 1), "20261201"),
        ("mailingDate", "20261201", "20261201"),
        ("mailingDate", 20261201.0, "20261201"),
        ("mailingDate", "2026-12-01", "20261201"),
        ("rtnName", "Ærøskøbing 東京", "Ærøskøbing 東京"),
        ("quantity", 3.0, "3"),
    ],
)
def test_cells_become_the_exact_parameter_text(name: str, value: object, sent: str) -> None:
    assert to_param(name, value) == sent


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("documentId", 12.5, "documentId must be a positive whole number, not 12.5"),
        ("documentId", "abc", "documentId must be a positive whole number, not 'abc'"),
        ("documentId", 0, "not 0"),
        ("addressId", -4.0, "not -4"),
        ("addressId", MAX_ID + 1, "too large for a Click2Mail id"),
        ("addressId", True, "not TRUE/FALSE"),
        ("documentId", dt.datetime(2026, 1, 1), "not a date or time"),
        ("documentId", dt.time(10, 30), "not a date or time"),
        ("documentId", float("nan"), "not nan"),
        ("documentId", "#N/A", "Excel error #N/A"),
        ("layout", "#REF!", "Excel error #REF!"),
        ("layout", True, "must be text, not TRUE/FALSE"),
        ("layout", dt.datetime(2026, 1, 1), "not a date or time"),
        ("rtnName", "x" * 10_000, "10,000 characters long"),
        ("rtnName", "Acme\x07Corp", "control character \\(code 7\\) at position 5"),
        ("rtnaddress1", "line\nbreak", "control character \\(code 10\\)"),
        ("mailingDate", "next tuesday", "mailingDate must be a date"),
        ("mailingDate", "20261341", "mailingDate must be a date"),
        ("mailingDate", True, "mailingDate must be a date"),
        ("layout", UNCALCULATED, "formula that was never calculated"),
    ],
)
def test_cells_that_cannot_be_sent_say_why(name: str, value: object, message: str) -> None:
    with pytest.raises(CellError, match=message):
        to_param(name, value)


@given(st.integers(min_value=1, max_value=MAX_ID))
def test_any_whole_number_id_excel_hands_over_as_a_float_is_sent_without_decimals(n: int) -> None:
    assert to_param("documentId", float(n)) == str(n)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=200))
def test_text_is_sent_exactly_as_typed(text: str) -> None:
    if text.strip() in EXCEL_ERRORS:
        with pytest.raises(CellError, match="Excel error"):
            to_param("rtnName", text)
    else:
        assert to_param("rtnName", text) == text


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()))
def test_fractional_ids_are_refused(value: float) -> None:
    with pytest.raises(CellError):
        to_param("addressId", value)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_every_date_is_sent_as_yyyymmdd(day: dt.date) -> None:
    assert to_param("mailingDate", day) == day.strftime("%Y%m%d")
    assert dt.datetime.strptime(to_param("mailingDate", day), "%Y%m%d").date() == day
