"""Build the xl-mailer template workbook, reproducibly, on any machine without Excel.

    python workbook_template/build.py [OUTPUT]

Without OUTPUT it writes workbook_template/xl-mailer.xlsm and the same bytes to
xl_mailer/data/xl-mailer.xlsm, the copy the package carries for
``xl-mailer new-workbook``.

Steps: start from the pinned xlwings version's standalone quickstart workbook
(its VBA module is stamped with that version, so no add-in is needed); reuse
its first sheet as ``Jobs`` (keeping the sheet's VBA code name); add the Lists,
Settings, Return Codes and Log sheets and activate ``xlwings.conf``; add with
pyOpenVBA the ``Click2Mail`` VBA module (the ribbon's dispatcher) and the
``xlwings_udfs`` module (the worksheet functions' wrappers, from xlwings' own
generator, so that no Import Functions step is needed); add the ribbon part
last, because openpyxl would drop its relationship; finally rewrite the zip
with fixed timestamps so that two builds are byte-for-byte the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import importlib.util
import io
import re
import sys
import tempfile
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import xlwings
from openpyxl import load_workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from xl_mailer.click2mail.settings import ENDPOINT_CHOICES
from xl_mailer.core.addresses import FIELDS as ADDRESS_FIELDS
from xl_mailer.core.catalog import CLASS_FIELDS, default_catalog
from xl_mailer.core.models import OPTION_PARAMS, OPTIONAL_PARAMS, OUTPUT_HEADERS, REQUIRED_PARAMS
from xl_mailer.core.returncodes import DOCUMENTED

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "xl-mailer.xlsm"
# the copy the package carries, which ``xl-mailer new-workbook`` starts from
PACKAGED = HERE.parent / "xl_mailer" / "data" / OUTPUT.name
SOURCE = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)
TABLE_ROWS = 200

# the common optional parameters: mailClass and the return address, then these two
OPTIONAL_COLUMNS = (
    *OPTIONAL_PARAMS[: OPTIONAL_PARAMS.index("rtnZip") + 1],
    "mailingDate",
    "appSignature",
)
# the whole mailing's columns, after the results of creating: what a row mails by name, its
# approval, then what cost, submit, status and proofs write
MAILING_INPUTS = ("Document", "Address List", "Submit")
MAILING_OUTPUTS = ("Cost", "Submitted", "Submit Result", "Job Status", "Tracking", "Proof")
MAILING_COLUMNS = (*MAILING_INPUTS, *MAILING_OUTPUTS)
COLUMNS = (*REQUIRED_PARAMS, *OPTIONAL_COLUMNS, *OUTPUT_HEADERS, *MAILING_COLUMNS)
WRITTEN = (*OUTPUT_HEADERS, *MAILING_OUTPUTS)  # the grey columns
CURRENCY = '"$"#,##0.00'
SHEET_ROWS = 200  # rows the Documents, Addresses and Address Lists sheets format and check
BILLING_TYPES = ("User Credit", "Invoice", "ACH", "Credit Card")

DOCUMENTS_COLUMNS = ("Document Name", "File", "documentClass", "documentFormat")
DOCUMENTS_WRITTEN = ("Document ID", "HTTP Status", "Return Code", "Description")
ADDRESSES_COLUMNS = ("List", *ADDRESS_FIELDS)
LISTS_COLUMNS = ("List",)
LISTS_WRITTEN = ("Addresses", "Address List ID", "HTTP Status", "Return Code", "Description")
LIST_FIELDS = OPTION_PARAMS  # the fields with dropdowns: every catalog-checked option
HEADER_ROW = 4
INSTRUCTIONS_WIDTH = 180  # characters: the columns the instructions in rows 2 and 3 span

HELP = {
    "documentClass": "The product, e.g. Letter 8.5 x 11. Pick from the list.",
    "layout": "Where the address goes; depends on the documentClass.",
    "productionTime": "Next Day for letters; postcards also take Within 3 Days or Week 1-12.",
    "envelope": "Envelope for letters. Leave EMPTY for postcards and self-mailers.",
    "color": "Full Color or Black and White.",
    "paperType": "Paper stock allowed for the documentClass.",
    "printOption": "Printing One side or Printing both sides.",
    "documentId": "Id of a document uploaded to Click2Mail (a whole number).",
    "addressId": "Id of an address list at Click2Mail (a whole number).",
    "mailClass": "Optional: First Class, Standard, ... (depends on the product).",
    "rtnName": "Optional return address name (required for certified products).",
    "rtnOrganization": "Optional return address organization.",
    "rtnaddress1": "Optional return address, line 1.",
    "rtnaddress2": "Optional return address, line 2.",
    "rtnCity": "Optional return address city.",
    "rtnState": "Optional return address state.",
    "rtnZip": "Optional return address ZIP code.",
    "mailingDate": "Optional future mailing date (a date cell).",
    "appSignature": "Optional short tag stored with the job at Click2Mail.",
    "Job ID": "Written by xl-mailer. A row with a Job ID is never sent again.",
    "HTTP Status": "Written by xl-mailer: the HTTP status of Click2Mail's answer.",
    "Return Code": "Written by xl-mailer: 0 means created; anything else is an error.",
    "Description": "Written by xl-mailer: what Click2Mail said, or why the row was not sent.",
    "Request Key": "Written by xl-mailer before sending, and sent as appSignature: it lets"
    " Reconcile find a job whose answer was lost.",
    "Sent (UTC)": "Written by xl-mailer: when the row's request last left (UTC). Reconcile"
    " waits five minutes from it before it calls a row safe to send again.",
    "Document": "Optional: a name from the Documents sheet, instead of a documentId. Create"
    " Jobs uploads it first and writes its id.",
    "Address List": "Optional: a name from the Address Lists sheet, instead of an addressId."
    " Create Jobs uploads it first and writes its id.",
    "Submit": "Yes to submit this job (print and mail it, and pay) when you press Submit"
    " Approved Jobs.",
    "Cost": "Written by Get Cost: what Click2Mail charges for the job, tax included.",
    "Submitted": "Written by Submit Approved Jobs: when the job was submitted. It is never"
    " submitted twice.",
    "Submit Result": "Written by Submit Approved Jobs: Click2Mail's answer to the submit, or"
    " why the job was not submitted.",
    "Job Status": "Written by Refresh Job Status: Editing, Awaiting Production, In Production,"
    " Mailed...",
    "Tracking": "Written by Refresh Job Status once the job is mailed: USPS scans of its pieces.",
    "Proof": "Written by Get Proofs: a link to the job's proof, saved beside this workbook.",
}

RIBBON_BUTTONS = (
    # (group, id, label, tag, imageMso, supertip); every imageMso is from Microsoft's list of
    # Excel control identifiers, as ribbon_images.json records
    (
        "Jobs",
        "c2mValidate",
        "Validate Rows",
        "validate_rows",
        "DataValidation",
        "Check every row against the catalog; sends nothing.",
    ),
    (
        "Jobs",
        "c2mUpload",
        "Upload Documents and Lists",
        "upload_documents_and_lists",
        "FilePublishExcelServices",
        "Upload the Documents and Address Lists sheets' rows that have no id yet; Create Jobs"
        " also does it for the rows it sends.",
    ),
    (
        "Jobs",
        "c2mCreate",
        "Create Jobs",
        "create_jobs",
        "FileSendAsAttachment",
        "Create one Click2Mail job per row that has no Job ID yet.",
    ),
    (
        "Jobs",
        "c2mCreateSelected",
        "Create Jobs for Selected Rows",
        "create_selected_jobs",
        "SelectCurrentRegion",
        "Create jobs only for the selected rows.",
    ),
    (
        "Jobs",
        "c2mCost",
        "Get Cost",
        "get_cost",
        "AccountingFormat",
        "Ask Click2Mail what each created job costs, before it is submitted.",
    ),
    (
        "Jobs",
        "c2mProofs",
        "Get Proofs",
        "get_proofs",
        "FilePrintPreview",
        "Save a proof PDF of each job in a folder beside this workbook, linked from its row.",
    ),
    (
        "Jobs",
        "c2mSubmit",
        "Submit Approved Jobs",
        "submit_approved_jobs",
        "FileCheckIn",
        "Submit the jobs whose Submit column says Yes: printed, mailed and paid for. Shows the"
        " count and the total first; refuses a batch over the Settings' Spend Limit.",
    ),
    (
        "Jobs",
        "c2mRefresh",
        "Refresh Job Status",
        "refresh_status",
        "Refresh",
        "Show each job's current state at Click2Mail.",
    ),
    (
        "Jobs",
        "c2mReconcile",
        "Reconcile",
        "reconcile",
        "CompareAndMergeWorkbooks",
        "Look rows marked UNKNOWN up at Click2Mail: fill in their job ids, or mark them safe"
        " to send again.",
    ),
    (
        "Jobs",
        "c2mClear",
        "Clear Results",
        "clear_results",
        "ClearAll",
        "Clear results of rows without a job, to fix and send them again.",
    ),
    (
        "Jobs",
        "c2mArchive",
        "Archive Finished Rows",
        "archive_rows",
        "TableRowsDeleteExcel",
        "Move the rows that have a Job ID to the History sheet, with the date archived, to"
        " make room for the next mailing.",
    ),
    (
        "Jobs",
        "c2mUnclaimed",
        "Unclaimed Jobs",
        "unclaimed_jobs",
        "AdvancedFilterDialog",
        "List the jobs the journal holds that no row claims (after a crash and an edit), and"
        " attach each to its row or release it.",
    ),
    (
        "Account",
        "c2mTest",
        "Test Connection",
        "test_connection",
        "Connections",
        "Check the endpoint and your credentials (read-only).",
    ),
    (
        "Account",
        "c2mPassword",
        "Set Password",
        "set_password",
        "Lock",
        "Keep your Click2Mail password in the OS keyring, never in this workbook.",
    ),
)

VBA_MODULE = "Click2Mail"
VBA_SOURCE = (
    "Option Explicit\r\n"
    "\r\n"
    "' Every button of the Click2Mail ribbon tab calls this Sub. The button's tag names\r\n"
    "' a function in the Python module xl_mailer.ribbon, so a new button needs only\r\n"
    "' ribbon XML and Python.\r\n"
    "Public Sub OnRibbonAction(control As IRibbonControl)\r\n"
    '    RunPython "import xl_mailer.ribbon; xl_mailer.ribbon.run(\'" & control.Tag & "\')"\r\n'
    "End Sub\r\n"
)

UDF_MODULE = "xl_mailer.udfs"  # the Python module of the worksheet functions
UDF_VBA_MODULE = "xlwings_udfs"  # the VBA module xlwings' Import Functions would write
UDF_VBA_HEADER = (
    "' The worksheet functions of xl_mailer.udfs, written by workbook_template/build.py with\r\n"
    "' xlwings' own wrapper generator, as xlwings' Import Functions writes them: rebuild the\r\n"
    "' template instead of editing them.\r\n"
    '#Const App = "Microsoft Excel"\r\n'  # the wrappers test it, as Import Functions' do
    "\r\n"
)

UI_REL_TYPE = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
UI_PART = "customUI/customUI.xml"

BODY = Font(name="Calibri", size=11)
BOLD = Font(name="Calibri", size=11, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
OUTPUT_HEADER_FILL = PatternFill("solid", fgColor="595959")
OUTPUT_FILL = PatternFill("solid", fgColor="EDEDED")
WHITE_BOLD = Font(name="Calibri", size=11, bold=True, color="FFFFFF")


def ribbon_xml() -> str:
    groups: dict[str, list[str]] = {}
    for group, ident, label, tag, image, tip in RIBBON_BUTTONS:
        size = "large" if tag in ("validate_rows", "create_jobs") else "normal"
        groups.setdefault(group, []).append(
            f'        <button id="{ident}" label="{label}" tag="{tag}" imageMso="{image}"'
            f' size="{size}" screentip="{label}" supertip="{tip}" onAction="OnRibbonAction"/>'
        )
    body = "\n".join(
        f'      <group id="c2m{name}" label="{name}">\n' + "\n".join(buttons) + "\n      </group>"
        for name, buttons in groups.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">\n'
        "  <ribbon>\n    <tabs>\n"
        '    <tab id="c2mTab" label="Click2Mail">\n' + body + "\n    </tab>\n"
        "    </tabs>\n  </ribbon>\n</customUI>\n"
    )


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def build_lists(book, catalog) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The Lists sheet: one column of allowed values per dropdown field; returns name -> ref."""
    sheet = book.create_sheet("Lists")
    refs: dict[str, str] = {}
    for c, field in enumerate(LIST_FIELDS, start=1):
        values = [v for v in catalog.allowed(field) if v]
        sheet.cell(1, c, field).font = BOLD
        for r, value in enumerate(values, start=2):
            sheet.cell(r, c, value)
        letter = _column(c)
        refs[field] = f"Lists!${letter}$2:${letter}${len(values) + 1}"
        sheet.column_dimensions[letter].width = min(max(len(v) for v in [field, *values]) + 2, 48)
        name = f"C2M_{field}"
        book.defined_names[name] = DefinedName(name, attr_text=refs[field])
    sheet.freeze_panes = "A2"
    sheet.sheet_state = "hidden"  # the dropdowns' sources: nothing to fill or print
    sheet.cell(
        1,
        len(LIST_FIELDS) + 2,
        "Generated from xl-mailer's catalog; do not edit by hand (rebuild the template instead).",
    ).font = Font(italic=True, color="808080")
    _lists_per_class(book, sheet, catalog, first_column=len(LIST_FIELDS) + 4)
    return refs


def _lists_per_class(book, sheet: Worksheet, catalog, *, first_column: int) -> None:  # type: ignore[no-untyped-def]
    """One column per document class and field: what that class allows, named
    ``C2M_<field>_<n>`` for the n-th class of ``C2M_documentClass``. The Jobs sheet's
    dropdowns pick the list of their row's class (``_class_list``)."""
    column = first_column
    for number, document_class in enumerate(catalog.document_classes, start=1):
        for field in CLASS_FIELDS:
            values = [v for v in catalog.allowed(field, document_class) if v]
            sheet.cell(1, column, f"{field} | {document_class}").font = BOLD
            for r, value in enumerate(values, start=2):
                sheet.cell(r, column, value)
            letter = _column(column)
            # a class that allows no value (postcards take no envelope) gets one empty cell
            last = max(len(values), 1) + 1
            name = f"C2M_{field}_{number}"
            book.defined_names[name] = DefinedName(
                name, attr_text=f"Lists!${letter}$2:${letter}${last}"
            )
            column += 1


def _class_list(field: str, row: int) -> str:
    """A dropdown's source for ``field`` in ``row``: the values the row's documentClass allows,
    or every value while the class is empty or not in the catalog."""
    cls = f"${_column(COLUMNS.index('documentClass') + 1)}{row}"
    number = f"MATCH({cls},C2M_documentClass,0)"
    return f'IF(ISNUMBER({number}),INDIRECT("C2M_{field}_"&{number}),C2M_{field})'


def build_jobs(sheet: Worksheet, catalog) -> None:  # type: ignore[no-untyped-def]
    sheet.title = "Jobs"
    last = _column(len(COLUMNS))
    end_row = HEADER_ROW + TABLE_ROWS
    sheet["A1"] = "Click2Mail jobs"
    sheet["A1"].font = Font(name="Calibri", bold=True, size=16, color="1F4E78")
    for c, name in enumerate(COLUMNS, start=1):
        cell = sheet.cell(HEADER_ROW, c, name)
        is_output = name in WRITTEN
        cell.font = WHITE_BOLD
        cell.fill = OUTPUT_HEADER_FILL if is_output else HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        letter = _column(c)
        values = list(catalog.allowed(name)) if name in LIST_FIELDS else []
        width = max([len(name) + 4, *(len(v) + 2 for v in values)])
        if name == "Description":
            width = 60
        if name == "Request Key":
            width = 22
        if name in ("Sent (UTC)", "Submitted", "Job Status"):
            width = 20
        if name in ("Submit Result", "Tracking", "Proof"):
            width = 36
        sheet.column_dimensions[letter].width = min(width, 36 if name != "Description" else 60)
        for r in range(HEADER_ROW + 1, end_row + 1):
            sheet.cell(r, c).font = BODY
        if is_output:
            for r in range(HEADER_ROW + 1, end_row + 1):
                sheet.cell(r, c).fill = OUTPUT_FILL
                if name == "Description":
                    sheet.cell(r, c).number_format = "@"
        if name == "mailingDate":
            for r in range(HEADER_ROW + 1, end_row + 1):
                sheet.cell(r, c).number_format = "yyyy-mm-dd"
        if name == "Sent (UTC)":
            for r in range(HEADER_ROW + 1, end_row + 1):
                sheet.cell(r, c).number_format = "yyyy-mm-dd hh:mm:ss"
        if name == "Cost":
            for r in range(HEADER_ROW + 1, end_row + 1):
                sheet.cell(r, c).number_format = CURRENCY
    sheet.row_dimensions[HEADER_ROW].height = 20
    sheet["A2"] = (
        "One row per mailing. Fill the blue columns (dropdowns help), then on the"
        " Click2Mail tab press Validate Rows, then Create Jobs. Results appear in the grey"
        " columns; a row with a Job ID is never sent again. Your password lives in the OS"
        " keyring (Set Password), never in this file."
    )
    sheet["A3"] = (
        "In any cell, =C2M_VALIDATE(A5:S5) says OK or why row 5 would be refused. Worksheet"
        " functions like this one need Excel for Windows: Excel for Mac runs the buttons of"
        " the Click2Mail tab, but not xlwings worksheet functions."
    )
    # wrapped in two lines across the first columns, which a screen shows at once, so that no
    # sentence runs off the screen or off a printed page
    widths = [sheet.column_dimensions[_column(c)].width for c in range(1, len(COLUMNS) + 1)]
    span = max(c for c in range(1, len(COLUMNS) + 1) if sum(widths[:c]) <= INSTRUCTIONS_WIDTH)
    for ref in ("A2", "A3"):
        sheet.merge_cells(f"{ref}:{_column(span)}{ref[1:]}")
        sheet[ref].font = Font(name="Calibri", size=11, italic=True, color="404040")
        sheet[ref].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[int(ref[1:])].height = 30
    sheet.freeze_panes = f"B{HEADER_ROW + 1}"
    for selection in sheet.sheet_view.selection:
        selection.activeCell = selection.sqref = f"A{HEADER_ROW + 1}"
    table = Table(displayName="C2MJobs", ref=f"A{HEADER_ROW}:{last}{end_row}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    sheet.add_table(table)
    _print_setup(sheet)
    _validations(sheet, end_row)
    code = _column(COLUMNS.index("Return Code") + 1)
    text = _column(COLUMNS.index("Description") + 1)
    area = f"A{HEADER_ROW + 1}:{last}{end_row}"
    first = HEADER_ROW + 1
    sheet.conditional_formatting.add(
        area,
        FormulaRule(
            formula=[f'LEFT(${text}{first},8)="UNKNOWN:"'],
            fill=PatternFill("solid", fgColor="FFD966", bgColor="FFD966"),
            stopIfTrue=True,
        ),
    )
    sheet.conditional_formatting.add(
        area,
        FormulaRule(
            formula=[f'AND(${code}{first}<>"",${code}{first}<>0)'],
            fill=PatternFill("solid", fgColor="F8CBAD", bgColor="F8CBAD"),
        ),
    )
    sheet.conditional_formatting.add(
        area,
        FormulaRule(
            formula=[f'LEFT(${text}{first},9)="Not sent:"'],
            fill=PatternFill("solid", fgColor="F8CBAD", bgColor="F8CBAD"),
        ),
    )


def _print_setup(sheet: Worksheet) -> None:
    """Landscape, every column on one page wide (as many pages down as the rows take), the
    header row on every page, the page number in the footer."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.oddFooter.center.text = "&A, page &P of &N"


def _validations(sheet: Worksheet, end_row: int) -> None:
    first = HEADER_ROW + 1
    for c, name in enumerate(COLUMNS, start=1):
        span = f"{_column(c)}{first}:{_column(c)}{end_row}"
        if name in LIST_FIELDS:
            by_class = name in CLASS_FIELDS
            rule = DataValidation(
                type="list",
                formula1=_class_list(name, first) if by_class else f"C2M_{name}",
                allow_blank=True,
                errorStyle="warning",
                showErrorMessage=True,
                errorTitle="Not in the catalog",
                error=(
                    "xl-mailer's catalog does not list this value for the row's documentClass."
                    if by_class
                    else "This value is not in xl-mailer's catalog."
                )
                + " Keep it only if your Click2Mail account offers it.",
            )
        elif name in ("documentId", "addressId"):
            rule = DataValidation(
                type="whole",
                operator="greaterThan",
                formula1="0",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Not an id",
                error="Click2Mail ids are positive whole numbers.",
            )
        elif name in ("Document", "Address List"):
            source = "Documents" if name == "Document" else "Address Lists"
            rule = DataValidation(
                type="list",
                formula1=NAMES[name],
                allow_blank=True,
                errorStyle="warning",
                showErrorMessage=True,
                errorTitle="Not on the sheet",
                error=f"This name is not on the {source} sheet. Add it there first.",
            )
        elif name == "Submit":
            rule = DataValidation(
                type="list",
                formula1='"Yes,No"',
                allow_blank=True,
                errorStyle="warning",
                showErrorMessage=True,
                errorTitle="Yes or No",
                error="Yes submits the job (Y, TRUE and x do too); anything else does not.",
            )
        elif name == "mailingDate":
            rule = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="1",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Not a date",
                error="Enter a date.",
            )
        else:
            rule = DataValidation(allow_blank=True)
        rule.promptTitle = name[:32]
        rule.prompt = HELP[name][:255]
        rule.showInputMessage = True
        rule.add(span)
        sheet.add_data_validation(rule)


NAMES = {"Document": "C2M_Documents", "Address List": "C2M_AddressLists"}
"""The defined names the Jobs sheet's Document and Address List dropdowns read."""


def _table_sheet(
    book,  # type: ignore[no-untyped-def]
    title: str,
    columns: tuple[str, ...],
    written: tuple[str, ...],
    note: str,
) -> Worksheet:
    """A sheet of one table from A1 (blue headers to fill, grey ones xl-mailer writes) and
    a note right of it."""
    sheet = book.create_sheet(title)
    for c, name in enumerate((*columns, *written), start=1):
        cell = sheet.cell(1, c, name)
        cell.font = WHITE_BOLD
        cell.fill = OUTPUT_HEADER_FILL if name in written else HEADER_FILL
        width = 40 if name in ("File", "Description") else max(len(name) + 4, 14)
        sheet.column_dimensions[_column(c)].width = width
        if name in written:
            for r in range(2, SHEET_ROWS + 2):
                sheet.cell(r, c).fill = OUTPUT_FILL
    sheet.cell(1, len(columns) + len(written) + 2, note).font = Font(italic=True, color="404040")
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.print_area = f"A1:{_column(len(columns) + len(written))}{SHEET_ROWS + 1}"
    return sheet


def build_mailing_sheets(book) -> None:  # type: ignore[no-untyped-def]
    """The Documents, Addresses and Address Lists sheets, and the names the Jobs sheet's
    dropdowns read from them."""
    last = SHEET_ROWS + 1
    documents = _table_sheet(
        book,
        "Documents",
        DOCUMENTS_COLUMNS,
        DOCUMENTS_WRITTEN,
        "One row per document to upload: a name, its file (a path, or relative to this"
        " workbook's folder) and its product. Upload Documents and Lists writes the grey"
        " columns.",
    )
    classes = DataValidation(
        type="list",
        formula1="C2M_documentClass",
        allow_blank=True,
        errorStyle="warning",
        showErrorMessage=True,
        errorTitle="Not in the catalog",
        error="This value is not in xl-mailer's catalog.",
    )
    classes.add(f"C2:C{last}")
    documents.add_data_validation(classes)
    formats = DataValidation(type="list", formula1='"PDF"', allow_blank=True, errorStyle="warning")
    formats.add(f"D2:D{last}")
    documents.add_data_validation(formats)
    _table_sheet(
        book,
        "Addresses",
        ADDRESSES_COLUMNS,
        (),
        "One row per recipient; List names the address list it belongs to. Leave Country"
        " empty for a US address.",
    )
    _table_sheet(
        book,
        "Address Lists",
        LISTS_COLUMNS,
        LISTS_WRITTEN,
        "One row per address list (the names used in the Addresses sheet's List column)."
        " Upload Documents and Lists writes the grey columns.",
    )
    book.defined_names[NAMES["Document"]] = DefinedName(
        NAMES["Document"], attr_text=f"Documents!$A$2:$A${last}"
    )
    book.defined_names[NAMES["Address List"]] = DefinedName(
        NAMES["Address List"], attr_text=f"'Address Lists'!$A$2:$A${last}"
    )


def build_settings(book) -> None:  # type: ignore[no-untyped-def]
    sheet = book.create_sheet("Settings")
    rows = [
        ("Setting", "Value", "Notes"),
        (
            "Endpoint",
            "Staging",
            "Staging (safe: prints nothing, charges nothing), Production,"
            " Sandbox, or a URL ending in /molpro",
        ),
        ("Timeout", 60, "Seconds to wait for each answer"),
        ("Concurrency", 4, "Calls in flight at once"),
        (
            "Username",
            None,
            "Your Click2Mail username. The password is never kept here: use Set"
            " Password on the Click2Mail tab",
        ),
        (
            "Billing Type",
            BILLING_TYPES[0],
            "How submitted jobs are paid: " + ", ".join(BILLING_TYPES),
        ),
        (
            "Spend Limit",
            None,
            "The most one Submit Approved Jobs may cost, in dollars; empty: nothing is submitted"
            " until you set one",
        ),
    ]
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = WHITE_BOLD
        cell.fill = HEADER_FILL
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 90
    choices = DataValidation(
        type="list",
        formula1='"' + ",".join(ENDPOINT_CHOICES) + '"',
        allow_blank=False,
        errorStyle="warning",
        showErrorMessage=True,
        error="Use Staging, Production, Sandbox, or a URL ending in /molpro",
    )
    choices.add("B2")
    sheet.add_data_validation(choices)
    numbers = DataValidation(type="whole", operator="between", formula1="1", formula2="600")
    numbers.add("B3:B4")
    sheet.add_data_validation(numbers)
    billing = DataValidation(
        type="list",
        formula1='"' + ",".join(BILLING_TYPES) + '"',
        allow_blank=False,
        showErrorMessage=True,
        error="Use " + ", ".join(BILLING_TYPES),
    )
    billing.add("B6")
    sheet.add_data_validation(billing)
    limit = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not an amount",
        error="A number of dollars, 0 or more.",
    )
    limit.add("B7")
    sheet.add_data_validation(limit)
    sheet["B7"].number_format = CURRENCY


def build_return_codes(book) -> None:  # type: ignore[no-untyped-def]
    sheet = book.create_sheet("Return Codes")
    sheet.append(("HTTP Status", "Return Code", "Description"))
    for http, code, text in DOCUMENTED:
        sheet.append((http, code, text))
    for cell in sheet[1]:
        cell.font = WHITE_BOLD
        cell.fill = HEADER_FILL
    sheet.column_dimensions["A"].width = 13
    sheet.column_dimensions["B"].width = 13
    sheet.column_dimensions["C"].width = 95
    table = Table(displayName="C2MReturnCodes", ref=f"A1:C{len(DOCUMENTED) + 1}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    sheet.add_table(table)


def build_log(book) -> None:  # type: ignore[no-untyped-def]
    sheet = book.create_sheet("Log")
    sheet.append(("When", "Who", "Endpoint", "Created", "Failed", "Skipped", "Seconds"))
    for cell in sheet[1]:
        cell.font = WHITE_BOLD
        cell.fill = HEADER_FILL
    for letter, width in zip("ABCDEFG", (20, 16, 44, 10, 10, 10, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.column_dimensions["A"].number_format = "yyyy-mm-dd hh:mm"


CONF_NOTES = (
    "How Excel finds Python",
    "xlwings reads the settings above from cell A1 down to the first empty cell of column A:"
    " keep them together, with no empty row between them.",
    "Interpreter_Win (Windows) and Interpreter_Mac (macOS): the full path of the Python that"
    " has xl-mailer installed. 'xl-mailer new-workbook' writes a workbook with the path of the"
    " computer it runs on; for another computer, put that computer's path here.",
    "macOS only, once per Mac: run 'xlwings runpython install' in a Terminal, in the Python"
    " that has xl-mailer, so that Excel may start Python.",
    "UDF Modules: the Python module of the worksheet functions (=C2M_VALIDATE and the others)."
    " They need Excel for Windows: Excel for Mac runs the buttons of the Click2Mail tab, but"
    " not xlwings worksheet functions.",
)


def build_conf(book) -> None:  # type: ignore[no-untyped-def]
    """Activate the quickstart's settings sheet, point xlwings at our UDF module, and put our
    notes where the quickstart's instructions (rename this sheet, ...) were."""
    sheet = book["_xlwings.conf"]
    sheet.title = "xlwings.conf"
    for row in sheet.iter_rows(min_row=1, max_row=12, max_col=1):
        if row[0].value == "UDF Modules":
            sheet.cell(row[0].row, 2, UDF_MODULE)
    first = next(r for r in range(1, sheet.max_row + 2) if sheet.cell(r, 1).value is None) + 1
    for row in sheet.iter_rows(min_row=first):
        for cell in row:
            cell.value = None
    sheet.cell(first, 1, CONF_NOTES[0]).font = BOLD
    for r, text in enumerate(CONF_NOTES[1:], start=first + 1):
        sheet.cell(r, 1, text).font = BODY


def build_workbook(path: Path) -> None:
    book = load_workbook(SOURCE, keep_vba=True)
    catalog = default_catalog()
    jobs = book.worksheets[0]
    build_jobs(jobs, catalog)
    build_mailing_sheets(book)
    build_lists(book, catalog)
    build_settings(book)
    build_return_codes(book)
    build_log(book)
    build_conf(book)
    book.move_sheet("xlwings.conf", offset=len(book.sheetnames))
    book.active = 0
    book.properties.creator = "xl-mailer"
    book.properties.title = "xl-mailer: Click2Mail jobs from Excel"
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    book.properties.lastModifiedBy = "xl-mailer"
    book.save(path)


@contextlib.contextmanager
def _windows_udf_decorators() -> Iterator[types.ModuleType]:
    """xlwings.udfs, importable here, with xw.func, xw.arg and xw.ret marking functions as
    they do on Windows (elsewhere xlwings makes them leave a function as it is).

    xlwings.udfs imports pywin32 at the top, for the COM calls of its other functions;
    neither the marking nor the wrapper generator calls it, so empty stand-ins do. Both are
    undone on leaving.
    """
    stubs = {name: types.ModuleType(name) for name in ("pythoncom", "pywintypes")}
    stubs["win32com"] = types.ModuleType("win32com")
    stubs["win32com.client"] = types.ModuleType("win32com.client")
    stubs["pythoncom"].CoInitialize = lambda: None  # type: ignore[attr-defined]
    stubs["pywintypes"].com_error = type("com_error", (Exception,), {})  # type: ignore[attr-defined]
    stubs["win32com.client"].Dispatch = None  # type: ignore[attr-defined]
    with mock.patch.dict(sys.modules, stubs):
        udfs = importlib.import_module("xlwings.udfs")
        marking = {"func": udfs.xlfunc, "arg": udfs.xlarg, "ret": udfs.xlret}
        with mock.patch.multiple(xlwings, **marking):
            yield udfs


def udf_wrappers() -> str:
    """The VBA module of the worksheet functions of ``UDF_MODULE``, from xlwings' own
    generator (``xlwings.udfs.generate_vba_wrapper``), for a workbook (not an add-in)."""
    spec = importlib.util.find_spec(UDF_MODULE)
    assert spec is not None and spec.origin is not None
    with _windows_udf_decorators() as udfs:
        # a fresh copy of the module, its functions marked as on Windows
        fresh = importlib.util.spec_from_file_location(f"{UDF_MODULE}_marked", spec.origin)
        assert fresh is not None and fresh.loader is not None
        module = importlib.util.module_from_spec(fresh)
        fresh.loader.exec_module(module)
        text = io.StringIO()
        workbook = types.SimpleNamespace(Name=OUTPUT.name)  # .xlsm: wrappers use ThisWorkbook
        udfs.generate_vba_wrapper(UDF_MODULE, module, text, workbook)
    return UDF_VBA_HEADER + text.getvalue().replace("\n", "\r\n")


def add_vba_modules(path: Path) -> None:
    from pyopenvba import ExcelFile

    with ExcelFile(str(path)) as workbook:
        project = workbook.vba_project()
        project.delete_module("Module1")  # the quickstart's sample macro
        project.add_module(VBA_MODULE, VBA_SOURCE)
        project.add_module(UDF_VBA_MODULE, udf_wrappers())
        workbook.save()


def finish_package(source: Path, target: Path) -> None:
    """Add the ribbon part and its relationship; fix every timestamp; write ``target``."""
    with zipfile.ZipFile(source) as zin:
        names = zin.namelist()
        parts = {name: zin.read(name) for name in names}
    rels = parts["_rels/.rels"].decode("utf-8")
    if UI_REL_TYPE not in rels:
        rels = rels.replace(
            "</Relationships>",
            f'<Relationship Id="rIdC2MRibbon" Type="{UI_REL_TYPE}" Target="{UI_PART}"/>'
            "</Relationships>",
        )
    parts["_rels/.rels"] = rels.encode("utf-8")
    parts[UI_PART] = ribbon_xml().encode("utf-8")
    core = parts["docProps/core.xml"].decode("utf-8")
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    core = re.sub(
        r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", rf"\g<1>{stamp}\g<3>", core
    )
    parts["docProps/core.xml"] = core.encode("utf-8")
    order = [n for n in names if n != UI_PART] + [UI_PART]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, parts[name])


def build(target: Path = OUTPUT) -> Path:
    """Build the template into ``target`` and return it."""
    with tempfile.TemporaryDirectory() as folder:
        stage = Path(folder) / "stage.xlsm"
        build_workbook(stage)
        add_vba_modules(stage)
        finish_package(stage, target)
    return target


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(build(Path(sys.argv[1])))
    else:
        print(build(OUTPUT))
        PACKAGED.write_bytes(OUTPUT.read_bytes())
        print(PACKAGED)
