"""Read and write Click2Mail's XML documents: the one module that imports lxml.

Answers come from the network, so the parser is hardened: no entity
expansion, no DTD loading, no network access, no huge trees, and a document
that carries a DOCTYPE at all is refused rather than half-trusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lxml import etree

from xl_mailer.core.errors import NotADocument as NotADocument

MAX_BODY_BYTES = 1_048_576
"""Answers are read up to this size; Click2Mail's documents are a few hundred bytes."""

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_pis=True,
    remove_comments=True,
)


@dataclass(frozen=True)
class Document:
    """An answer's root name, its direct children's text, and its repeated child elements."""

    root: str
    fields: Mapping[str, str]
    items: tuple[Mapping[str, str], ...] = field(default=())

    def int_field(self, name: str) -> int | None:
        text = self.fields.get(name, "").strip()
        try:
            return int(text)
        except ValueError:
            return None


def _children(element: etree._Element) -> dict[str, str]:
    values: dict[str, str] = {}
    for child in element:
        if isinstance(child.tag, str) and len(child) == 0:
            values.setdefault(etree.QName(child).localname, (child.text or "").strip())
    return values


def parse(body: bytes) -> Document:
    """Parse an answer body. Raises NotADocument, describing what came instead."""
    if not body.strip():
        raise NotADocument("an empty body")
    if len(body) > MAX_BODY_BYTES:
        raise NotADocument(f"a body over {MAX_BODY_BYTES:,} bytes")
    head = body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise NotADocument(f"an HTML page ({snippet(body)!r})")
    _refuse_dtd(body)
    try:
        root = etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise NotADocument(f"text that is not XML ({snippet(body)!r})") from exc
    if etree.QName(root).localname.lower() == "html":
        raise NotADocument(f"an HTML page ({snippet(body)!r})")
    items = tuple(
        _children(child) for child in root if isinstance(child.tag, str) and len(child) > 0
    )
    return Document(root=etree.QName(root).localname, fields=_children(root), items=items)


def _refuse_dtd(body: bytes) -> None:
    """No answer of Click2Mail's has a DTD: one that does is hostile, and libxml2 never sees it."""
    lowered = body.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise NotADocument("an XML document with a DOCTYPE, refused unread")


def snippet(body: bytes, limit: int = 80) -> str:
    """A short, single-line piece of a body, for messages."""
    text = body[:400].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text[:limit]


def build(
    root: str,
    fields: Mapping[str, object],
    items: Iterable[Mapping[str, object]] = (),
    item_tag: str = "",
) -> bytes:
    """Serialise a document the way Click2Mail writes them (used by the sandbox)."""
    element = etree.Element(root)
    for name, value in fields.items():
        etree.SubElement(element, name).text = "" if value is None else str(value)
    for item in items:
        child = etree.SubElement(element, item_tag)
        for name, value in item.items():
            etree.SubElement(child, name).text = "" if value is None else str(value)
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", standalone=True)


def list_records(body: bytes, tag: str | None) -> tuple[str, list[dict[str, str]]]:
    """The root's name and the leaf fields of every ``tag`` element anywhere in a document;
    with ``tag`` None, of every element below the root that has leaf fields (for answers
    whose shape is not documented)."""
    if len(body) > MAX_BODY_BYTES * 8:
        raise NotADocument("a body too large to read")
    _refuse_dtd(body)
    try:
        root = etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise NotADocument(f"text that is not XML ({snippet(body)!r})") from exc
    name = etree.QName(root).localname
    found = (
        _children(element)
        for element in root.iter()
        if isinstance(element.tag, str)
        and (etree.QName(element).localname == tag if tag else element is not root)
    )
    return name, [fields for fields in found if fields or tag]


def records(body: bytes, tag: str) -> list[dict[str, str]]:
    """The leaf fields of every ``tag`` element anywhere in a document (hardened parse)."""
    return list_records(body, tag)[1]
