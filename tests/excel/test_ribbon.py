"""The ribbon's actions driven through xlwings' remote engine, against the sandbox over HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import keyring
import pytest
import xlwings as xw
from keyring.backend import KeyringBackend
from openpyxl import load_workbook
from openpyxl.workbook.defined_name import DefinedName

from xl_mailer import ribbon
from xl_mailer.click2mail.credentials import service_name
from xl_mailer.core.models import REQUIRED_PARAMS, Outcome
from xl_mailer.engine.bookid import (
    ID_NAME,
    UNFINISHED_NAME,
    identity_formula,
    new_identity,
    parse_identity,
)
from xl_mailer.engine.journal import RunLock
from xl_mailer.engine.workbooks import journal_for
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER, start_sandbox
from ..remote import TEMPLATE, actions, payload_from_workbook

FIRST = 5  # the template's first data row
JOB_ID, HTTP, CODE, TEXT = 20, 21, 22, 23  # 1-based columns T, U, V, W


def rows_of(*rows: dict[str, object], start: int = FIRST) -> dict[tuple[int, int], object]:
    cells: dict[tuple[int, int], object] = {}
    for r, row in enumerate(rows, start=start):
        for c, name in enumerate(REQUIRED_PARAMS, start=1):
            cells[(r, c)] = row.get(name)
        for column, value in row.get("_results", {}).items():  # type: ignore[attr-defined]
            cells[(r, column)] = value
    return cells


def make_book(
    jobs: dict[tuple[int, int], object],
    settings: dict[tuple[int, int], object] | None = None,
    selection: str | None = "A1",
) -> xw.Book:
    changes = {"Jobs": jobs, "Settings": settings or {}}
    return xw.Book(json=payload_from_workbook(changes=changes, selection=selection))


def written(book: xw.Book) -> dict[tuple[int, int], object]:
    """Every cell the actions write, keyed by 1-based (row, column)."""
    cells: dict[tuple[int, int], object] = {}
    for action in actions(book, "setValues"):
        for r, line in enumerate(action["values"]):
            for c, value in enumerate(line):
                cells[(action["start_row"] + r + 1, action["start_column"] + c + 1)] = value
    return cells


def alerts(book: xw.Book) -> list[str]:
    return [a["args"][0] for a in actions(book, "alert")]


@pytest.fixture
def settings_for(sandbox: Sandbox) -> dict[tuple[int, int], object]:
    return {(2, 2): sandbox.url, (5, 2): "sandbox"}


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox) -> None:
    monkeypatch.setenv("C2M_PASSWORD", sandbox.config.password)


def bad(**changes: object) -> dict[str, object]:
    return {**LETTER, **changes}


def test_create_jobs_writes_ids_in_a_few_block_writes_and_alerts(
    sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    rows = [LETTER] * 8 + [bad(addressId=2999), bad(layout="Nope")]
    book = make_book(rows_of(*rows), settings_for)
    summary = ribbon.create_jobs(book)
    assert summary.created == 8 and summary.failed == 2
    cells = written(book)
    ids = [cells[(r, JOB_ID)] for r in range(FIRST, FIRST + 8)]
    assert sorted(ids) == sorted(sandbox.state.jobs)
    assert [cells[(r, HTTP)] for r in range(FIRST, FIRST + 8)] == [201] * 8
    assert cells[(FIRST + 8, TEXT)] == "Address List ID not found"
    assert cells[(FIRST + 9, TEXT)].startswith("Not sent: layout 'Nope'")
    assert len(actions(book, "setValues")) <= 3  # one block of 10 rows (+ the Log row)
    assert alerts(book) == [alerts(book)[0]]
    assert alerts(book)[0].startswith("8 created, 2 failed")


def test_a_run_is_logged_on_the_log_sheet(
    sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    book = make_book(rows_of(LETTER), settings_for)
    ribbon.create_jobs(book)
    position = load_workbook(TEMPLATE).sheetnames.index("Log")
    log = [a for a in actions(book, "setValues") if a["sheet_position"] == position]
    assert len(log) == 1
    when, who, endpoint, created, failed, skipped, seconds = log[0]["values"][0]
    assert (endpoint, created, failed, skipped) == (sandbox.url, 1, 0, 0)
    assert log[0]["start_row"] == 1  # right under the header


def test_rows_with_a_job_id_are_not_sent_again(
    sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    done = {**LETTER, "_results": {JOB_ID: 245000, HTTP: 201, CODE: 0, TEXT: "Created"}}
    book = make_book(rows_of(done, LETTER), settings_for)
    summary = ribbon.create_jobs(book)
    assert sandbox.state.create_requests == 1
    assert summary.created == 1
    assert (FIRST, JOB_ID) not in written(book)


def test_a_wrong_password_alerts_clearly_and_sends_nothing(
    sandbox: Sandbox, settings_for: dict[tuple[int, int], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C2M_PASSWORD", "wrong-pass-123")
    book = make_book(rows_of(LETTER), settings_for)
    assert ribbon.create_jobs(book) is None
    assert sandbox.state.create_requests == 0
    assert actions(book, "setValues") == []
    (text,) = alerts(book)
    assert "refused the username or password" in text
    assert "wrong-pass-123" not in str(book.json())


def test_a_missing_password_says_how_to_set_it(
    sandbox: Sandbox, settings_for: dict[tuple[int, int], object]
) -> None:
    book = make_book(rows_of(LETTER), settings_for)
    assert ribbon.create_jobs(book) is None
    (text,) = alerts(book)
    assert "No Click2Mail password for sandbox" in text
    assert "Set Password" in text
    assert sandbox.state.create_requests == 0


def test_validate_rows_writes_problems_and_sends_nothing(sandbox: Sandbox) -> None:
    book = make_book(rows_of(LETTER, bad(color="Purple"), bad(documentId=12.5)))
    summary = ribbon.validate_rows(book)
    assert (summary.counts[Outcome.VALID], summary.failed) == (1, 2)
    cells = written(book)
    assert cells[(FIRST, TEXT)] == "Valid: ready to send"
    assert "color 'Purple' is not allowed" in cells[(FIRST + 1, TEXT)]
    assert "documentId must be a positive whole number, not 12.5" in cells[(FIRST + 2, TEXT)]
    assert sandbox.state.create_requests == 0
    assert alerts(book)[0].startswith("Validation: 1 ready to send, 2 would be refused;")


def test_create_selected_jobs_sends_only_the_selected_rows(
    sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    book = make_book(
        rows_of(LETTER, LETTER, LETTER, LETTER),
        settings_for,
        selection=f"B{FIRST + 1}:C{FIRST + 2}",
    )
    summary = ribbon.create_selected_jobs(book)
    assert summary.created == 2
    assert sandbox.state.create_requests == 2
    assert {r for (r, c) in written(book) if c == JOB_ID} == {FIRST + 1, FIRST + 2}


@pytest.mark.parametrize(
    ("address", "rows"),
    [
        ("$A$5", {5}),
        ("$B$5:$D$7", {5, 6, 7}),
        ("$A$5:$A$6,$C$9", {5, 6, 9}),
        ("7:8", {7, 8}),
        ("Jobs!$A$5", {5}),
        (None, set()),
    ],
)
def test_selected_rows_are_read_from_any_address(address: str | None, rows: set[int]) -> None:
    assert ribbon.selected_rows(address) == rows


def test_refresh_status_writes_each_jobs_state(
    sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    first = make_book(rows_of(LETTER, LETTER), settings_for)
    ribbon.create_jobs(first)
    cells = written(first)
    ids = {r: cells[(r, JOB_ID)] for r in (FIRST, FIRST + 1)}
    results = {r: {JOB_ID: ids[r], HTTP: 201, CODE: 0, TEXT: "Created"} for r in ids}
    book = make_book(
        rows_of({**LETTER, "_results": results[FIRST]}, {**LETTER, "_results": results[FIRST + 1]}),
        settings_for,
    )
    assert ribbon.refresh_status(book) == 2
    cells = written(book)
    assert not [r for (r, c) in cells if c == TEXT]  # Description: create's answer, kept
    assert [v for (r, _), v in cells.items() if r in ids and v] == ["Editing"] * 2


def test_clear_results_keeps_rows_with_a_job_or_an_unknown_outcome(sandbox: Sandbox) -> None:
    made = {**LETTER, "_results": {JOB_ID: 1, HTTP: 201, CODE: 0, TEXT: "Created"}}
    unknown = {**LETTER, "_results": {TEXT: "UNKNOWN: no answer within 60 s"}}
    refused = {**LETTER, "_results": {HTTP: 200, CODE: 3, TEXT: "Address List ID not found"}}
    book = make_book(rows_of(made, unknown, refused, refused))
    assert ribbon.clear_results(book) == 2
    cleared = written(book)
    assert {r for (r, c) in cleared} == {FIRST + 2, FIRST + 3}
    assert set(cleared.values()) <= {None, ""}  # the remote engine sends an empty cell as ""
    assert "Kept 2 row(s)" in alerts(book)[0]


def test_test_connection_reports_the_balance(
    sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    book = make_book({}, settings_for)
    assert "Credit balance: 1000.00" in ribbon.test_connection(book)


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Any:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_set_password_keeps_it_in_the_keyring_and_never_in_the_book(
    sandbox: Sandbox, settings_for: dict[tuple[int, int], object], memory_keyring: MemoryKeyring
) -> None:
    book = make_book({}, settings_for)
    assert ribbon.set_password(book, ask=lambda prompt: "kept-secret-42") is True
    assert memory_keyring.store == {(service_name(sandbox.url), "sandbox"): "kept-secret-42"}
    assert "kept-secret-42" not in str(book.json())
    # and the next run finds it there
    book = make_book(rows_of(LETTER), settings_for)
    sandbox.config.password = "kept-secret-42"
    assert ribbon.create_jobs(book).created == 1


def test_set_password_without_a_username_asks_for_one_first(
    sandbox: Sandbox, memory_keyring: MemoryKeyring
) -> None:
    book = make_book({}, {(2, 2): sandbox.url})
    assert ribbon.set_password(book, ask=lambda prompt: "x") is False
    assert "username on the Settings sheet" in alerts(book)[0]
    assert memory_keyring.store == {}


def test_a_password_typed_into_settings_is_refused(sandbox: Sandbox) -> None:
    book = make_book(rows_of(LETTER), {(2, 2): sandbox.url, (6, 1): "Password", (6, 2): "oops"})
    assert ribbon.create_jobs(book) is None
    assert "remove the password from the workbook" in alerts(book)[0]


def test_environment_overrides_the_settings_sheet(
    monkeypatch: pytest.MonkeyPatch, password: None, sandbox: Sandbox
) -> None:
    monkeypatch.setenv("C2M_ENDPOINT", sandbox.url)
    monkeypatch.setenv("C2M_USERNAME", "sandbox")
    book = make_book(rows_of(LETTER))  # Settings say Staging with no username
    assert ribbon.create_jobs(book).created == 1


def test_text_that_looks_like_a_formula_gets_excels_text_prefix() -> None:
    from xl_mailer.excel.xlbook import as_text

    assert as_text('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert as_text("+1") == "'+1" and as_text("-1") == "'-1" and as_text("@x") == "'@x"
    assert as_text("Created") == "Created" and as_text(201) == 201


def test_the_dispatcher_runs_the_function_named_by_the_tag(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = make_book(rows_of(LETTER))
    book.set_mock_caller()
    try:
        ribbon.run("validate_rows")
        assert alerts(book)[0].startswith("Validation:")
    finally:
        xw.Book._mock_caller = None  # type: ignore[attr-defined]


def test_the_sandbox_endpoint_needs_no_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book = make_book(rows_of(LETTER), {(2, 2): "Sandbox"})
    assert ribbon.create_jobs(book).created == 1


def test_a_fault_mid_run_still_records_what_was_made(monkeypatch: pytest.MonkeyPatch) -> None:
    with start_sandbox(fault="password", fault_every=3) as box:
        book = make_book(rows_of(*[LETTER] * 5), {(2, 2): box.url, (4, 2): 1, (5, 2): "sandbox"})
        monkeypatch.setenv("C2M_PASSWORD", box.config.password)
        summary = ribbon.create_jobs(book)
        ids = [v for (r, c), v in written(book).items() if c == JOB_ID and v]
        assert sorted(ids) == sorted(box.state.jobs)
        assert summary.authentication_failed
        assert "Stopped:" in alerts(book)[0]


def test_a_servers_formula_like_text_reaches_excel_as_text(
    canned: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = (
        b"<?xml version='1.0'?><job><id></id><status>1</status>"
        b"<description>=cmd|' /C calc'!A0</description></job>"
    )
    server = canned(200, body)
    monkeypatch.setenv("C2M_PASSWORD", "p")
    book = make_book(rows_of(LETTER), {(2, 2): server.url, (5, 2): "u"})
    ribbon.create_jobs(book)
    assert written(book)[(FIRST, TEXT)] == "'=cmd|' /C calc'!A0"


def test_selected_rows_must_be_on_the_jobs_sheet(sandbox: Sandbox, password: None) -> None:
    book = xw.Book(
        json=payload_from_workbook(changes={"Jobs": rows_of(LETTER)}, selection="A5", active="Log")
    )
    assert ribbon.create_selected_jobs(book) is None
    assert alerts(book) == ["Select the rows to send on the Jobs sheet first."]
    assert sandbox.state.create_requests == 0


KEY = TEXT + 1  # the Request Key column, right of Description


def stamped(path: Path) -> str:
    """Give the file its identity, as the first Create Jobs asks the user to save it."""
    book = load_workbook(path, keep_vba=True)
    name = book.defined_names.get(ID_NAME)
    identity = parse_identity(name.attr_text) if name is not None else None
    if identity is None:
        identity = new_identity()
        book.defined_names[ID_NAME] = DefinedName(
            ID_NAME, attr_text=identity_formula(identity), hidden=True
        )
        book.save(path)
    return identity


def book_at(
    path: Path,
    jobs: dict[tuple[int, int], object],
    settings: dict[tuple[int, int], object],
    *,
    saved_once: bool = True,
    opened: Path | None = None,
    names: dict[str, str] | None = None,
) -> xw.Book:
    """A book whose file is ``path``: the remote engine reports the payload's name as the
    book's full name, which is how the ribbon finds the file and its journal. With
    ``saved_once`` the file and the open book carry the workbook's identity. ``opened``:
    the file as the window opened it, if not as it is now; ``names``: names the open book
    holds beyond the file's."""
    payload = payload_from_workbook(changes={"Jobs": jobs, "Settings": settings})
    payload["book"]["name"] = str(path)
    if saved_once:
        stamped(path)
        names = {**_names(opened or path), **(names or {})}
        payload["names"] = [
            {
                "name": name,
                "refers_to": names[name],
                "book_scope": True,
                "sheet_index": None,
                "address": None,
                "scope_sheet_name": None,
                "scope_sheet_index": None,
            }
            for name in (ID_NAME,)
            if name in names
        ]
    return xw.Book(json=payload)


def _names(path: Path) -> dict[str, str]:
    defined = load_workbook(path, keep_vba=True).defined_names
    return {name: defined[name].attr_text for name in (ID_NAME,) if name in defined}


def save_in_excel(
    path: Path, cells: dict[tuple[int, int], object], names: dict[str, str] | None = None
) -> None:
    """What the user's Save puts in the file: here, the results the ribbon wrote (and the
    hidden names it added)."""
    book = load_workbook(path, keep_vba=True)
    for (row, column), value in cells.items():
        book["Jobs"].cell(row, column, value)
    for name, text in (names or {}).items():
        book.defined_names[name] = DefinedName(name, attr_text=text, hidden=True)
    book.save(path)


def added_names(book: xw.Book) -> dict[str, str]:
    """The names the actions add to the book, the last of each."""
    return {a["args"][0]: a["args"][1] for a in actions(book, "namesAdd")}


def run_and_save(
    tmp_path: Path, settings: dict[tuple[int, int], object], *rows: dict[str, object]
) -> tuple[Path, dict[tuple[int, int], object]]:
    """Create Jobs for ``rows`` in a book that is a file, then save its results as Excel
    would; returns the file and the result cells."""
    path = tmp_path / "jobs.xlsm"
    shutil.copyfile(TEMPLATE, path)
    book = book_at(path, rows_of(*rows), settings)
    assert ribbon.create_jobs(book).created == len(rows)
    results = {c: v for c, v in written(book).items() if c[1] in (JOB_ID, TEXT, KEY)}
    save_in_excel(path, results)
    return path, results


def test_the_ribbon_journal_forgets_what_the_saved_file_and_the_open_book_hold(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path, results = run_and_save(tmp_path, settings_for, LETTER, LETTER, LETTER)
    journal = journal_for(path, sandbox.url)
    assert (
        journal is not None and len(journal.entries()) == 3
    )  # kept: Excel saves the book, not xl-mailer
    # the next day: the finished rows are still there, two new ones below them
    done = [
        {**LETTER, "_results": {JOB_ID: results[(r, JOB_ID)], KEY: results[(r, KEY)]}}
        for r in range(FIRST, FIRST + 3)
    ]
    book = book_at(path, rows_of(*done, bad(addressId=2002), bad(addressId=2003)), settings_for)
    assert ribbon.create_jobs(book).created == 2
    assert sandbox.state.create_requests == 5
    # the three saved ids are forgotten; the two new ones are kept until they are saved
    assert len(journal.entries()) == 2


def test_rows_deleted_after_the_save_do_not_stop_the_next_days_rows(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path, _ = run_and_save(tmp_path, settings_for, LETTER)
    # the next day: the finished row is deleted, a new one typed in its place
    book = book_at(path, rows_of(bad(documentId=1003)), settings_for)
    summary = ribbon.create_jobs(book)
    assert summary is not None and summary.created == 1
    assert sandbox.state.create_requests == 2


def test_rows_deleted_before_their_ids_were_saved_still_stop_the_run(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path = tmp_path / "jobs.xlsm"
    shutil.copyfile(TEMPLATE, path)
    assert ribbon.create_jobs(book_at(path, rows_of(LETTER), settings_for)).created == 1
    (made,) = sandbox.state.jobs
    # never saved: the file does not have the id, and the row is gone from the sheet
    book = book_at(path, rows_of(bad(addressId=2002)), settings_for)
    assert ribbon.create_jobs(book) is None
    (text,) = alerts(book)
    assert f"job {made}" in text and "Nothing new was sent" in text
    assert sandbox.state.create_requests == 1
    assert len(journal_for(path, sandbox.url).entries()) == 1  # type: ignore[union-attr]


def test_a_window_opened_before_the_save_holds_its_rows_back_and_sends_nothing(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path, _ = run_and_save(tmp_path, settings_for, LETTER, LETTER)
    # a second window, opened before the save, still shows the rows without their ids
    stale = book_at(path, rows_of(LETTER, LETTER), settings_for)
    summary = ribbon.create_jobs(stale)
    assert summary is not None and summary.created == 0
    assert sandbox.state.create_requests == 2
    texts = [str(written(stale)[(r, TEXT)]) for r in (FIRST, FIRST + 1)]
    assert all(t.startswith("Not sent: held back: this row was mailed") for t in texts)


def test_a_ribbon_run_waits_for_no_other_run_on_the_same_file(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path = tmp_path / "jobs.xlsm"
    shutil.copyfile(TEMPLATE, path)
    with RunLock(path):  # another window (or the command line) is running on this file
        book = book_at(path, rows_of(LETTER), settings_for)
        assert ribbon.create_jobs(book) is None
    assert "another xl-mailer run is working on it" in alerts(book)[0]
    assert sandbox.state.create_requests == 0


def test_a_window_opened_before_the_save_with_a_row_inserted_sends_nothing_twice(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path, _ = run_and_save(tmp_path, settings_for, LETTER, LETTER)
    # the stale window: a new row typed above the two letters, which show no ids there
    stale = book_at(path, rows_of(bad(documentId=1003), LETTER, LETTER), settings_for)
    ribbon.create_jobs(stale)
    assert sandbox.state.create_requests == 3  # the new row; neither letter is mailed again


def test_a_lock_file_that_cannot_be_made_is_an_alert_and_nothing_is_sent(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path = tmp_path / "jobs.xlsm"
    shutil.copyfile(TEMPLATE, path)
    RunLock(path).path.mkdir()  # something in the lock file's place
    book = book_at(path, rows_of(LETTER), settings_for)
    assert ribbon.create_jobs(book) is None
    assert "lock file" in alerts(book)[0]
    assert sandbox.state.create_requests == 0


def test_unclaimed_jobs_are_listed_on_a_sheet_and_a_typed_row_takes_its_job(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path = tmp_path / "jobs.xlsm"
    shutil.copyfile(TEMPLATE, path)
    assert ribbon.create_jobs(book_at(path, rows_of(LETTER), settings_for)).created == 1
    (made,) = sandbox.state.jobs
    # Excel closed without saving; the row is edited in the reopened book
    edited = rows_of(bad(color="Full Color"))
    book = book_at(path, edited, settings_for)
    assert ribbon.create_jobs(book) is None
    assert "Unclaimed Jobs" in alerts(book)[-1]
    assert ribbon.unclaimed_jobs(book) == 1
    assert [a["args"] for a in actions(book, "addSheet")]  # the sheet is made
    (listing,) = [a for a in actions(book, "setValues") if a["values"][0][0] == "Job ID"]
    header, line = listing["values"]
    assert header == ribbon.UNCLAIMED_HEADER
    assert line[0] == made and line[2] == FIRST and line[5] in (None, "")
    assert line[3] == "documentId 1001, addressId 2001"
    # the user types the row into Decision and presses the button again
    payload = payload_from_workbook(changes={"Jobs": edited, "Settings": settings_for})
    payload["book"]["name"] = str(path)
    line[4] = str(line[4])
    line[5] = FIRST
    payload["sheets"].append(
        {"name": "Unclaimed Jobs", "values": [header, line], "pictures": [], "tables": []}
    )
    again = xw.Book(json=payload)
    assert ribbon.unclaimed_jobs(again) == 0
    assert written(again)[(FIRST, JOB_ID)] == made
    assert "Attached 1" in alerts(again)[-1] and "No unclaimed jobs" in alerts(again)[-1]
    assert sandbox.state.create_requests == 1


def test_a_new_book_is_asked_to_be_saved_once_before_anything_is_sent(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path = tmp_path / "jobs.xlsm"
    shutil.copyfile(TEMPLATE, path)
    book = book_at(path, rows_of(LETTER), settings_for, saved_once=False)
    assert ribbon.create_jobs(book) is None
    (text,) = alerts(book)
    assert "Save the workbook (Ctrl+S), then press Create Jobs again. Nothing was sent" in text
    assert [a["args"][0] for a in actions(book, "namesAdd")] == [ID_NAME]
    assert sandbox.state.create_requests == 0


def test_a_file_left_unfinished_by_another_persons_command_line_run_stops_the_ribbon(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path = tmp_path / "renamed.xlsm"
    shutil.copyfile(TEMPLATE, path)
    stamped(path)
    book = load_workbook(path, keep_vba=True)  # what a killed run of someone else leaves
    book.defined_names[UNFINISHED_NAME] = DefinedName(
        UNFINISHED_NAME, attr_text='="ann@pc-ann|0123456789abcdef0123456789abcdef|2026-11-28"'
    )
    book.save(path)
    book = book_at(path, rows_of(LETTER), settings_for)
    assert ribbon.create_jobs(book) is None
    assert "ann@pc-ann has a run of this workbook" in alerts(book)[0]
    assert sandbox.state.create_requests == 0


KEY = 24  # the template's Request Key column (X)


def test_reconcile_gives_an_unknown_row_the_job_its_lost_answer_made(
    sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    from xl_mailer.click2mail.client import Click2MailClient
    from xl_mailer.core.keys import new_key
    from xl_mailer.core.models import JobRequest

    lost, never = new_key(), new_key()
    with Click2MailClient(sandbox.url, "sandbox", sandbox.config.password) as client:
        sent = JobRequest(FIRST, (*((n, str(LETTER[n])) for n in REQUIRED_PARAMS),), lost)
        made = client.create_job(JobRequest(FIRST, (*sent.params, ("appSignature", lost)), lost))
    unknown = "UNKNOWN: no answer within 60 s. The job may exist at Click2Mail"
    book = make_book(
        rows_of(
            {**LETTER, "_results": {TEXT: unknown, KEY: lost}},
            {**LETTER, "_results": {TEXT: unknown, KEY: never}},
            {**LETTER, "_results": {JOB_ID: 7, HTTP: 201, CODE: 0, TEXT: "Created"}},
        ),
        settings_for,
    )
    assert ribbon.reconcile(book) == 2
    cells = written(book)
    assert cells[(FIRST, JOB_ID)] == made.job_id
    assert str(cells[(FIRST, TEXT)]).startswith("Reconciled: job")
    # no job, but sent less than 5 minutes ago: Click2Mail may still be making it
    assert cells.get((FIRST + 1, JOB_ID)) in (None, "")
    assert str(cells[(FIRST + 1, TEXT)]).startswith("UNKNOWN:")
    assert (FIRST + 2, TEXT) not in cells
    assert len(sandbox.state.jobs) == 1
    assert alerts(book) == [
        "Reconciled 2 row(s): 1 job(s) found at Click2Mail, 0 safe to send again, 1 still unknown."
    ]


def test_reconcile_with_no_unknown_row_says_so_and_asks_nothing(
    sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    book = make_book(rows_of(LETTER), settings_for)
    assert ribbon.reconcile(book) == 0
    assert alerts(book) == ["No row awaits reconciliation."]


def test_archive_finished_rows_moves_them_to_history_and_deletes_them(sandbox: Sandbox) -> None:
    made = {**LETTER, "_results": {JOB_ID: 245986, HTTP: 201, CODE: 0, TEXT: "Created"}}
    unknown = {**LETTER, "_results": {TEXT: "UNKNOWN: no answer within 60 s"}}
    book = make_book(rows_of(made, LETTER, unknown, made))
    assert ribbon.archive_rows(book) == 2
    assert [a["args"][1] for a in actions(book, "addSheet")] == ["History"]
    deleted = [(a["start_row"] + 1, a["row_count"]) for a in actions(book, "rangeDelete")]
    assert deleted == [(FIRST + 3, 1), (FIRST, 1)]  # the bottom row first
    history = [a for a in actions(book, "setValues") if a["sheet_position"] != 0]
    assert [line[JOB_ID - 1] for line in history[0]["values"][1:]] == [245986, 245986]
    assert alerts(book) == [
        "Moved 2 finished row(s) to the History sheet; 1 row(s) await reconciliation and stay"
        " (run Reconcile first). Save the workbook to keep it so."
    ]


def test_the_daily_routine_in_excel_deletes_finished_rows_and_sends_the_new_ones(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path = tmp_path / "jobs.xlsm"
    shutil.copyfile(TEMPLATE, path)
    other = {**LETTER, "documentId": 1003}
    book = book_at(path, rows_of(LETTER, other), settings_for)
    assert ribbon.create_jobs(book).created == 2
    results = {c: v for c, v in written(book).items() if c[0] >= FIRST}
    save_in_excel(path, results, added_names(book))  # Save, close
    # the next morning: yesterday's rows deleted, today's typed in their place; one of them
    # repeats yesterday's first mailing exactly
    blank = {column: None for column in range(JOB_ID, KEY + 2)}
    today = book_at(
        path,
        rows_of({**LETTER, "addressId": 2003, "_results": blank}, {**LETTER, "_results": blank}),
        settings_for,
    )
    summary = ribbon.create_jobs(today)
    assert summary is not None and summary.created == 1, alerts(today)
    assert len(sandbox.state.jobs) == 3
    held = str(written(today)[(FIRST + 1, TEXT)])
    assert held.startswith("Not sent: held back: this row was mailed with these same values")


def test_a_window_that_never_showed_a_job_still_holds_back_its_row(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path = tmp_path / "jobs.xlsm"
    shutil.copyfile(TEMPLATE, path)
    first = book_at(path, rows_of(LETTER), settings_for)
    assert ribbon.create_jobs(first).created == 1
    save_in_excel(path, {c: v for c, v in written(first).items() if c[0] >= FIRST})
    # the save did not carry the book's mark (a window opened before the run, saved over it)
    again = book_at(
        path, rows_of({**LETTER, "_results": {c: None for c in range(20, 26)}}), settings_for
    )
    ribbon.create_jobs(again)
    assert str(written(again)[(FIRST, TEXT)]).startswith("Not sent: held back")
    assert len(sandbox.state.jobs) == 1


def test_a_window_opened_before_another_windows_run_holds_back_its_mailing_after_sending_its_own(
    tmp_path: Path, sandbox: Sandbox, settings_for: dict[tuple[int, int], object], password: None
) -> None:
    path = tmp_path / "jobs.xlsm"
    shutil.copyfile(TEMPLATE, path)
    stamped(path)  # saved once: the workbook has its identity
    before = tmp_path / "as-opened.xlsm"
    shutil.copyfile(path, before)  # what window 2 opened, before window 1's run and save
    x, y = LETTER, {**LETTER, "addressId": 2003}
    window1 = book_at(path, rows_of(x), settings_for)
    assert ribbon.create_jobs(window1).created == 1
    done = {c: v for c, v in written(window1).items() if c[0] >= FIRST}
    save_in_excel(path, done, added_names(window1))
    # window 2, as it was opened, sends a row of its own: Y
    window2 = book_at(path, rows_of(y), settings_for, opened=before)
    assert ribbon.create_jobs(window2).created == 1
    # still open there: Y's results on screen, and X typed below it
    cells = rows_of(y, x)
    cells.update({c: v for c, v in written(window2).items() if c[0] == FIRST})
    again = book_at(path, cells, settings_for, opened=before, names=added_names(window2))
    ribbon.create_jobs(again)
    assert str(written(again)[(FIRST + 1, TEXT)]).startswith("Not sent: held back")
    assert sorted(j.params["addressId"] for j in sandbox.state.jobs.values()) == ["2001", "2003"]
