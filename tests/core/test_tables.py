"""Finding the whole mailing's tables: header names, required columns, written columns."""

from __future__ import annotations

import pytest

from xl_mailer.core.errors import SheetLayoutError
from xl_mailer.core.tables import TableSpec, find_table

DOCUMENTS = TableSpec(
    required=("Document Name", "File", "documentClass"),
    optional=("documentFormat",),
    written=("Document ID", "HTTP Status", "Return Code", "Description"),
)


def test_a_table_is_found_below_a_title_and_its_written_columns_go_right_of_the_data() -> None:
    rows = [
        ["Documents"],
        [],
        ["document name", "FILE", "documentClass", "notes"],
        ["Renewal", "renewal.pdf", "Letter 8.5 x 11", "for April"],
    ]
    table = find_table(rows, DOCUMENTS, sheet="Documents")
    assert table.header_row == 2 and table.first_data_row == 3
    assert table.columns["Document Name"] == 0 and table.columns["File"] == 1
    assert [table.columns[n] for n in DOCUMENTS.written] == [4, 5, 6, 7]  # after "notes"
    assert table.added == DOCUMENTS.written
    assert table.cell(rows[3], "File") == "renewal.pdf"
    assert table.cell(rows[3], "documentFormat") is None
    assert [n for n, _ in table.data_rows(rows)] == [4]


def test_written_columns_already_there_are_used_where_they_are() -> None:
    rows = [["Document Name", "Document ID", "File", "documentClass", "Description"]]
    table = find_table(rows, DOCUMENTS, sheet="Documents")
    assert table.columns["Document ID"] == 1 and table.columns["Description"] == 4
    assert table.added == ("HTTP Status", "Return Code")
    assert (table.columns["HTTP Status"], table.columns["Return Code"]) == (5, 6)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["x"], ["y"]], "no header row in the first 10 rows; one row must hold the column"),
        ([["Document Name", "File"]], "the header row (row 1) lacks documentClass"),
        (
            [["Document Name", "File", "documentClass", "file"]],
            "the header 'File' appears twice (columns B and D)",
        ),
    ],
)
def test_a_table_that_cannot_be_read_says_why(rows: list[list[object]], message: str) -> None:
    with pytest.raises(SheetLayoutError) as caught:
        find_table(rows, DOCUMENTS, sheet="Documents")
    assert message in str(caught.value)
