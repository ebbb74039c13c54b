"""What the read-only answers of a whole mailing say: an address list's state, a job's state
and cost, its tracking. Plain values and the one function that reads each answer, so that a
guess about Click2Mail ([L] likely, [U] uncertain in API.md) is corrected in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

LIST_STATES: Mapping[int, str] = {0: "Uploaded", 1: "Mapped", 3: "CASS Standardized", 9: "Error"}
"""An address list's ``<status>`` [C]: 3 is ready to mail to, 9 failed."""
LIST_READY = 3
LIST_ERROR = 9

EDITING_CODE = 9
"""``GET /jobs/{id}``'s ``<status>`` of a job still in Editing [L]; its text is the state [C]."""


@dataclass(frozen=True, slots=True)
class AddressListStatus:
    """``GET /addressLists/{id}``: the list's ``<status>`` and its text."""

    list_id: int
    code: int | None
    description: str

    @property
    def ready(self) -> bool:
        return self.code == LIST_READY

    @property
    def failed(self) -> bool:
        return self.code == LIST_ERROR

    @property
    def settled(self) -> bool:
        """Ready or failed: polling again changes nothing."""
        return self.ready or self.failed

    @property
    def name(self) -> str:
        """The state in words: Click2Mail's, else the documented name of its code."""
        if self.description:
            return self.description
        if self.code is None:
            return "no status"
        return LIST_STATES.get(self.code, f"status {self.code}")


@dataclass(frozen=True, slots=True)
class JobState:
    """``GET /jobs/{id}``: the job's state code [L] and name [C] (not an error flag)."""

    job_id: int
    code: int | None
    name: str

    @property
    def editing(self) -> bool | None:
        """Still in Editing (not submitted), or None when the answer cannot tell."""
        return is_editing(self.code, self.name)


def is_editing(code: int | None, name: str) -> bool | None:
    """Whether a job's state is Editing: by its name ("Editing", "EDITING") when there is
    one [C], else by the code [L]; None when neither says."""
    words = re.sub(r"[\s_]+", " ", name).strip().lower()
    if words:
        return words == "editing"
    if code is None:
        return None
    return code == EDITING_CODE


@dataclass(frozen=True, slots=True)
class JobCost:
    """``GET /jobs/{id}/cost``: ``<cost>`` and ``<totalTax>`` [C]; the state is not an error."""

    job_id: int
    amount: Decimal
    tax: Decimal
    state: JobState

    @property
    def total(self) -> Decimal:
        """What a spend limit counts: whether ``<cost>`` already holds the tax is not
        documented [U], so both are added, which errs high, never low."""
        return self.amount + self.tax


def money(text: str) -> Decimal | None:
    """An amount as Click2Mail may write it ("12.5", "$1,234.50", " 0 "), or None when the
    text holds no finite number of 0 or more (a negative cost or tax would lower a batch's
    total under the spend limit: it cannot be read, and stops the batch). Raises nothing."""
    cleaned = re.sub(r"[\s$,]|USD", "", text)
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


@dataclass(frozen=True, slots=True)
class Tracking:
    """``GET /jobs/{id}/tracking``: how many mail pieces USPS has scanned, and the last scan."""

    scanned: int
    total: int | None  # None: the answer does not say how many pieces there are
    latest_status: str
    latest_date: str  # yyyy-mm-dd when it could be read, else as Click2Mail wrote it
    description: str = ""  # Click2Mail's text when there is nothing to count

    @property
    def text(self) -> str:
        """ "212 of 250 pieces scanned; latest: Arrived at Recipient PO, 2026-12-02"."""
        if not self.scanned:
            return "No pieces scanned yet" + (f" ({self.description})" if self.description else "")
        count = f"{self.scanned} of {self.total}" if self.total else f"{self.scanned}"
        latest = ", ".join(part for part in (self.latest_status, self.latest_date) if part)
        noun = "piece" if (self.total or self.scanned) == 1 else "pieces"
        return f"{count} {noun} scanned" + (f"; latest: {latest}" if latest else "")


# The tracking answer's shape is not documented [U]: the names other clients of Click2Mail
# read are looked for, in any case, in any element below the root.
_STATUS_NAMES = ("status", "statustext", "scanstatus", "eventdescription", "event", "activity")
_DATE_NAMES = (
    "statusdate",
    "scandatetime",
    "scandate",
    "datetime",
    "eventdate",
    "date",
    "timestamp",
)
_PIECE_NAMES = ("barcode", "imb", "imbcode", "bar_code", "mailpieceid", "pieceid")
_TOTAL_NAMES = ("totalpieces", "total", "pieces", "piececount", "quantity", "count")
_SCANNED_NAMES = ("scannedpieces", "piecesscanned", "scanned", "scannedcount")
_SCAN_COUNT_NAMES = ("pieces", "piececount", "count", "scannedpieces")
_LATEST_STATUS_NAMES = ("lateststatus", "latestscanstatus", "laststatus", "lastscanstatus")
_LATEST_DATE_NAMES = ("latestdatetime", "latestdate", "latestscandate", "lastscandate")
_DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%Y%m%d")


def _first(fields: Mapping[str, str], names: Sequence[str]) -> str:
    lowered = {key.lower(): value for key, value in fields.items()}
    return next((lowered[name] for name in names if lowered.get(name)), "")


def _when(text: str) -> dt.datetime | None:
    text = text.strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        pass
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _count(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def read_tracking(fields: Mapping[str, str], records: Sequence[Mapping[str, str]]) -> Tracking:
    """A tracking answer's root fields and the leaf fields of every element below its root,
    read whatever their names. Counts and the latest scan the root declares come first;
    else a record with a scan status or date is a scan, a scan's piece count (the most any
    scan names) or else its barcode (distinct ones) counts the pieces. Raises nothing."""
    scans = [r for r in records if _first(r, _STATUS_NAMES) or _first(r, _DATE_NAMES)]
    pieces = {_first(r, _PIECE_NAMES) for r in records if _first(r, _PIECE_NAMES)}
    scanned_pieces = {_first(r, _PIECE_NAMES) for r in scans if _first(r, _PIECE_NAMES)}
    counted = [n for r in scans if (n := _count(_first(r, _SCAN_COUNT_NAMES))) is not None]
    scanned = _count(_first(fields, _SCANNED_NAMES))
    if scanned is None:
        scanned = max(counted) if counted else len(scanned_pieces) or len(scans)
    total = _count(_first(fields, _TOTAL_NAMES)) or None
    if total is None and len(pieces) > len(scanned_pieces):
        total = len(pieces)  # records for pieces not yet scanned: the list is per piece
    if total is not None:
        total = max(total, scanned)
    latest_status = _first(fields, _LATEST_STATUS_NAMES)
    latest_date = _first(fields, _LATEST_DATE_NAMES)
    if scans and not latest_status:
        dated = [(when, i) for i, r in enumerate(scans) if (when := _when(_first(r, _DATE_NAMES)))]
        last = scans[max(dated)[1]] if dated else scans[-1]
        latest_status = _first(last, _STATUS_NAMES)
        latest_date = _first(last, _DATE_NAMES)
    when = _when(latest_date)
    latest_date = when.date().isoformat() if when else latest_date
    return Tracking(scanned, total, latest_status, latest_date, fields.get("description", ""))
