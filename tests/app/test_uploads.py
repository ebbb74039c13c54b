"""Uploading the Documents and Address Lists sheets, and Create Jobs with rows that name
their document and list, through both spreadsheet adapters against the sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from xl_mailer.app.addresses import ListWait, create_lists
from xl_mailer.app.create import RunOptions, create_jobs
from xl_mailer.app.documents import upload_documents
from xl_mailer.app.mailing import prepare
from xl_mailer.app.ports import BookPort
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.click2mail.readings import AddressListStatus
from xl_mailer.core.calls import CallResult
from xl_mailer.core.catalog import default_catalog
from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS
from xl_mailer.headless.xlsx import open_sheet
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER
from .adapters import Adapter, FileAdapter, Grid, RemoteAdapter

PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n"
DOC_HEADER = ["Document Name", "File", "documentClass", "documentFormat"]
ADDRESS_HEADER = ["List", "Firstname", "Lastname", "Organization", "Address1", "Address2"]
ADDRESS_HEADER += ["Address3", "City", "State", "Postalcode", "Country"]
FAST = ListWait(timeout=10, poll=0.01)


@pytest.fixture(params=["openpyxl", "xlwings"])
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Adapter:
    return FileAdapter(tmp_path) if request.param == "openpyxl" else RemoteAdapter()


@pytest.fixture
def mailing(sandbox: Sandbox) -> Iterator[Mailing]:
    with Click2MailClient(sandbox.url, "sandbox", sandbox.config.password) as client:
        yield Mailing(client)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "good.pdf").write_bytes(PDF)
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "fake.pdf").write_bytes(b"<html>not a pdf</html>")
    (folder / "notes.txt").write_text("hello")
    (folder / "a folder.pdf").mkdir()
    return folder


def written(grid: Grid, header: list[str]) -> dict[str, list[object]]:
    """Each column of a sheet by the header's name (rows padded)."""
    names = [str(v) for v in grid[0]]
    width = len(names)
    lines = [list(line) + [None] * (width - len(line)) for line in grid[1:]]
    return {name: [line[names.index(name)] for line in lines] for name in header}


def address(list_name: str, **changes: object) -> list[object]:
    values: dict[str, object] = {
        "List": list_name,
        "Firstname": "Ann",
        "Lastname": "O'Neil & Sons <Ltd>",
        "Address1": "1 Main St",
        "City": "Boston",
        "State": "MA",
        "Postalcode": "02134",
        **changes,
    }
    return [values.get(name) for name in ADDRESS_HEADER]


def test_documents_are_uploaded_once_and_bad_files_are_refused_before_sending(
    adapter: Adapter, sandbox: Sandbox, mailing: Mailing, files: Path
) -> None:
    letter = "Letter 8.5 x 11"
    documents = [
        DOC_HEADER,
        ["Good", str(files / "good.pdf"), letter],
        ["Missing", str(files / "nowhere.pdf"), letter],
        ["Folder", str(files / "a folder.pdf"), letter],
        ["Empty", str(files / "empty.pdf"), letter],
        ["Fake", str(files / "fake.pdf"), letter],
        ["Text", str(files / "notes.txt"), letter],
        ["April Renewal", str(files / "good.pdf"), letter],
        ["april  renewal", str(files / "good.pdf"), letter],
        ["Old", str(files / "good.pdf"), letter, None, 77],
    ]
    documents[0] = [*DOC_HEADER, "Document ID"]
    port = adapter.open([["x"]], sheets={"Documents": documents})
    done = upload_documents(port, mailing)  # type: ignore[arg-type]
    sheet = written(adapter.read("Documents"), ["Document ID", "Description"])
    texts = [str(t) for t in sheet["Description"]]
    assert sandbox.state.uploads == {"Good": 1}
    assert isinstance(sheet["Document ID"][0], int) and texts[0] == "Success"
    assert texts[1].startswith("Not sent: no file at") and "nowhere.pdf" in texts[1]
    assert "is a folder, not a file" in texts[2]
    assert "is empty (0 bytes)" in texts[3]
    assert "is not a PDF (it does not start with %PDF)" in texts[4]
    assert "does not take .txt files" in texts[5]
    assert "'April Renewal' is also on row 9" in texts[6] and "on row 8" in texts[7]
    assert sheet["Document ID"][8] == 77 and sheet["Description"][8] in (None, "")
    assert done.ids == {"good": sheet["Document ID"][0], "old": 77}

    again = upload_documents(
        adapter.open([["x"]], sheets={"Documents": adapter.read("Documents")}), mailing
    )  # type: ignore[arg-type]
    assert sandbox.state.uploads == {"Good": 1} and again.counts() == (0, 0, 0)


def test_a_relative_file_is_found_beside_the_workbook(
    tmp_path: Path, sandbox: Sandbox, mailing: Mailing, files: Path
) -> None:
    adapter = FileAdapter(tmp_path)
    port = adapter.open(
        [["x"]], sheets={"Documents": [DOC_HEADER, ["R", "files/good.pdf", "Letter 8.5 x 11"]]}
    )
    upload_documents(port, mailing)
    assert sandbox.state.uploads == {"R": 1}


def test_lists_are_created_and_waited_for_and_bad_addresses_hold_their_list_back(
    adapter: Adapter, sandbox: Sandbox, mailing: Mailing
) -> None:
    addresses = [
        ADDRESS_HEADER,
        address("April"),
        address("April", Postalcode=2134, Address2=None),
        address("Broken", City=None),
        address("Abroad", Country="Canada", City=None, State=None, Postalcode=None),
        address("Dated", Address2=dt.date(2026, 5, 12)),
    ]
    lists = [["List"], ["April"], ["Broken"], ["Nobody"], ["Dated"]]
    port = adapter.open([["x"]], sheets={"Addresses": addresses, "Address Lists": lists})
    heard: list[str] = []
    done = create_lists(port, mailing, wait=FAST, progress=lambda n, s, w: heard.append(s.name))  # type: ignore[arg-type]
    sheet = written(
        adapter.read("Address Lists"),
        ["List", "Addresses", "Address List ID", "Return Code", "Description"],
    )
    texts = [str(t) for t in sheet["Description"]]
    assert sandbox.state.address_lists == {"April": 1, "Abroad": 1}
    assert sheet["List"] == ["April", "Broken", "Nobody", "Dated", "Abroad"]  # Abroad added
    assert sheet["Addresses"][0] == 2 and texts[0] == "CASS Standardized"
    assert sheet["Return Code"][0] == 3 and heard[-1] == "CASS Standardized"
    assert "row 4: no City (a US address: Country is empty)" in texts[1]
    assert "no row of the Addresses sheet has List 'Nobody'" in texts[2]
    assert "Address2 must be text, not a date" in texts[3]
    assert set(done.ids) == {"april", "abroad"}


def test_create_jobs_uploads_what_its_rows_name_once_and_a_rerun_uploads_nothing(
    adapter: Adapter, sandbox: Sandbox, mailing: Mailing, files: Path
) -> None:
    header = [*REQUIRED_PARAMS, "Document", "Address List", *OUTPUT_HEADERS]

    def row(document: str | None, address_list: str | None) -> list[object]:
        values = {**LETTER, "documentId": None, "addressId": None}
        return [values.get(n) for n in REQUIRED_PARAMS] + [document, address_list]

    grid = [header, row("Renewal", "April"), row("renewal", "APRIL"), row("Nowhere", "April")]
    sheets = {
        "Documents": [DOC_HEADER, ["Renewal", str(files / "good.pdf"), "Letter 8.5 x 11"]],
        "Addresses": [ADDRESS_HEADER, address("April"), address("April", Firstname="Bo")],
        "Address Lists": [["List"], ["April"]],
    }
    port = adapter.open(grid, sheets=sheets)
    ready = prepare(port, mailing, wait=FAST)  # type: ignore[arg-type]
    options = RunOptions(catalog=default_catalog(), rows=ready.rows(None))
    run = create_jobs(port, mailing.client, options, journal=None)
    assert sandbox.state.uploads == {"Renewal": 1}
    assert sandbox.state.address_lists == {"April": 1}
    assert run.summary.created == 2 and sorted(ready.held) == [4]
    jobs = adapter.read()
    cells = written(jobs, ["documentId", "addressId", "Job ID", "Description"])
    assert cells["documentId"][0] == cells["documentId"][1] and cells["documentId"][0]
    assert cells["addressId"][0] == cells["addressId"][1] and cells["addressId"][0]
    assert str(cells["Description"][2]).startswith("Not sent: no row of the Documents sheet")
    assert cells["Job ID"][2] in (None, "")

    sheets = {name: adapter.read(name) for name in sheets}
    again_port = adapter.open(jobs, sheets=sheets)
    again = prepare(again_port, mailing, wait=FAST)  # type: ignore[arg-type]
    rerun = create_jobs(again_port, mailing.client, RunOptions(rows=again.rows(None)), journal=None)
    assert sandbox.state.uploads == {"Renewal": 1}
    assert sandbox.state.address_lists == {"April": 1}
    assert rerun.summary.created == 0 and len(sandbox.state.jobs) == 2


# -- durability: each upload marked UNKNOWN and saved before it leaves, its answer saved -----


class Killed(BaseException):
    """The process dies here (SIGKILL): nothing after it runs, no ``finally`` saves."""


def on_disk(path: Path, sheet: str, column: str) -> list[object]:
    """One column of a sheet as the file on disk holds it (not the book in memory)."""
    grid = [list(r) for r in load_workbook(path)[sheet].iter_rows(values_only=True)]
    return written(grid, [column])[column]


class Watching:
    """Click2Mail (``Mailing``) seen from the file on disk: what it held as each request left,
    and as each wait began; ``kill`` dies at that point instead."""

    def __init__(self, mailing: Mailing, path: Path, kill: str | None = None) -> None:
        self.mailing, self.path, self.kill = mailing, path, kill
        self.seen: dict[str, list[object]] = {}

    def upload_document(self, name: str, cls: str, fmt: str, path: Path | str) -> CallResult:
        self.seen["upload"] = on_disk(self.path, "Documents", "Description")
        result = self.mailing.upload_document(name, cls, fmt, path)
        if self.kill == "upload":
            raise Killed
        return result

    def create_address_list(
        self, name: str, addresses: Iterable[Mapping[str, str | None]], mapping_id: int = 1
    ) -> CallResult:
        self.seen["create"] = on_disk(self.path, "Address Lists", "Description")
        result = self.mailing.create_address_list(name, addresses, mapping_id)
        if self.kill == "create":
            raise Killed
        return result

    def wait_for_address_list(self, list_id: int, **how: Any) -> AddressListStatus:
        self.seen["wait"] = on_disk(self.path, "Address Lists", "Address List ID")
        if self.kill == "wait":
            raise Killed
        return self.mailing.wait_for_address_list(list_id, **how)


def durable_book(tmp_path: Path, files: Path) -> tuple[FileAdapter, BookPort]:
    adapter = FileAdapter(tmp_path)
    sheets = {
        "Documents": [DOC_HEADER, ["Good", str(files / "good.pdf"), "Letter 8.5 x 11"]],
        "Addresses": [ADDRESS_HEADER, address("April")],
        "Address Lists": [["List"], ["April"]],
    }
    return adapter, adapter.open([["x"]], sheets=sheets)


def test_each_upload_is_saved_as_unknown_before_it_leaves_and_with_its_id_after(
    tmp_path: Path, sandbox: Sandbox, mailing: Mailing, files: Path
) -> None:
    adapter, port = durable_book(tmp_path, files)
    save = lambda: adapter.port.save(force=True)  # noqa: E731  (as the command line saves)
    watching = Watching(mailing, adapter.path)
    docs = upload_documents(port, watching, save=save)
    sent = str(watching.seen["upload"][0])
    assert sent.startswith("UNKNOWN: upload sent ") and " UTC; no answer yet." in sent
    assert "type its id into Document ID" in sent  # what to do, should the process die
    assert on_disk(adapter.path, "Documents", "Document ID") == [docs.ids["good"]]
    made = create_lists(port, watching, wait=FAST, save=save)
    assert str(watching.seen["create"][0]).startswith("UNKNOWN: create sent ")
    assert watching.seen["wait"] == [made.ids["april"]]  # the id saved before the wait
    assert on_disk(adapter.path, "Address Lists", "Description") == ["CASS Standardized"]


def test_ctrl_c_in_the_save_before_an_upload_leaves_no_unknown_row(
    tmp_path: Path, sandbox: Sandbox, mailing: Mailing, files: Path
) -> None:
    """Ctrl-C while a row's mark is saved, before its request leaves: the row says it was not
    sent (not UNKNOWN), and the next run uploads it, once."""
    adapter, port = durable_book(tmp_path, files)

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        upload_documents(port, mailing, save=interrupted)
    with pytest.raises(KeyboardInterrupt):
        create_lists(port, mailing, wait=FAST, save=interrupted)
    adapter.port.save(force=True)  # as the command line's last save does
    for sheet in ("Documents", "Address Lists"):
        (said,) = on_disk(adapter.path, sheet, "Description")
        assert str(said).startswith("Not sent: stopped before it was sent"), said
    assert sandbox.state.uploads == {} and sandbox.state.address_lists == {}
    save = lambda: adapter.port.save(force=True)  # noqa: E731
    docs = upload_documents(port, mailing, save=save)
    lists = create_lists(port, mailing, wait=FAST, save=save)
    assert "good" in docs.ids and "april" in lists.ids
    assert sandbox.state.uploads == {"Good": 1} and sandbox.state.address_lists == {"April": 1}


@pytest.mark.parametrize("kill", ["upload", "create", "wait"])
def test_a_process_killed_at_any_point_of_an_upload_never_sends_it_again(
    tmp_path: Path, sandbox: Sandbox, mailing: Mailing, files: Path, kill: str
) -> None:
    adapter, port = durable_book(tmp_path, files)
    save = lambda: adapter.port.save(force=True)  # noqa: E731
    with pytest.raises(Killed):
        upload_documents(port, Watching(mailing, adapter.path, kill), save=save)
        create_lists(port, Watching(mailing, adapter.path, kill), wait=FAST, save=save)
    # the next run opens the file as the killed one left it on disk
    again = FileAdapter(tmp_path)
    again.port = open_sheet(adapter.path)
    docs = upload_documents(again.port, mailing, save=save)
    lists = create_lists(again.port, mailing, wait=FAST, save=save)
    assert sandbox.state.uploads == {"Good": 1}
    assert sandbox.state.address_lists == {"April": 1}
    if kill == "upload":  # answered, never saved: UNKNOWN, and the row says what to do
        assert docs.not_sent == 1 and "type its id into Document ID" in docs.refused["good"]
    elif kill == "create":
        assert "good" in docs.ids and lists.not_sent == 1
        assert "type its id into Address List ID" in lists.refused["april"]
    else:  # the list's id was saved before the wait: the rerun only waits for it
        assert "good" in docs.ids and "april" in lists.ids and lists.not_sent == 0
