"""XML bodies xl-mailer sends: the address list of ``POST /addressLists`` (API.md section 3).

Written with lxml's incremental writer, one address at a time: no tree of the whole list is
ever built, so 10,000 recipients cost a few megabytes and a fraction of a second, and lxml
escapes every value (``&``, ``<``, quotes, any Unicode), never string concatenation.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping

from lxml import etree

from xl_mailer.core.addresses import FIELDS as ADDRESS_FIELDS

MAPPINGS: Mapping[int, tuple[str, ...]] = {
    1: ADDRESS_FIELDS,  # the Addresses sheet's columns are mapping 1's fields
    2: (
        "First_name",
        "Last_name",
        "organization",
        "Address1",
        "Address2",
        "City",
        "State",
        "Zip",
        "Country_non-US",
    ),
}
"""Each address mapping's fields, as Click2Mail names the elements, in order [C]."""

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""A character XML 1.0 cannot carry (controls, lone surrogates, U+FFFE/U+FFFF)."""


def unsendable(text: str) -> str:
    """Why ``text`` cannot go in an XML document ('' when it can): the first character
    XML 1.0 has no place for, named by its code point."""
    found = _NOT_XML.search(text)
    return f"character U+{ord(found.group()):04X} cannot be sent in XML" if found else ""


def _text(value: object, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{where} is {type(value).__name__}, not text")
    problem = unsendable(value)
    if problem:
        raise ValueError(f"{where}: {problem}")
    return value


def address_list_xml(
    name: str, addresses: Iterable[Mapping[str, str | None]], mapping_id: int = 1
) -> tuple[bytes, int]:
    """The ``<addressList>`` body and how many addresses it holds.

    Each address maps the mapping's field names to text (a missing or None field is an
    empty element). Raises ValueError naming the recipient (from 1) and the field for a
    value that is not text or holds a character XML cannot carry, or a field the mapping
    does not have; KeyError for a mapping not in ``MAPPINGS``.
    """
    fields = MAPPINGS[mapping_id]
    known_fields = frozenset(fields)
    name = _text(name, "the list's name")
    buffer = io.BytesIO()
    count = 0
    with etree.xmlfile(buffer, encoding="UTF-8") as xml:
        xml.write_declaration(standalone=True)
        with xml.element("addressList"):
            with xml.element("addressListName"):
                xml.write(name)
            with xml.element("addressMappingId"):
                xml.write(str(mapping_id))
            with xml.element("addresses"):
                for count, address in enumerate(addresses, start=1):
                    extra = address.keys() - known_fields
                    if extra:
                        raise ValueError(
                            f"recipient {count} has fields mapping {mapping_id} does not:"
                            f" {', '.join(sorted(extra))}"
                        )
                    with xml.element("address"):
                        for field in fields:
                            with xml.element(field):
                                xml.write(_text(address.get(field), f"recipient {count}'s {field}"))
    return buffer.getvalue(), count
