"""The whole mailing in the template: its buttons, the Jobs columns it adds, the Documents,
Addresses and Address Lists sheets, their dropdowns, and the Settings it reads."""

from __future__ import annotations

from typing import Any

from openpyxl import load_workbook

from xl_mailer.app.cost import COST, SUBMIT, SUBMITTED
from xl_mailer.app.proofs import PROOF
from xl_mailer.app.status import JOB_STATUS, STATUS_COLUMNS, TRACKING
from xl_mailer.click2mail.settings import from_mapping
from xl_mailer.core.addresses import ADDRESS_LISTS, ADDRESSES
from xl_mailer.core.documents import DOCUMENTS
from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.core.sheet import find_layout
from xl_mailer.core.tables import find_table

from ..remote import TEMPLATE
from .test_template import ribbon_buttons

BOOK = load_workbook(TEMPLATE)
NEW_BUTTONS = {
    "get_cost": "Get Cost",
    "submit_approved_jobs": "Submit Approved Jobs",
    "get_proofs": "Get Proofs",
    "upload_documents_and_lists": "Upload Documents and Lists",
}


def header(sheet: str, row: int = 1) -> list[object]:
    values = [c.value for c in BOOK[sheet][row]]
    while values and values[-1] is None:
        values.pop()
    return values


def rules(sheet: str) -> dict[str, Any]:
    return {str(dv.sqref): dv for dv in BOOK[sheet].data_validations.dataValidation}


def test_the_whole_mailings_buttons_have_their_tags_labels_and_icons(
    parts: dict[str, bytes],
) -> None:
    buttons = {b.get("tag"): b for b in ribbon_buttons(parts)}
    for tag, label in NEW_BUTTONS.items():
        assert buttons[tag].get("label") == label
        assert buttons[tag].get("imageMso")
        assert buttons[tag].get("onAction") == "OnRibbonAction"


def test_the_jobs_sheet_has_the_mailing_columns_after_the_results() -> None:
    rows = [list(r) for r in BOOK["Jobs"].iter_rows(max_row=5, values_only=True)]
    layout = find_layout(rows, sheet="Jobs")
    assert layout.existing == frozenset(layout.results)  # every result column is there
    assert max(layout.results.values()) == 24  # and they end at Y, as before
    names = header("Jobs", 4)
    assert names.index("Document") == 25
    for name in (COST, SUBMIT, SUBMITTED, JOB_STATUS, TRACKING, PROOF):
        assert name in names
    # what each use case writes is found where the template put it, never placed again
    table = find_table(rows, STATUS_COLUMNS, sheet="Jobs")
    assert table.added == () and table.columns[JOB_STATUS] == names.index(JOB_STATUS)
    assert [n for n in REQUIRED_PARAMS if n not in names] == []


def test_jobs_dropdowns_name_documents_and_lists_and_submit_is_yes_or_no() -> None:
    jobs = rules("Jobs")
    assert jobs["Z5:Z204"].type == "list" and jobs["Z5:Z204"].formula1 == "C2M_Documents"
    assert jobs["AA5:AA204"].formula1 == "C2M_AddressLists"
    assert (jobs["AB5:AB204"].type, jobs["AB5:AB204"].formula1) == ("list", '"Yes,No"')
    names = BOOK.defined_names
    assert names["C2M_Documents"].attr_text == "Documents!$A$2:$A$201"
    assert names["C2M_AddressLists"].attr_text == "'Address Lists'!$A$2:$A$201"


def test_cost_cells_are_formatted_as_currency() -> None:
    names = header("Jobs", 4)
    cost = BOOK["Jobs"].cell(5, names.index("Cost") + 1)
    assert "$" in cost.number_format and "0.00" in cost.number_format


def test_the_mailing_sheets_have_the_columns_their_use_cases_read_and_write() -> None:
    assert header("Documents")[:8] == [
        "Document Name",
        "File",
        "documentClass",
        "documentFormat",
        "Document ID",
        "HTTP Status",
        "Return Code",
        "Description",
    ]
    assert header("Addresses")[:11] == [
        "List",
        "Firstname",
        "Lastname",
        "Organization",
        "Address1",
        "Address2",
        "Address3",
        "City",
        "State",
        "Postalcode",
        "Country",
    ]
    assert header("Address Lists")[:6] == [
        "List",
        "Addresses",
        "Address List ID",
        "HTTP Status",
        "Return Code",
        "Description",
    ]
    for sheet, spec in (
        ("Documents", DOCUMENTS),
        ("Addresses", ADDRESSES),
        ("Address Lists", ADDRESS_LISTS),
    ):
        rows = [list(r) for r in BOOK[sheet].iter_rows(max_row=3, values_only=True)]
        assert find_table(rows, spec, sheet=sheet).added == ()


def test_documents_pick_their_class_from_the_catalog() -> None:
    documents = rules("Documents")
    assert documents["C2:C201"].formula1 == "C2M_documentClass"


def test_settings_hold_billing_type_with_its_choices_and_an_empty_spend_limit() -> None:
    sheet = BOOK["Settings"]
    values = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["Billing Type"] == "User Credit" and values["Spend Limit"] is None
    settings = rules("Settings")
    assert settings["B6"].formula1 == '"User Credit,Invoice,ACH,Credit Card"'
    assert (settings["B7"].type, settings["B7"].operator) == ("decimal", "greaterThanOrEqual")
    read = from_mapping(values)
    assert read.billing_type == "User Credit" and read.spend_limit is None
