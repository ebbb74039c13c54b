"""Plain values that flow through a run: what a row asks for and what came of it."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

REQUIRED_PARAMS: tuple[str, ...] = (
    "documentClass",
    "layout",
    "productionTime",
    "envelope",
    "color",
    "paperType",
    "printOption",
    "documentId",
    "addressId",
)
"""The nine parameters ``POST /jobs`` requires, spelled as Click2Mail spells them."""

OPTIONAL_PARAMS: tuple[str, ...] = (
    "mailClass",
    "rtnName",
    "rtnOrganization",
    "rtnaddress1",
    "rtnaddress2",
    "rtnCity",
    "rtnState",
    "rtnZip",
    "endorsement",
    "appSignature",
    "projectId",
    "mailingDate",
    "quantity",
    "jobDocumentId",
    "jobAddressId",
    "returnAddressId",
    "businessReplyAddressId",
    "courtesyReplyAddressId",
    "enclosure",
)
"""Optional create parameters: sent when their column exists and the cell is not blank."""

ALL_PARAMS: tuple[str, ...] = REQUIRED_PARAMS + OPTIONAL_PARAMS

ID_PARAMS: frozenset[str] = frozenset(
    {
        "documentId",
        "addressId",
        "projectId",
        "jobDocumentId",
        "jobAddressId",
        "returnAddressId",
        "businessReplyAddressId",
        "courtesyReplyAddressId",
        "quantity",
    }
)
"""Parameters whose value must be a positive whole number."""

OPTION_PARAMS: tuple[str, ...] = (
    "documentClass",
    "layout",
    "productionTime",
    "envelope",
    "color",
    "paperType",
    "printOption",
    "mailClass",
)
"""Parameters whose allowed values come from the product catalog."""

RESULT_HEADERS: tuple[str, ...] = ("Job ID", "HTTP Status", "Return Code", "Description")
"""The result columns, written immediately right of the rightmost parameter column."""

KEY_HEADER = "Request Key"
"""The column that keeps each row's request key, sent as ``appSignature`` for reconciliation."""

SENT_HEADER = "Sent (UTC)"
"""The column that keeps when each row's request last left (UTC): reconciliation waits from it."""

OUTPUT_HEADERS: tuple[str, ...] = (*RESULT_HEADERS, KEY_HEADER, SENT_HEADER)
"""Every column xl-mailer writes, in the order it creates them."""


class Outcome(enum.Enum):
    """What happened to one row."""

    CREATED = "created"  # HTTP 201, status 0: the job exists and its id is known
    FAILED = "failed"  # Click2Mail answered and refused the job: nothing was made
    INVALID = "invalid"  # refused by validation before any call
    UNKNOWN = "unknown"  # may have reached Click2Mail, no clean answer: never re-sent blindly
    SKIPPED = "skipped"  # already has a Job ID, or nothing to do
    NOT_SENT = "not sent"  # the run stopped before this row was sent
    VALID = "valid"  # validation only: the row would be sent

    @property
    def is_failure(self) -> bool:
        return self in (Outcome.FAILED, Outcome.INVALID)


@dataclass(frozen=True, slots=True)
class JobRequest:
    """The parameters of one ``POST /jobs`` call, in send order, for one sheet row.

    ``key`` is the request key given to the row just before it is sent.
    """

    row: int
    params: tuple[tuple[str, str], ...]
    key: str | None = None

    def get(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return default


@dataclass(frozen=True, slots=True)
class JobResult:
    """What came of one row: the four cells written next to it, and the outcome."""

    outcome: Outcome
    description: str
    job_id: int | None = None
    http_status: int | None = None
    code: int | None = None
    request_key: str | None = None
    sent_at: dt.datetime | None = None  # UTC, naive: when the request's last attempt ended

    def keyed(self, key: str | None) -> JobResult:
        """The same result, for the request sent with ``key``."""
        return JobResult(
            self.outcome,
            self.description,
            self.job_id,
            self.http_status,
            self.code,
            key,
            self.sent_at,
        )

    def sent(self, at: dt.datetime | None) -> JobResult:
        """The same result, its request last on its way at ``at`` (UTC, naive)."""
        return JobResult(
            self.outcome,
            self.description,
            self.job_id,
            self.http_status,
            self.code,
            self.request_key,
            at,
        )

    @property
    def cells(
        self,
    ) -> tuple[int | None, int | None, int | None, str, str | None, dt.datetime | None]:
        """Values for the ``Job ID``, ``HTTP Status``, ``Return Code``, ``Description``,
        ``Request Key`` and ``Sent (UTC)`` cells."""
        return (
            self.job_id,
            self.http_status,
            self.code,
            self.description,
            self.request_key,
            self.sent_at,
        )


def utc_now() -> dt.datetime:
    """Now, in UTC, naive, rounded up to the second: how the ``Sent (UTC)`` column holds a
    time (up, so that a wait counted from it is never shorter than asked)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if now.microsecond:
        now = now.replace(microsecond=0) + dt.timedelta(seconds=1)
    return now
