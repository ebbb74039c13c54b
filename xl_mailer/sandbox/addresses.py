"""``POST /addressLists``: read the XML body (with the client's hardened parser) and decide
what becomes of the list."""

from __future__ import annotations

from dataclasses import dataclass

from xl_mailer.click2mail import xmlanswers
from xl_mailer.core.returncodes import documented
from xl_mailer.sandbox.answers import Answer, Request, int_id, refusal, xml
from xl_mailer.sandbox.state import AddressList

MAPPINGS = {
    "1": ("Address1", "Country"),
    "2": ("Address1", "Country_non-US"),
}
"""addressMappingId -> (its first address line field, its country field) [C]."""
ERROR_MARKER = "sandbox-error"
"""A list whose name contains this ends in 9 Error (a practice switch of the sandbox's)."""
_US = ("", "US", "USA", "UNITED STATES")

MISSING = documented("One of the required parameters is missing.")
INVALID_MAPPING = (400, 9, "Invalid addressMappingId.")  # the sandbox's text [U]


@dataclass(frozen=True)
class NewList:
    """A list as read from its body: name, count, whether any address is outside the US, and
    whether the sandbox can standardise it."""

    name: str
    count: int
    international: bool
    standardisable: bool


def read_list(body: bytes) -> NewList | tuple[int, int, str]:
    """The list a body describes, or the refusal (HTTP, status, description) to answer with."""
    try:
        header = xmlanswers.records(body, "addressList")
        addresses = xmlanswers.records(body, "address")
    except xmlanswers.NotADocument as exc:
        return 400, 9, f"The address list is not readable XML: {exc}"
    name = header[0].get("addressListName", "").strip() if header else ""
    mapping = header[0].get("addressMappingId", "").strip() if header else ""
    if not name or not mapping:
        return MISSING
    if mapping not in MAPPINGS:
        return INVALID_MAPPING
    line1, country = MAPPINGS[mapping]
    international = any(a.get(country, "").strip().upper() not in _US for a in addresses)
    standardisable = ERROR_MARKER not in name and any(a.get(line1, "").strip() for a in addresses)
    return NewList(name, len(addresses), international, standardisable)


def create(request: Request) -> Answer:
    """POST /addressLists: 201 with status 0 Uploaded; polls move it on (``poll``)."""
    new = read_list(request.body)
    if not isinstance(new, NewList):
        return refusal("addressList", new)
    state = request.state
    final = (3, "CASS Standardized") if new.standardisable else (9, "Error")
    with state.lock:
        made = AddressList(
            state.new_id(),
            new.name,
            new.count,
            new.international,
            final,
            needed=request.config.address_list_polls,
        )
        state.lists[made.id] = made
        state.address_lists[made.name] += 1
    return xml(201, "addressList", {"id": made.id, "status": 0, "description": "Uploaded"})


def poll(request: Request) -> Answer:
    """GET /addressLists/{id}: each read moves a new list one step: 0 -> 1 -> 3 (or 9)."""
    state, text = request.state, request.ids[0]
    with state.lock:
        found = state.lists.get(int_id(text) or -1)
        if found is None:
            return refusal("addressList", (200, 9, "Address List ID not found"), text)
        found.polls += 1
        code, name = found.status()
    return xml(200, "addressList", {"id": found.id, "status": code, "description": name})
