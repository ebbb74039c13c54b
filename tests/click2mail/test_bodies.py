"""The bodies the whole mailing sends: the address list's XML keeps every name and address as
typed (read back with a plain XML parser), and a document's multipart body streams its file."""

from __future__ import annotations

import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_mailer.click2mail.multipart import CHUNK_BYTES, MultipartBody
from xl_mailer.click2mail.xmlbodies import MAPPINGS, address_list_xml, unsendable

FIELDS = MAPPINGS[1]
NASTY = [
    "Tom & Jerry <Ltd>",
    'O\'Brien "the elder"',
    "]]> <![CDATA[ x ]]>",
    "&amp; &#x26; &lt;",
    "Zoë Ångström-Łukasiewicz",
    "שלום עליכם",  # right to left
    "\u202eevil\u202c",  # a right-to-left override
    "👩‍👩‍👧 📬",
    "  spaces kept  ",
    "line one\nline two\ttab",
    "",
]

xml_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff").filter(
        lambda c: not unsendable(c)
    ),
    max_size=40,
)


def read_back(body: bytes) -> tuple[str, str, list[dict[str, str]]]:
    root = ET.fromstring(body)  # noqa: S314
    assert root.tag == "addressList"
    addresses = [
        {child.tag: child.text or "" for child in address}
        for address in root.iterfind("addresses/address")
    ]
    return (
        root.findtext("addressListName") or "",
        root.findtext("addressMappingId") or "",
        addresses,
    )


@pytest.mark.parametrize("value", NASTY)
def test_a_nasty_value_survives_in_every_field_and_the_name(value: str) -> None:
    address = dict.fromkeys(FIELDS, value)
    body, count = address_list_xml(value or "x", [address])
    name, mapping, addresses = read_back(body)
    assert (name, mapping, count, addresses) == (value or "x", "1", 1, [address])
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>")


@settings(max_examples=200, deadline=None)
@given(
    name=xml_text.filter(str.strip),
    addresses=st.lists(
        st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, xml_text)), max_size=5
    ),
)
def test_any_text_xml_can_carry_comes_back_as_it_was_sent(
    name: str, addresses: list[dict[str, str]]
) -> None:
    body, count = address_list_xml(name, addresses)
    sent_name, _, got = read_back(body)
    assert (sent_name, count) == (name, len(addresses))
    # every field is written, in the mapping's order; a missing one is empty
    assert got == [{field: address.get(field, "") for field in FIELDS} for address in addresses]


def test_mapping_2_writes_its_own_fields() -> None:
    body, _ = address_list_xml("l", [{"First_name": "Ann", "Country_non-US": "France"}], 2)
    _, mapping, [address] = read_back(body)
    assert mapping == "2"
    assert list(address) == list(MAPPINGS[2])
    assert (address["First_name"], address["Country_non-US"]) == ("Ann", "France")


def test_addresses_are_read_once_from_a_generator() -> None:
    body, count = address_list_xml("l", ({"City": str(n)} for n in range(3)))
    assert count == 3
    assert [a["City"] for a in read_back(body)[2]] == ["0", "1", "2"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ok", ""),
        ("a\x00b", "character U+0000 cannot be sent in XML"),
        ("\x1f", "character U+001F cannot be sent in XML"),
        ("\ufffe", "character U+FFFE cannot be sent in XML"),
        ("\udc80", "character U+DC80 cannot be sent in XML"),
        ("\t\n\r", ""),
    ],
)
def test_characters_xml_cannot_carry_are_named(text: str, problem: str) -> None:
    assert unsendable(text) == problem


# -- multipart -----------------------------------------------------------------------------


def test_a_document_body_streams_its_file_in_small_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.pdf"
    with open(path, "wb") as file:
        file.write(b"%PDF-1.4\n")
        file.truncate(30 * 1_048_576)  # 30 MB, sparse: costs no disk
    body = MultipartBody((("documentName", "big"),), "file", path, "application/pdf")
    tracemalloc.start()
    try:
        sizes = [len(chunk) for chunk in body]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(sizes) == len(body)
    assert max(sizes[1:-1]) <= CHUNK_BYTES
    assert peak < 2 * 1_048_576


def test_a_file_that_changes_while_it_is_sent_breaks_the_body_off(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(b"%PDF-" + b"x" * 200_000)
    body = MultipartBody((), "file", path)
    chunks = iter(body)
    next(chunks)  # the head
    next(chunks)
    path.write_bytes(b"%PDF-")
    with pytest.raises(OSError, match="changed while it was being sent"):
        list(chunks)
    assert "doc.pdf changed while it was being sent" in body.failure


def test_a_file_that_grows_while_it_is_sent_breaks_the_body_off(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(b"%PDF-1")
    body = MultipartBody((), "file", path)
    with open(path, "ab") as file:
        file.write(b"more")
    with pytest.raises(OSError, match="changed"):
        list(body)
