"""Create Jobs on a workbook that has only a Jobs sheet, whose rows name a document and an
address list: the sheets they need are added, with their header rows, and nothing is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from xl_mailer.app.mailing import prepare
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.core.models import OUTPUT_HEADERS, REQUIRED_PARAMS
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER
from .adapters import Adapter, FileAdapter, RemoteAdapter
from .test_uploads import ADDRESS_HEADER, DOC_HEADER, FAST, written


@pytest.fixture(params=["openpyxl", "xlwings"])
def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> Adapter:
    return FileAdapter(tmp_path) if request.param == "openpyxl" else RemoteAdapter()


def test_the_sheets_rows_name_are_added_on_first_use_and_the_rows_say_what_to_fill_in(
    adapter: Adapter, sandbox: Sandbox
) -> None:
    header = [*REQUIRED_PARAMS, "Document", "Address List", *OUTPUT_HEADERS]
    values = {**LETTER, "documentId": None, "addressId": None}
    grid = [header, [values.get(n) for n in REQUIRED_PARAMS] + ["Renewal", "April"]]
    port = adapter.open(grid)
    with Click2MailClient(sandbox.url, "sandbox", sandbox.config.password) as client:
        ready = prepare(port, Mailing(client), wait=FAST)
    assert sorted(ready.held) == [2]
    assert sandbox.state.uploads == {} and sandbox.state.address_lists == {}
    assert adapter.read("Documents")[0][: len(DOC_HEADER)] == DOC_HEADER
    assert adapter.read("Addresses")[0][: len(ADDRESS_HEADER)] == ADDRESS_HEADER
    assert adapter.read("Address Lists")[0][0] == "List"
    (said,) = written(adapter.read(), ["Description"])["Description"]
    assert "the workbook had no Documents sheet: one was added just now" in str(said)
    assert "give 'Renewal' a row there (Document Name)" in str(said)
    assert "the workbook had no Address Lists sheet: one was added just now" in str(said)
