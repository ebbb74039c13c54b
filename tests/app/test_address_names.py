"""Address list names through both spreadsheet adapters, against the sandbox over HTTP: a
list whose Addresses rows spell its name in more than one way is refused before anything
is sent, and a list row taken from the Addresses sheet goes into the first empty row of the
Address Lists table, inside the template's formatted rows and its dropdown's range."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

from xl_mailer.app.addresses import create_lists
from xl_mailer.app.create import RunOptions, create_jobs
from xl_mailer.app.mailing import prepare
from xl_mailer.app.ports import BookPort
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS
from xl_mailer.headless.xlsx import open_sheet
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER
from ..remote import TEMPLATE
from .adapters import Adapter, Grid, RemoteAdapter
from .test_uploads import ADDRESS_HEADER, FAST, adapter, address, mailing, written

__all__ = ["adapter", "mailing"]  # the fixtures, shared with test_uploads

LISTS_HEADER = ["List", "Addresses", "Address List ID", "HTTP Status", "Return Code"]
LISTS_HEADER += ["Description"]
SPELLINGS = ["Dup List", "dup list", "Dup  List "]


def column(grid: Grid, name: str) -> list[object]:
    """A column of a sheet below its header row, by the header's name."""
    return written(grid, [name])[name]


@pytest.mark.parametrize("lists", [[LISTS_HEADER], [LISTS_HEADER, ["Dup List"]]])
def test_a_list_whose_rows_spell_its_name_in_several_ways_is_refused_and_the_others_go(
    adapter: Adapter, sandbox: Sandbox, mailing: Mailing, lists: Grid
) -> None:
    addresses = [
        ADDRESS_HEADER,
        *(address(name, Firstname=f"P{n}") for n, name in enumerate(SPELLINGS)),
        address("Other"),
        address("Dup List", Firstname="Again"),
    ]
    port = adapter.open([["x"]], sheets={"Addresses": addresses, "Address Lists": lists})
    done = create_lists(port, mailing, wait=FAST)  # type: ignore[arg-type]
    sheet = adapter.read("Address Lists")
    assert sandbox.state.address_lists == {"Other": 1}
    assert column(sheet, "List") == ["Dup List", "Other"]
    text = str(column(sheet, "Description")[0])
    assert text.startswith("Not sent: the Addresses sheet spells this list's name 3 ways")
    assert "'Dup List' (rows 2, 6); 'dup list' (row 3); 'Dup  List ' (row 4)" in text
    assert "spell it the same way on every row" in text
    assert column(sheet, "Address List ID")[0] in (None, "")
    assert column(sheet, "Description")[1] == "CASS Standardized"
    assert "spells this list's name 3 ways" in done.refused["duplist"]
    assert set(done.ids) == {"other"}


def test_a_jobs_row_naming_a_list_spelled_several_ways_is_not_sent_and_says_why(
    adapter: Adapter, sandbox: Sandbox, mailing: Mailing
) -> None:
    header = [*REQUIRED_PARAMS, "Address List", *OUTPUT_HEADERS]

    def row(address_list: str) -> list[object]:
        values = {**LETTER, "addressId": None}
        return [values.get(n) for n in REQUIRED_PARAMS] + [address_list]

    sheets = {
        "Addresses": [ADDRESS_HEADER, *(address(name) for name in SPELLINGS), address("Other")],
        "Address Lists": [LISTS_HEADER],
    }
    port = adapter.open([header, row("Dup List"), row("Other")], sheets=sheets)
    ready = prepare(port, mailing, wait=FAST)  # type: ignore[arg-type]
    run = create_jobs(port, mailing.client, RunOptions(rows=ready.rows(None)), journal=None)
    assert sandbox.state.address_lists == {"Other": 1}
    assert run.summary.created == 1 and sorted(ready.held) == [2]
    jobs = adapter.read()
    said = str(column(jobs, "Description")[0])
    assert said.startswith("Not sent") and "spells this list's name 3 ways" in said
    assert column(jobs, "Job ID")[0] in (None, "")


def _template_book(
    kind: str, tmp_path: Path, addresses: Grid, typed: Grid
) -> tuple[BookPort, Callable[[], Grid]]:
    """A copy of the template with ``addresses`` below the Addresses header and ``typed``
    below the Address Lists header, and a reader of the Address Lists sheet as left. The
    xlwings client sends a sheet's used range, which holds the template's formatted rows."""
    book = load_workbook(TEMPLATE, keep_vba=True)
    assert [c.value for c in book["Addresses"][1]][: len(ADDRESS_HEADER)] == ADDRESS_HEADER
    for r, line in enumerate(addresses, start=2):
        for c, value in enumerate(line, start=1):
            book["Addresses"].cell(r, c, value)
    for r, line in enumerate(typed, start=2):
        for c, value in enumerate(line, start=1):
            book["Address Lists"].cell(r, c, value)
    if kind == "openpyxl":
        path = tmp_path / "book.xlsm"
        book.save(path)
        port = open_sheet(path)

        def saved() -> Grid:
            port.save()
            return [
                list(r) for r in load_workbook(path)["Address Lists"].iter_rows(values_only=True)
            ]

        return port, saved
    grids = {
        name: [list(r) for r in book[name].iter_rows(values_only=True)]
        for name in ("Addresses", "Address Lists")
    }
    assert len(grids["Address Lists"]) > 200  # the formatted empty rows are sent too
    remote = RemoteAdapter()
    return remote.open([["x"]], sheets=grids), lambda: remote.read("Address Lists")


@pytest.mark.parametrize("kind", ["openpyxl", "xlwings"])
def test_on_the_template_new_list_rows_go_into_the_first_empty_rows_inside_the_dropdown(
    kind: str, tmp_path: Path, sandbox: Sandbox, mailing: Mailing
) -> None:
    addresses = [address("April"), address("May"), address("June"), address("May", Firstname="Bo")]
    port, read = _template_book(kind, tmp_path, addresses, [["April"]])
    done = create_lists(port, mailing, wait=FAST)  # type: ignore[arg-type]
    sheet = read()
    assert [line[0] for line in sheet[1:5]] == ["April", "May", "June", None]
    assert all(isinstance(line[2], int) for line in sheet[1:4])  # each list made, in its row
    assert sheet[2][1] == 2 and set(done.ids) == {"april", "may", "june"}
    names = load_workbook(TEMPLATE, keep_vba=True).defined_names
    sheet_name, cells = names["C2M_AddressLists"].attr_text.split("!")
    assert sheet_name == "'Address Lists'"
    _, first, _, last = range_boundaries(cells.replace("$", ""))
    assert first is not None and last is not None and first <= 2 and last >= 4
