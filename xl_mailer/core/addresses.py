"""The Addresses and Address Lists sheets: recipients grouped into lists by name, each
address checked before any list is sent.

Addresses: one row per recipient, ``List`` (the list's name, spelled the same way on each
of the list's rows) then Click2Mail's mapping-1 fields. Address Lists: one row per list,
with what xl-mailer writes beside it (``Addresses``, ``Address List ID``, ``HTTP Status``,
``Return Code``: the list's status code, and ``Description``: Uploaded, Mapped, CASS
Standardized or Error). Pure.

Cells become text as the address needs it: a formula by its calculated value, a whole
number without ".0"; a US ZIP typed as a number gets back the leading zeros Excel dropped
(2134 -> "02134", 21341234 -> "02134-1234"). A date is refused: it is a value Excel turned
into a date as it was typed (an apartment "5-12"), and no mail should carry it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xl_mailer.core.cells import CellError, is_blank, job_number, to_param
from xl_mailer.core.documents import is_unknown, name_key
from xl_mailer.core.sheet import Rows
from xl_mailer.core.tables import Table, TableSpec

ADDRESSES_SHEET = "Addresses"
ADDRESS_LISTS_SHEET = "Address Lists"
FIELDS = (
    "Firstname",
    "Lastname",
    "Organization",
    "Address1",
    "Address2",
    "Address3",
    "City",
    "State",
    "Postalcode",
    "Country",
)
"""Click2Mail's address mapping 1, in its order (API.md section 3)."""

ADDRESSES = TableSpec(
    required=("List", "Address1"), optional=tuple(f for f in FIELDS if f != "Address1")
)
ADDRESS_LISTS = TableSpec(
    required=("List",),
    written=("Addresses", "Address List ID", "HTTP Status", "Return Code", "Description"),
)
US_NEEDS = ("City", "State", "Postalcode")
"""What a US address (Country empty) needs beyond Address1."""
LIST_READY, LIST_ERROR = 3, 9  # the list's status codes (API.md section 3 [C])


def _zip(value: object, text: str) -> str:
    """A US ZIP as it was meant: a number lost its leading zeros."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not text.isdigit():
        return text
    if len(text) <= 5:
        return text.zfill(5)
    if len(text) <= 9:
        text = text.zfill(9)
        return f"{text[:5]}-{text[5:]}"
    return text


def read_address(table: Table, line: Sequence[object]) -> tuple[dict[str, str], list[str]]:
    """One Addresses row as text by field, and what keeps it from being mailed."""
    address: dict[str, str] = {}
    problems: list[str] = []
    for name in FIELDS:
        value = table.cell(line, name)
        if is_blank(value):
            address[name] = ""
            continue
        try:
            text = to_param(name, value).strip()
        except CellError as exc:
            problems.append(str(exc))
            text = ""
        address[name] = text
    if not address["Country"] and not is_blank(table.cell(line, "Postalcode")):
        address["Postalcode"] = _zip(table.cell(line, "Postalcode"), address["Postalcode"])
    if not problems:
        needed = ["Address1"] + (list(US_NEEDS) if not address["Country"] else [])
        missing = [name for name in needed if not address[name]]
        if missing:
            where = " (a US address: Country is empty)" if not address["Country"] else ""
            problems.append(f"no {', '.join(missing)}{where}")
    return address, problems


@dataclass
class Recipients:
    """The addresses a list name gathers on the Addresses sheet, and the rows refused."""

    name: str
    addresses: list[dict[str, str]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    spellings: dict[str, list[int]] = field(default_factory=dict)
    """Each way the rows spell the name, exactly as typed, with the rows that spell it so."""


def gather(rows: Rows, table: Table) -> dict[str, Recipients]:
    """Every Addresses row, by its list's name (``name_key``); a row without a List is
    refused under the empty key."""
    lists: dict[str, Recipients] = {}
    for number, line in table.data_rows(rows):
        name = table.cell(line, "List")
        typed = "" if is_blank(name) else str(name)
        text = typed.strip()
        found = lists.setdefault(name_key(text), Recipients(text))
        if text:
            found.spellings.setdefault(typed, []).append(number)
        address, problems = read_address(table, line)
        if not text:
            problems.insert(0, "no List")
        if problems:
            found.refused.append((number, "; ".join(problems)))
        else:
            found.addresses.append(address)
    return lists


@dataclass(frozen=True)
class ListPlan:
    """One Address Lists row: its addresses, and whether it is to be created, waited for
    (an id not yet ready), refused (``problem``) or awaits a check (``waiting``)."""

    row: int
    name: str
    count: int
    addresses: tuple[dict[str, str], ...] = ()
    list_id: int | None = None
    status: int | None = None
    problem: str | None = None
    waiting: str | None = None

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def to_create(self) -> bool:
        return self.list_id is None and self.problem is None and self.waiting is None

    @property
    def to_wait(self) -> bool:
        return self.list_id is not None and self.status not in (LIST_READY, LIST_ERROR)


def _first_five(items: Sequence[str], sep: str) -> str:
    """``items`` joined by ``sep``, the first five named and the rest counted."""
    more = f"{sep}and {len(items) - 5} more" if len(items) > 5 else ""
    return sep.join(items[:5]) + more


def refused_rows(refused: Sequence[tuple[int, str]]) -> str:
    """Refused Addresses rows in a few words: the first five named."""
    shown = _first_five([f"row {row}: {why}" for row, why in refused], "; ")
    return f"{len(refused)} address(es) cannot be mailed ({shown})"


def spelled(spellings: dict[str, list[int]]) -> str:
    """The ways a list's name is spelled, each with its Addresses rows (five at most)."""
    ways = []
    for text, rows in spellings.items():
        numbers = _first_five([str(r) for r in rows], ", ")
        ways.append(f"{text!r} (row{'s' if len(rows) > 1 else ''} {numbers})")
    return _first_five(ways, "; ")


def plan_lists(rows: Rows, table: Table, recipients: dict[str, Recipients]) -> list[ListPlan]:
    """Every Address Lists row with its addresses. A list with no address, with a refused
    address (fix it, or delete its row, then send again), whose name another row gives too
    (case and spaces aside), or whose Addresses rows spell its name in more than one way
    ("April", "april ") is refused: which list such a row means cannot be known."""
    plans: list[ListPlan] = []
    given: dict[str, list[int]] = {}
    for number, line in table.data_rows(rows):
        key = name_key(table.cell(line, "List"))
        if key:
            given.setdefault(key, []).append(number)
    for number, line in table.data_rows(rows):
        cell = table.cell(line, "List")
        name = "" if is_blank(cell) else str(cell).strip()
        key = name_key(name)
        found = recipients.get(key, Recipients(name)) if key else Recipients(name)
        made = job_number(table.cell(line, "Address List ID"))
        code = table.cell(line, "Return Code")
        status = int(code) if isinstance(code, int | float) and not isinstance(code, bool) else None
        problem: str | None = None
        others = [r for r in given.get(key, []) if r != number]
        if not name:
            problem = "Not sent: List is empty; give the list a name"
        elif others:
            shown = ", ".join(map(str, others))
            problem = (
                f"Not sent: the list name {name!r} is also on row {shown} (case and spaces"
                " aside); give each list its own name"
            )
        elif len(found.spellings) > 1:
            problem = (
                f"Not sent: the {ADDRESSES_SHEET} sheet spells this list's name"
                f" {len(found.spellings)} ways, one name case and spaces aside:"
                f" {spelled(found.spellings)}; spell it the same way on every row of the list"
                " (or give each list its own name) and send again"
            )
        elif found.refused:
            problem = (
                f"Not sent: on the {ADDRESSES_SHEET} sheet, {refused_rows(found.refused)}; fix"
                " them (or remove their rows) and send again"
            )
        elif not found.addresses:
            problem = f"Not sent: no row of the {ADDRESSES_SHEET} sheet has List {name!r}"
        waiting = None
        if made is None and is_unknown(table.cell(line, "Description")):
            waiting = str(table.cell(line, "Description"))
        plans.append(
            ListPlan(
                number,
                name,
                len(found.addresses),
                tuple(found.addresses),
                made,
                status,
                problem if made is None else None,
                waiting,
            )
        )
    return plans


def place_names(rows: Rows, table: Table, names: Sequence[str]) -> tuple[int, list[list[object]]]:
    """Where new Address Lists rows named ``names`` go (the 1-based sheet row of the first),
    and ``rows`` as they read with them written. They go right below the last row with a
    value in one of the table's columns: rows below it that are only formatted (a template's
    empty rows, which the Jobs sheet's Address List dropdown reads) are free."""
    columns = set(table.columns.values())
    last = table.header_row
    for index in range(table.first_data_row, len(rows)):
        line = rows[index]
        if any(c < len(line) and line[c] not in (None, "") for c in columns):
            last = index
    column = table.columns["List"]
    placed = [list(line) for line in rows]
    for index, name in enumerate(names, start=last + 1):
        while len(placed) <= index:
            placed.append([])
        placed[index].extend([None] * (column + 1 - len(placed[index])))
        placed[index][column] = name
    return last + 2, placed


def unlisted(recipients: dict[str, Recipients], plans: Sequence[ListPlan]) -> list[str]:
    """List names the Addresses sheet gives that no Address Lists row has, in order."""
    have = {plan.key for plan in plans}
    return [r.name for key, r in recipients.items() if key and key not in have]
