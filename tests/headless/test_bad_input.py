"""The bad-input corpus: every case gets a clear message at its row or its file, nothing is sent
for it, and nothing is lost (a refused file is left byte-for-byte as it was)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.engine.workbooks import journal_for
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER, write_book

HEADERS = [*REQUIRED_PARAMS, "rtnName", "rtnaddress1", "mailingDate", "quantity"]
DESCRIPTION = len(HEADERS) + 3  # 0-based column of Description in these workbooks

POSTCARD = {
    "documentClass": "Postcard 4.25 x 6",
    "layout": "Double Sided Postcard",
    "envelope": None,
    "color": "Full Color",
    "paperType": "White Matte",
    "printOption": "Printing both sides",
}

# (case id, changes to a good letter row, text its Description must contain); each workbook
# has that bad row first and one good row after it.
ROW_CASES: list[tuple[str, dict[str, object], str]] = [
    ("fractional id", {"documentId": 12.5}, "documentId must be a positive whole number, not 12.5"),
    ("negative id", {"addressId": -4}, "addressId must be a positive whole number, not -4"),
    ("zero id", {"documentId": 0}, "documentId must be a positive whole number, not 0"),
    ("huge id", {"documentId": 10**12}, "is too large for a Click2Mail id"),
    ("boolean id", {"documentId": True}, "documentId must be a positive whole number, not TRUE"),
    ("date in an id column", {"addressId": dt.datetime(2026, 5, 1)}, "not a date or time"),
    ("time in an id column", {"documentId": dt.time(9, 30)}, "not a date or time"),
    ("text id", {"documentId": "12a"}, "documentId must be a positive whole number, not '12a'"),
    ("boolean option", {"layout": False}, "layout must be text, not TRUE/FALSE"),
    ("date as option", {"color": dt.datetime(2026, 1, 1)}, "color must be text, not a date"),
    ("10,000-character text", {"rtnName": "x" * 10_000}, "rtnName is 10,000 characters long"),
    ("control character", {"rtnName": "Acme\tCorp"}, "control character (code 9) at position 5"),
    ("line break", {"rtnaddress1": "1 Main St\nSuite 2"}, "control character (code 10)"),
    (
        "non-Latin option",
        {"documentClass": "Письмо 8.5 x 11"},
        "documentClass 'Письмо 8.5 x 11' is not allowed; did you mean 'Letter 8.5 x 11'?",
    ),
    (
        "single space in a two-space name",
        {"documentClass": "Priority Express Letter 8.5 x 11"},
        "it has one space after 'Letter' (Click2Mail's has two spaces)",
    ),
    ("wrong case", {"color": "black and white"}, "write 'Black' with a capital B"),
    ("missing value", {"paperType": None}, "paperType is empty"),
    ("empty text", {"printOption": ""}, "printOption is empty"),
    ("no envelope for a letter", {"envelope": None}, "envelope is empty, but 'Letter 8.5 x 11'"),
    (
        "envelope on a postcard",
        {**POSTCARD, "envelope": "#10 Double Window"},
        "leave envelope empty",
    ),
    (
        "option of another product",
        {"layout": "Double Sided Postcard"},
        "layout 'Double Sided Postcard' is not allowed for 'Letter 8.5 x 11'",
    ),
    ("unparseable date", {"mailingDate": "next week"}, "mailingDate must be a date"),
    ("impossible date", {"mailingDate": "20261341"}, "mailingDate must be a date"),
    ("boolean date", {"mailingDate": True}, "mailingDate must be a date"),
    ("fractional quantity", {"quantity": 2.5}, "quantity must be a positive whole number"),
    ("Excel error value", {"documentId": "#N/A"}, "documentId holds the Excel error #N/A"),
    ("Excel error in text", {"layout": "#REF!"}, "layout holds the Excel error #REF!"),
    (
        "two problems at once",
        {"layout": None, "addressId": "x"},
        "layout is empty; addressId must be",
    ),
]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(path: Path, *extra: str) -> int:
    return main(["run", str(path), *extra], out=io.StringIO())


def descriptions(path: Path) -> list[object]:
    sheet = load_workbook(path)["Jobs"]
    return [row[DESCRIPTION] for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize(
    ("changes", "message"), [c[1:] for c in ROW_CASES], ids=[c[0] for c in ROW_CASES]
)
def test_bad_cells_are_refused_at_their_row(
    tmp_path: Path, sandbox_env: Sandbox, changes: dict[str, object], message: str
) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [{**LETTER, **changes}, LETTER], headers=HEADERS)
    assert run(path) == 1
    bad, good = descriptions(path)
    assert isinstance(bad, str) and bad.startswith("Not sent: ")
    assert message in bad
    assert good == "Created"
    assert sandbox_env.state.create_requests == 1  # only the good row


def test_non_latin_free_text_is_sent_exactly_as_typed(tmp_path: Path, sandbox_env: Sandbox) -> None:
    path = write_book(
        tmp_path / "jobs.xlsx", [{**LETTER, "rtnName": "Zoë Ærø 東京"}], headers=HEADERS
    )
    assert run(path) == 0
    (job,) = sandbox_env.state.jobs.values()
    assert job.params["rtnName"] == "Zoë Ærø 東京"


def with_cached_values(path: Path, cached: dict[str, tuple[str, str]]) -> None:
    """Give formula cells the value Excel would have cached: {cell: (type, value)}."""
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, (kind, value) in cached.items():
        xml = re.sub(
            rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v></v></c>',
            rf'<c r="{ref}"\1 t="{kind}"><f>\2</f><v>{value}</v></c>',
            xml,
        )
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)


def test_formulas_are_sent_as_their_calculated_values_and_stay_formulas(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = write_book(
        tmp_path / "jobs.xlsx",
        [{**LETTER, "documentClass": '="Letter 8.5 x 11"', "documentId": "=1000+1"}],
        headers=HEADERS,
    )
    with_cached_values(path, {"A2": ("str", "Letter 8.5 x 11"), "H2": ("n", "1001")})
    assert run(path) == 0
    (job,) = sandbox_env.state.jobs.values()
    assert (job.params["documentClass"], job.params["documentId"]) == ("Letter 8.5 x 11", "1001")
    sheet = load_workbook(path)["Jobs"]
    assert sheet["A2"].value == '="Letter 8.5 x 11"'  # the user's formula is kept


def test_a_formula_whose_cached_value_is_an_error_is_refused(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = write_book(
        tmp_path / "jobs.xlsx", [{**LETTER, "documentId": "=1/0"}, LETTER], headers=HEADERS
    )
    with_cached_values(path, {"H2": ("e", "#DIV/0!")})
    assert run(path) == 1
    assert "documentId holds the Excel error #DIV/0!" in descriptions(path)[0]
    assert sandbox_env.state.create_requests == 1


def test_a_formula_never_calculated_is_refused(tmp_path: Path, sandbox_env: Sandbox) -> None:
    path = write_book(
        tmp_path / "jobs.xlsx", [{**LETTER, "addressId": "=2000+1"}, LETTER], headers=HEADERS
    )
    assert run(path) == 1
    assert "addressId is a formula that was never calculated" in descriptions(path)[0]
    assert sandbox_env.state.create_requests == 1


def test_merged_cells_across_rows_refuse_those_rows(tmp_path: Path, sandbox_env: Sandbox) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [LETTER, LETTER, LETTER], headers=HEADERS)
    book = load_workbook(path)
    book["Jobs"].merge_cells("A2:A3")
    book.save(path)
    assert run(path) == 1
    first, second, third = descriptions(path)
    assert (
        first
        == second
        == ("Not sent: cells A2:A3 are merged; unmerge them so that each row has its own values")
    )
    assert third == "Created"
    assert sandbox_env.state.create_requests == 1


def test_hidden_rows_are_not_sent(tmp_path: Path, sandbox_env: Sandbox) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [LETTER, LETTER], headers=HEADERS)
    book = load_workbook(path)
    book["Jobs"].row_dimensions[2].hidden = True
    book.save(path)
    assert run(path) == 1
    assert descriptions(path) == ["Not sent: the row is hidden; unhide it to send it", "Created"]
    assert sandbox_env.state.create_requests == 1


def test_the_header_in_row_8_is_found(tmp_path: Path, sandbox_env: Sandbox) -> None:
    path = write_book(
        tmp_path / "jobs.xlsx",
        [LETTER],
        headers=HEADERS,
        above=[["Mailings"]] + [[] for _ in range(6)],
    )
    assert run(path) == 0
    assert load_workbook(path)["Jobs"].cell(9, DESCRIPTION + 1).value == "Created"


def book_with(rows: list[list[object]], sheet: str = "Jobs") -> Callable[[Path], None]:
    def make(path: Path) -> None:
        book = Workbook()
        ws = book.active
        assert ws is not None
        ws.title = sheet
        for row in rows:
            ws.append(row)
        book.save(path)

    return make


def raw(content: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content)


def good_book(path: Path) -> None:
    write_book(path, [LETTER])


def truncated(path: Path) -> None:
    good_book(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024
GOOD_ROW = [LETTER[h] for h in REQUIRED_PARAMS]

# (case id, file name, how to make it, text the message must contain)
FILE_CASES: list[tuple[str, str, Callable[[Path], None], str]] = [
    (
        "duplicate header",
        "dup.xlsx",
        book_with([[*REQUIRED_PARAMS, "documentId"], GOOD_ROW]),
        "the header 'documentId' appears twice (columns H and J); keep one",
    ),
    (
        "misspelled header",
        "typo.xlsx",
        book_with([[*REQUIRED_PARAMS[:-1], "adressID"], GOOD_ROW]),
        "lacks addressId; 'adressID' should be 'addressId'",
    ),
    (
        "header below row 10",
        "deep.xlsx",
        book_with([[]] * 10 + [list(REQUIRED_PARAMS)]),
        "no header row in the first 10 rows",
    ),
    ("empty sheet", "empty.xlsx", book_with([]), "no header row in the first 10 rows"),
    (
        "no Jobs sheet",
        "other.xlsx",
        book_with([list(REQUIRED_PARAMS)], sheet="Mailings"),
        "has no sheet 'Jobs' (it has 'Mailings'); use --sheet NAME",
    ),
    (".xls given", "old.xls", raw(OLE), "is an old .xls workbook"),
    (".csv given", "rows.csv", raw(b"documentClass,layout\n"), "is a .csv file"),
    (".ods given", "calc.ods", raw(b"PK\x03\x04rest"), "is a .ods file"),
    ("password-protected", "secret.xlsx", raw(OLE), "is password-protected"),
    ("truncated", "cut.xlsx", truncated, "is damaged"),
    ("not a workbook", "fake.xlsx", raw(b"hello, I am text"), "is damaged or not a workbook"),
    ("broken zip", "broken.xlsx", raw(b"PK\x03\x04 no zip"), "is damaged or not a workbook"),
    ("empty file", "zero.xlsx", raw(b""), "is damaged or not a workbook"),
    (
        "a zip that is not a workbook",
        "zip.xlsx",
        lambda p: zipfile.ZipFile(p, "w").writestr("a.txt", "x"),
        "is damaged and cannot be opened",
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "message"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES]
)
def test_bad_files_get_a_clear_message_and_stay_as_they_were(
    tmp_path: Path,
    sandbox_env: Sandbox,
    capsys: pytest.CaptureFixture[str],
    name: str,
    make: Callable[[Path], None],
    message: str,
) -> None:
    path = tmp_path / name
    make(path)
    before = digest(path)
    assert run(path) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert digest(path) == before
    assert sandbox_env.state.create_requests == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temp or journal left


def test_a_read_only_file_is_refused(
    tmp_path: Path, sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_book(tmp_path / "ro.xlsx", [LETTER])
    path.chmod(0o444)
    before = digest(path)
    assert run(path) == 2
    assert "is read-only; results cannot be saved into it (use --output)" in capsys.readouterr().err
    assert digest(path) == before and sandbox_env.state.create_requests == 0


def test_a_workbook_open_in_excel_is_refused(
    tmp_path: Path, sandbox_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_book(tmp_path / "open.xlsx", [LETTER])
    (tmp_path / "~$open.xlsx").write_bytes(b"owner")
    before = digest(path)
    assert run(path) == 2
    assert "is open in Excel (~$open.xlsx exists); close it there first" in capsys.readouterr().err
    assert digest(path) == before and sandbox_env.state.create_requests == 0


def test_a_folder_or_a_missing_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dir.xlsx").mkdir()
    assert run(tmp_path / "dir.xlsx") == 2
    assert run(tmp_path / "missing.xlsx") == 2
    err = capsys.readouterr().err
    assert "is a folder, not a workbook" in err and "no such file" in err


def test_a_full_disk_at_save_names_the_ids_only_the_journal_holds(
    tmp_path: Path,
    sandbox_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import tempfile

    path = write_book(tmp_path / "jobs.xlsx", [LETTER])
    real_mkstemp = tempfile.mkstemp
    saves: list[str] = []

    def full_disk(*args: object, **kwargs: object) -> tuple[int, str]:
        handle, name = real_mkstemp(*args, **kwargs)  # type: ignore[call-overload]
        saves.append(name)
        if len(saves) == 1:  # the save that gives the file its identity, before sending
            return handle, name
        os.close(handle)
        return os.open("/dev/full", os.O_WRONLY), name  # every write: No space left on device

    monkeypatch.setattr("xl_mailer.headless.xlsx.tempfile.mkstemp", full_disk)
    assert run(path) == 2
    err = capsys.readouterr().err
    assert "could not be saved (No space left on device); it is unchanged." in err
    assert "These 1 job id(s) are only in the journal at" in err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert load_workbook(path)["Jobs"].max_column == 9  # as before the run, but for its identity
    # no temporary file; a note that this run's ids are not all in the file (a shared workbook)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".jobs.xlsx.xl-mailer-unfinished",
        "jobs.xlsx",
    ]
    journal = journal_for(path)
    assert journal is not None
    (entry,) = journal.entries()  # the journal, in the state folder, keeps the id
    assert entry.result.job_id is not None
    shutil.rmtree(tmp_path, ignore_errors=True)
