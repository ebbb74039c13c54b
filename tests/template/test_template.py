"""The built workbook, checked by structure: its parts, its VBA, its ribbon XML, its sheets."""

from __future__ import annotations

import importlib
import io
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import xlwings
from lxml import etree
from openpyxl import load_workbook

from xl_mailer.core.catalog import default_catalog
from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS
from xl_mailer.core.returncodes import DOCUMENTED
from xl_mailer.headless.cli import main
from xl_mailer.ribbon import ACTIONS
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER
from ..remote import TEMPLATE
from .conftest import load_build_module, vba_modules

UI_NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}


def test_the_committed_template_matches_a_fresh_build(
    tmp_path: Path, parts: dict[str, bytes]
) -> None:
    fresh = load_build_module().build(tmp_path / "fresh.xlsm")
    with zipfile.ZipFile(fresh) as package:
        rebuilt = {name: package.read(name) for name in package.namelist()}
    assert sorted(rebuilt) == sorted(parts)
    changed = [name for name in parts if parts[name] != rebuilt[name]]
    assert changed == [], "rebuild with: python workbook_template/build.py"
    assert fresh.read_bytes() == TEMPLATE.read_bytes()


def test_the_package_carries_the_committed_template() -> None:
    """``xl-mailer new-workbook`` starts from the copy inside the package."""
    packaged = load_build_module().PACKAGED
    assert packaged.read_bytes() == TEMPLATE.read_bytes(), "rebuild: workbook_template/build.py"


def test_the_ribbon_part_and_its_relationship_are_present(parts: dict[str, bytes]) -> None:
    rels = etree.fromstring(parts["_rels/.rels"])
    targets = {rel.get("Target"): rel.get("Type") for rel in rels}
    assert targets["customUI/customUI.xml"] == (
        "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
    )
    ui = etree.fromstring(parts["customUI/customUI.xml"])
    tab = ui.find(".//ui:tab", UI_NS)
    assert tab is not None and tab.get("label") == "Click2Mail"


def ribbon_buttons(parts: dict[str, bytes]) -> list[etree._Element]:
    return etree.fromstring(parts["customUI/customUI.xml"]).findall(".//ui:button", UI_NS)


def test_the_tab_has_every_button_the_staff_need(parts: dict[str, bytes]) -> None:
    labels = [b.get("label") for b in ribbon_buttons(parts)]
    assert labels == [
        "Validate Rows",
        "Upload Documents and Lists",
        "Create Jobs",
        "Create Jobs for Selected Rows",
        "Get Cost",
        "Get Proofs",
        "Submit Approved Jobs",
        "Refresh Job Status",
        "Reconcile",
        "Clear Results",
        "Archive Finished Rows",
        "Unclaimed Jobs",
        "Test Connection",
        "Set Password",
    ]


def test_every_onaction_names_a_vba_sub_taking_an_iribboncontrol(parts: dict[str, bytes]) -> None:
    code = "\n".join(vba_modules().values())
    subs = set(re.findall(r"Sub\s+(\w+)\s*\(\s*\w+\s+As\s+IRibbonControl\s*\)", code))
    for button in ribbon_buttons(parts):
        assert button.get("onAction") in subs


def test_every_button_tag_maps_to_a_ribbon_function(parts: dict[str, bytes]) -> None:
    tags = [b.get("tag") for b in ribbon_buttons(parts)]
    assert sorted(tags) == sorted(ACTIONS)
    import xl_mailer.ribbon as ribbon

    for tag in tags:
        assert callable(getattr(ribbon, tag))


def test_the_dispatcher_runs_python_with_the_buttons_tag() -> None:
    module = vba_modules()["Click2Mail"]
    assert (
        'RunPython "import xl_mailer.ribbon; xl_mailer.ribbon.run(\'" & control.Tag & "\')"'
        in module
    )
    assert "Module1" not in vba_modules()  # the quickstart's sample macro is gone


def test_the_vba_is_stamped_with_the_pinned_xlwings_version() -> None:
    xlwings_module = vba_modules()["xlwings"]
    stamp = re.search(r'XLWINGS_VERSION\s+As\s+String\s*=\s*"([^"]+)"', xlwings_module)
    assert stamp is not None
    assert stamp.group(1) == xlwings.__version__
    pinned = re.search(r'"xlwings==([^"]+)"', (TEMPLATE.parents[1] / "pyproject.toml").read_text())
    assert pinned is not None and pinned.group(1) == xlwings.__version__


def test_xlwings_conf_names_an_importable_udf_module() -> None:
    sheet = load_workbook(TEMPLATE)["xlwings.conf"]
    conf = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    module = importlib.import_module(conf["UDF Modules"])
    assert hasattr(module, "C2M_VALIDATE")


def test_jobs_sheet_keeps_the_quickstart_code_name_and_has_its_columns() -> None:
    book = load_workbook(TEMPLATE, keep_vba=True)
    assert book.sheetnames == [
        "Jobs",
        "Documents",
        "Addresses",
        "Address Lists",
        "Lists",
        "Settings",
        "Return Codes",
        "Log",
        "xlwings.conf",
    ]
    jobs = book["Jobs"]
    assert jobs.sheet_properties.codeName == "Sheet1"
    header = [c.value for c in jobs[4]]
    assert header[:9] == list(REQUIRED_PARAMS)
    assert header[9:19] == [
        "mailClass",
        "rtnName",
        "rtnOrganization",
        "rtnaddress1",
        "rtnaddress2",
        "rtnCity",
        "rtnState",
        "rtnZip",
        "mailingDate",
        "appSignature",
    ]
    assert header[19:25] == list(OUTPUT_HEADERS)
    assert header[25:] == [
        "Document",
        "Address List",
        "Submit",
        "Cost",
        "Submitted",
        "Submit Result",
        "Job Status",
        "Tracking",
        "Proof",
    ]
    assert jobs["A1"].value == "Click2Mail jobs"
    assert jobs["A2"].value and jobs["A3"].value
    assert jobs.freeze_panes == "B5"
    assert jobs.tables["C2MJobs"].ref == "A4:AH204"


def named_values(book: Any, name: str) -> list[object]:
    """The values of the one-column range a defined name refers to."""
    sheet, cells = book.defined_names[name].attr_text.split("!")
    return [row[0].value for row in book[sheet][cells.replace("$", "")]]


def test_dropdowns_come_from_the_catalog_through_the_lists_sheet() -> None:
    book = load_workbook(TEMPLATE)
    jobs = book["Jobs"]
    rules = {str(dv.sqref): dv for dv in jobs.data_validations.dataValidation}
    catalog = default_catalog()
    for c, field in enumerate(
        (
            "documentClass",
            "layout",
            "productionTime",
            "envelope",
            "color",
            "paperType",
            "printOption",
        ),
        start=1,
    ):
        letter = "ABCDEFG"[c - 1]
        rule = rules[f"{letter}5:{letter}204"]
        assert rule.type == "list"
        assert rule.prompt
        assert named_values(book, f"C2M_{field}") == [v for v in catalog.allowed(field) if v]
        if field == "documentClass":
            assert rule.formula1 == "C2M_documentClass"
            continue
        # the row's class picks its own list; an empty or unknown class offers every value
        number = "MATCH($A5,C2M_documentClass,0)"
        assert rule.formula1 == (
            f'IF(ISNUMBER({number}),INDIRECT("C2M_{field}_"&{number}),C2M_{field})'
        )
        for n, document_class in enumerate(catalog.document_classes, start=1):
            allowed = [v for v in catalog.allowed(field, document_class) if v]
            assert named_values(book, f"C2M_{field}_{n}") == (allowed or [None])
    for letter in "HI":
        rule = rules[f"{letter}5:{letter}204"]
        assert (rule.type, rule.operator, rule.formula1) == ("whole", "greaterThan", "0")


def test_no_validation_formula_starts_with_an_equals_sign() -> None:
    """A formula in the file is stored without its '=', as the formula grammar says (and as
    the conditional-formatting formulas are)."""
    book = load_workbook(TEMPLATE)
    formulas = [
        formula
        for sheet in book.worksheets
        for rule in sheet.data_validations.dataValidation
        for formula in (rule.formula1, rule.formula2)
        if formula is not None
    ]
    assert formulas and not [f for f in formulas if f.startswith("=")]


def test_jobs_prints_landscape_one_page_wide_with_the_header_on_every_page() -> None:
    jobs = load_workbook(TEMPLATE)["Jobs"]
    assert jobs.page_setup.orientation == "landscape"
    assert jobs.sheet_properties.pageSetUpPr.fitToPage is True
    assert (jobs.page_setup.fitToWidth, jobs.page_setup.fitToHeight) == (1, 0)
    assert jobs.print_title_rows == "$4:$4"
    # the instructions span the table, wrapped, so that print cuts no sentence
    merged = {str(cells) for cells in jobs.merged_cells.ranges}
    assert merged == {"A2:F2", "A3:F3"}
    for ref in ("A2", "A3"):
        assert jobs[ref].alignment.wrap_text is True
        assert jobs.row_dimensions[int(ref[1:])].height == 30  # two lines


def test_the_instructions_say_that_excel_for_mac_runs_no_worksheet_functions() -> None:
    book = load_workbook(TEMPLATE)
    for text in (book["Jobs"]["A3"].value, *(c.value for c in book["xlwings.conf"]["A"])):
        if isinstance(text, str) and "Excel for Mac" in text:
            assert "not xlwings worksheet functions" in text
            break
    else:
        raise AssertionError("no instruction speaks of Excel for Mac")
    assert "=C2M_VALIDATE(A5:S5)" in book["Jobs"]["A3"].value


def test_the_lists_sheet_is_hidden_and_xlwings_conf_keeps_no_quickstart_text() -> None:
    book = load_workbook(TEMPLATE)
    assert book["Lists"].sheet_state == "hidden"
    assert [s.title for s in book.worksheets if s.sheet_state == "visible"] == [
        "Jobs",
        "Documents",
        "Addresses",
        "Address Lists",
        "Settings",
        "Return Codes",
        "Log",
        "xlwings.conf",
    ]
    texts = " ".join(str(c.value) for row in book["xlwings.conf"].iter_rows() for c in row)
    for placeholder in ("Rename this sheet", "leading underscore", "you can delete this sheet"):
        assert placeholder not in texts


def test_rows_with_a_non_zero_return_code_are_highlighted() -> None:
    jobs = load_workbook(TEMPLATE)["Jobs"]
    formulas = [rule.formula[0] for rng in jobs.conditional_formatting for rule in rng.rules]
    assert 'AND($V5<>"",$V5<>0)' in formulas
    assert 'LEFT($W5,8)="UNKNOWN:"' in formulas


def test_settings_hold_no_password_and_return_codes_are_the_documented_table() -> None:
    book = load_workbook(TEMPLATE)
    settings = {r[0]: r[1] for r in book["Settings"].iter_rows(min_row=2, values_only=True)}
    assert settings == {
        "Endpoint": "Staging",
        "Timeout": 60,
        "Concurrency": 4,
        "Username": None,
        "Billing Type": "User Credit",
        "Spend Limit": None,
    }
    codes = list(book["Return Codes"].iter_rows(min_row=2, values_only=True))
    assert codes == [tuple(row) for row in DOCUMENTED]
    log = [c.value for c in book["Log"][1]]
    assert log == ["When", "Who", "Endpoint", "Created", "Failed", "Skipped", "Seconds"]


def test_the_template_runs_headless_and_keeps_its_ribbon(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = tmp_path / "mine.xlsm"
    shutil.copy(TEMPLATE, path)
    book = load_workbook(path, keep_vba=True)
    for c, name in enumerate(REQUIRED_PARAMS, start=1):
        book["Jobs"].cell(5, c, LETTER[name])
    book.save(path)
    assert main(["run", str(path)], out=io.StringIO()) == 0
    row = [c.value for c in load_workbook(path)["Jobs"][5]]
    assert row[20:23] == [201, 0, "Created"]
    assert row[19] in sandbox_env.state.jobs
    # the ribbon and the VBA survive openpyxl's save (the 2006 customUI schema is kept)
    with zipfile.ZipFile(path) as package, zipfile.ZipFile(TEMPLATE) as original:
        assert package.read("customUI/customUI.xml") == original.read("customUI/customUI.xml")
        assert b"ui/extensibility" in package.read("_rels/.rels")
        assert package.read("xl/vbaProject.bin") == original.read("xl/vbaProject.bin")
