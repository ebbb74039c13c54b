"""``xl-mailer upload`` and ``xl-mailer run`` with rows that name their document and address
list, on workbook files, against the sandbox over HTTP."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.click2mail.readings import AddressListStatus
from xl_mailer.core.calls import CallResult
from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER

PDF = b"%PDF-1.4\n%%EOF\n"
ADDRESS_HEADER = ["List", "Firstname", "Lastname", "Address1", "City", "State", "Postalcode"]
JOBS_HEADER = [*REQUIRED_PARAMS, "Document", "Address List"]


def mailing_book(path: Path, *, jobs: int = 2, zip_cell: object = "02134") -> Path:
    (path.parent / "letters").mkdir(exist_ok=True)
    (path.parent / "letters" / "renewal.pdf").write_bytes(PDF)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Jobs"
    sheet.append(JOBS_HEADER)
    for _ in range(jobs):
        values = {**LETTER, "documentId": None, "addressId": None}
        sheet.append([values.get(n) for n in REQUIRED_PARAMS] + ["Renewal", "April"])
    documents = book.create_sheet("Documents")
    documents.append(["Document Name", "File", "documentClass"])
    documents.append(["Renewal", "letters/renewal.pdf", "Letter 8.5 x 11"])
    addresses = book.create_sheet("Addresses")
    addresses.append(ADDRESS_HEADER)
    addresses.append(["April", "Ann", "Lee", "1 Main St", "Boston", "MA", zip_cell])
    book.create_sheet("Address Lists").append(["List"])
    book.save(path)
    return path


def sheet(path: Path, name: str) -> list[list[object]]:
    return [list(r) for r in load_workbook(path)[name].iter_rows(values_only=True)]


def test_upload_sends_each_document_and_list_once_and_saves_their_ids(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = mailing_book(tmp_path / "mail.xlsx", zip_cell=2134)
    out = io.StringIO()
    assert main(["upload", str(path), "--poll", "0.01"], out=out) == 0
    text = out.getvalue()
    assert "Documents: 1 uploaded." in text and "address list 'April': CASS Standardized" in text
    assert sandbox_env.state.uploads == {"Renewal": 1}
    assert sandbox_env.state.address_lists == {"April": 1}
    documents, lists = sheet(path, "Documents"), sheet(path, "Address Lists")
    assert documents[0][3:] == ["Document ID", "HTTP Status", "Return Code", "Description"]
    assert isinstance(documents[1][3], int) and documents[1][6] == "Success"
    assert lists[1][:2] == ["April", 1] and lists[1][-1] == "CASS Standardized"

    again = io.StringIO()
    assert main(["upload", str(path), "--poll", "0.01"], out=again) == 0
    assert "nothing to upload" in again.getvalue()
    assert sandbox_env.state.uploads == {"Renewal": 1}
    assert sandbox_env.state.address_lists == {"April": 1}


def test_run_uploads_what_the_rows_name_once_and_a_rerun_uploads_nothing(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = mailing_book(tmp_path / "mail.xlsx", jobs=3)
    out = io.StringIO()
    assert main(["run", str(path)], out=out) == 0
    assert "Before creating jobs: uploaded 1 document(s) and 1 address list(s)" in out.getvalue()
    jobs = sheet(path, "Jobs")
    doc, addr = REQUIRED_PARAMS.index("documentId"), REQUIRED_PARAMS.index("addressId")
    assert len({line[doc] for line in jobs[1:]}) == 1 and jobs[1][doc]
    assert len({line[addr] for line in jobs[1:]}) == 1 and jobs[1][addr]
    assert len(sandbox_env.state.jobs) == 3
    assert main(["run", str(path)], out=io.StringIO()) == 0
    assert sandbox_env.state.uploads == {"Renewal": 1}
    assert sandbox_env.state.address_lists == {"April": 1}
    assert len(sandbox_env.state.jobs) == 3


def test_a_row_whose_list_cannot_be_sent_is_not_sent_and_says_why(
    tmp_path: Path, sandbox_env: Sandbox
) -> None:
    path = mailing_book(tmp_path / "mail.xlsx", jobs=1, zip_cell='=TEXT(2134,"00000")')
    assert main(["run", str(path)], out=io.StringIO()) == 1
    jobs = sheet(path, "Jobs")
    text = str(jobs[1][jobs[0].index("Description")])
    assert text.startswith("Not sent: address list 'April': on the Addresses sheet")
    assert "Postalcode is a formula that was never calculated" in text
    assert sandbox_env.state.address_lists == {} and sandbox_env.state.jobs == {}
    assert sandbox_env.state.uploads == {"Renewal": 1}  # the document was fine


def test_upload_adds_the_sheets_a_workbook_lacks(tmp_path: Path, sandbox_env: Sandbox) -> None:
    book = Workbook()
    jobs = book.active
    assert jobs is not None
    jobs.title = "Jobs"
    jobs.append(list(REQUIRED_PARAMS))
    path = tmp_path / "plain.xlsx"
    book.save(path)
    out = io.StringIO()
    assert main(["upload", str(path)], out=out) == 0
    assert "Added the Documents sheet" in out.getvalue()
    saved = load_workbook(path)
    assert {"Documents", "Addresses", "Address Lists"} <= set(saved.sheetnames)
    assert sheet(path, "Addresses")[0][:2] == ["List", "Firstname"]


# -- a killed upload (SIGKILL, a closed terminal) never sends a document or list again --------


class Killed(BaseException):
    """The process dies here (SIGKILL): no ``finally`` saves anything."""


def spy_on_disk(
    monkeypatch: pytest.MonkeyPatch, path: Path, *, kill: str | None = None
) -> dict[str, tuple[object, ...]]:
    """What the file on disk held as each upload left and as each list's wait began;
    ``kill``: the process dies right after that call's answer (or as the wait begins)."""
    seen: dict[str, tuple[object, ...]] = {}
    real_upload, real_create = Mailing.upload_document, Mailing.create_address_list

    def upload(self: Mailing, *args: Any) -> CallResult:
        seen["upload"] = tuple(sheet(path, "Documents")[1])
        result = real_upload(self, *args)
        if kill == "upload":
            raise Killed
        return result

    def create(self: Mailing, *args: Any) -> CallResult:
        seen["create"] = tuple(sheet(path, "Address Lists")[1])
        result = real_create(self, *args)
        if kill == "create":
            raise Killed
        return result

    def wait(self: Mailing, list_id: int, **how: Any) -> AddressListStatus:
        seen["wait"] = tuple(sheet(path, "Address Lists")[1])
        raise Killed

    monkeypatch.setattr(Mailing, "upload_document", upload)
    monkeypatch.setattr(Mailing, "create_address_list", create)
    monkeypatch.setattr(Mailing, "wait_for_address_list", wait)
    return seen


@pytest.mark.parametrize("command", ["upload", "run"])
def test_each_upload_is_on_disk_as_unknown_before_it_leaves_and_its_id_before_the_wait(
    tmp_path: Path, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    path = mailing_book(tmp_path / "mail.xlsx", jobs=1)
    seen = spy_on_disk(monkeypatch, path)
    with pytest.raises(Killed):
        main([command, str(path)], out=io.StringIO())
    assert str(seen["upload"][-1]).startswith("UNKNOWN: upload sent ")
    assert str(seen["create"][-1]).startswith("UNKNOWN: create sent ")
    assert isinstance(seen["wait"][2], int)  # List, Addresses, Address List ID: saved
    assert isinstance(sheet(path, "Documents")[1][3], int)


@pytest.mark.parametrize("kill", ["upload", "create"])
@pytest.mark.parametrize("command", ["upload", "run"])
def test_an_upload_answered_but_never_saved_is_unknown_and_not_sent_again(
    tmp_path: Path, sandbox_env: Sandbox, monkeypatch: pytest.MonkeyPatch, command: str, kill: str
) -> None:
    path = mailing_book(tmp_path / "mail.xlsx", jobs=1)
    with monkeypatch.context() as patched:
        spy_on_disk(patched, path, kill=kill)
        with pytest.raises(Killed):
            main([command, str(path)], out=io.StringIO())
    sandbox_env.config.address_list_polls = 1  # ready at the first read of the rerun
    out = io.StringIO()
    assert main([command, str(path)], out=out) == 1
    assert sandbox_env.state.uploads == {"Renewal": 1}
    assert sandbox_env.state.address_lists == {"April": 1}  # made once, killed or not
    where = ("Documents", 3) if kill == "upload" else ("Address Lists", 2)
    row = sheet(path, where[0])[1]
    text = str(row[-1])
    assert row[where[1]] is None and text.startswith("UNKNOWN: ")
    assert "Not sent again" in text and "clear this Description" in text
    if command == "upload":
        assert "1 not sent (see their Description)" in out.getvalue()


def test_upload_killed_by_sigkill_during_the_list_wait_sends_nothing_again(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    path = mailing_book(tmp_path / "mail.xlsx", jobs=1)
    env = {
        **os.environ,
        "C2M_ENDPOINT": sandbox.url,
        "C2M_USERNAME": sandbox.config.username,
        "C2M_PASSWORD": sandbox.config.password,
        "PYTHONUNBUFFERED": "1",
    }
    sandbox.config.address_list_polls = 60  # the list stays at work: the wait goes on
    command = [sys.executable, "-m", "xl_mailer.headless.cli", "upload", str(path)]
    with subprocess.Popen(
        [*command, "--poll", "0.05", "--wait", "60"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as upload:
        assert upload.stdout is not None
        for line in upload.stdout:  # the wait has begun: the list was made
            if line.startswith("address list 'April'"):
                break
        upload.send_signal(signal.SIGKILL)
        upload.wait(timeout=10)
    assert sandbox.state.uploads == {"Renewal": 1}
    assert sandbox.state.address_lists == {"April": 1}
    rerun = subprocess.run(
        [*command, "--poll", "0.01"], env=env, capture_output=True, text=True, timeout=60
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "Documents: nothing to upload" in rerun.stdout
    assert sandbox.state.uploads == {"Renewal": 1}
    assert sandbox.state.address_lists == {"April": 1}
