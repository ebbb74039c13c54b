"""Uploads at their limits: a document over xl-mailer's size limit, and an address list of
100,000 recipients, whose body is over what Click2Mail (here the sandbox: 8 MB) reads."""

from __future__ import annotations

from pathlib import Path

from xl_mailer.app.addresses import create_lists
from xl_mailer.app.documents import upload_documents
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.core.documents import MAX_BYTES
from xl_mailer.sandbox import Sandbox

from .adapters import RemoteAdapter
from .test_uploads import ADDRESS_HEADER, DOC_HEADER, FAST, address, mailing, written

__all__ = ["mailing"]  # the fixture, shared with test_uploads


def test_a_200_mb_document_is_refused_before_upload_with_the_limit_named(
    tmp_path: Path, sandbox: Sandbox, mailing: Mailing
) -> None:
    big = tmp_path / "scan.pdf"
    with big.open("wb") as handle:  # sparse: 200 MB long, next to nothing on disk
        handle.write(b"%PDF-1.4\n")
        handle.truncate(200 * 1_048_576)
    assert big.stat().st_size > MAX_BYTES
    adapter = RemoteAdapter(tmp_path)
    documents = [DOC_HEADER, ["Scan", str(big), "Letter 8.5 x 11"]]
    port = adapter.open([["x"]], sheets={"Documents": documents})
    done = upload_documents(port, mailing)  # type: ignore[arg-type]
    (text,) = written(adapter.read("Documents"), ["Description"])["Description"]
    assert str(text).startswith(f"Not sent: {big} is 200 MB; xl-mailer uploads at most 100 MB")
    assert sandbox.state.requests["upload"] == 0 and done.not_sent == 1


def test_a_list_of_100000_addresses_is_sent_and_its_refusal_is_shown_beside_it(
    sandbox: Sandbox, mailing: Mailing
) -> None:
    # xl-mailer sets no limit of its own on a list (Click2Mail publishes none): it streams the
    # list, and what Click2Mail answers is written beside it. The sandbox reads at most 8 MB;
    # 100,000 addresses are about 25 MB of XML, so the list is refused, and nothing is made
    adapter = RemoteAdapter()
    rows = [ADDRESS_HEADER, *(address("Everyone", Firstname=f"P{i}") for i in range(100_000))]
    port = adapter.open([["x"]], sheets={"Addresses": rows, "Address Lists": [["List"]]})
    done = create_lists(port, mailing, wait=FAST)  # type: ignore[arg-type]
    sheet = written(adapter.read("Address Lists"), ["Addresses", "HTTP Status", "Description"])
    assert sheet["Addresses"] == [100_000] and sheet["HTTP Status"] == [400]
    assert sheet["Description"] == [
        "The address list is not readable XML: a body too large to read"
    ]
    assert sandbox.state.address_lists == {} and not done.ids
    assert "was not created" in done.refused["everyone"]
