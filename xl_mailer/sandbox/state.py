"""What the sandbox knows and how it is switched: the account, its documents, address lists,
jobs and proofs, the counters tests read to find duplicates, the clock jobs age on, and the
configuration (latency, faults, prices, credit)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from xl_mailer.core.catalog import Catalog, default_catalog

FAULTS = ("timeout", "drop", "html500", "gateway524", "malformed", "throttle", "password")
CALLS = (
    "create",  # POST /jobs
    "upload",  # POST /documents
    "address_list",  # POST /addressLists
    "poll",  # GET /addressLists/{id}
    "status",  # GET /jobs/{id}
    "cost",  # GET /jobs/{id}/cost
    "submit",  # POST /jobs/{id}/submit
    "proof",  # POST /jobs/{id}/proof
    "proof_pdf",  # GET /jobs/{id}/proof/{proofId}
    "tracking",  # GET /jobs/{id}/tracking
    "list_jobs",  # GET /jobs
    "credit",  # GET /credit
)
"""Names of the calls a fault can be aimed at (``SandboxConfig.fault_on``)."""

USERNAME = "sandbox"
PASSWORD = "sandbox-password"  # noqa: S105 - the sandbox's public practice account

EDITING = (9, "EDITING")
"""Job states as (code, name). 9 and 4 are Click2Mail's [L]; the names are its own [C]; the
codes of IN_PRODUCTION and MAILED are the sandbox's choice [U]: read the name, not the code."""
AWAITING_PRODUCTION = (4, "AWAITING_PRODUCTION")
IN_PRODUCTION = (5, "IN_PRODUCTION")
MAILED = (6, "MAILED")
AFTER_SUBMIT = (AWAITING_PRODUCTION, IN_PRODUCTION, MAILED)


@dataclass
class SandboxConfig:
    """Switches of a sandbox: account, latency, faults, clock speed, list processing, money.

    ``fault`` (one of FAULTS) hits every ``fault_every``-th request of the call named by
    ``fault_on`` (one of CALLS; POST /jobs unless said), counting that call's requests from 1.
    ``seconds_per_state``: a submitted job spends this long in each of AWAITING_PRODUCTION and
    IN_PRODUCTION, then is MAILED (0: mailed at once); scans come at the same pace after that.
    ``address_list_polls``: how many ``GET /addressLists/{id}`` a new list needs to be ready
    (or in error); a very large number keeps it processing for ever.
    Raises ValueError for an unknown fault or call, or a number out of range.
    """

    username: str = USERNAME
    password: str = PASSWORD
    latency: float = 0.0
    fault: str | None = None
    fault_every: int = 1
    fault_on: str = "create"
    fault_seconds: float = 5.0
    seconds_per_state: float = 30.0
    address_list_polls: int = 2
    credit: Decimal = Decimal("1000.00")
    tax_rate: Decimal = Decimal("0")
    catalog: Catalog = field(default_factory=default_catalog)

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; choose from {', '.join(FAULTS)}")
        if self.fault_on not in CALLS:
            raise ValueError(f"unknown call {self.fault_on!r}; choose from {', '.join(CALLS)}")
        if self.fault_every < 1:
            raise ValueError("fault_every must be at least 1")
        if self.seconds_per_state < 0:
            raise ValueError("seconds_per_state must not be negative")
        if self.address_list_polls < 1:
            raise ValueError("address_list_polls must be at least 1")


class ManualClock:
    """A clock that moves only when told: tests age jobs with ``advance`` instead of sleeping."""

    def __init__(self, start: float = 1_796_000_000.0) -> None:  # 2026-11-30 UTC
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@dataclass
class Document:
    id: int
    name: str
    document_class: str
    format: str = "PDF"
    pages: int = 1


@dataclass
class AddressList:
    """An address list: ``final`` is where processing ends (3 ready, 9 error), ``polls`` how
    many times it was read."""

    id: int
    name: str
    count: int
    international: bool = False
    final: tuple[int, str] = (3, "CASS Standardized")
    polls: int = 0
    needed: int = 0  # polls needed to reach ``final``; 0: there already

    def status(self) -> tuple[int, str]:
        if self.polls >= self.needed:
            return self.final
        return (1, "Mapped") if self.polls else (0, "Uploaded")

    @property
    def ready(self) -> bool:
        return self.status()[0] == 3


@dataclass
class Job:
    id: int
    params: dict[str, str]
    created: dt.datetime  # UTC, naive, to the second
    state: tuple[int, str] = EDITING
    submitted_at: float | None = None  # the sandbox clock's reading at submit
    billing_type: str = ""
    charged: Decimal = Decimal("0")


class SandboxState:
    """Everything the sandbox knows; every access holds the lock.

    Counters for tests: ``requests[call]`` every request per call name (CALLS), before
    authentication; ``create_requests`` the same for POST /jobs; ``submits[job_id]`` every
    POST /jobs/{id}/submit of a known job, whatever the answer (a client that resends after a
    lost answer counts 2); ``uploads[documentName]`` and ``address_lists[addressListName]``
    the documents and lists made under each name; ``proofs`` proof id -> job id.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time, credit: Decimal) -> None:
        self.lock = threading.Lock()
        self.clock = clock
        self.documents: dict[int, Document] = {
            1001: Document(1001, "Welcome letter", "Letter 8.5 x 11"),
            1002: Document(1002, "Spring postcard", "Postcard 4.25 x 6"),
            1003: Document(1003, "Certified notice", "Certified Letter 8.5 x 11"),
        }
        self.lists: dict[int, AddressList] = {
            2001: AddressList(2001, "US customers", 120),
            2002: AddressList(2002, "Overseas customers", 35, international=True),
            2003: AddressList(2003, "Board members", 9),
        }
        self.projects: set[int] = {3001}
        self.jobs: dict[int, Job] = {}
        self.proofs: dict[int, int] = {}
        self.credit = credit
        self.requests: Counter[str] = Counter()
        self.create_requests = 0
        self.submits: Counter[int] = Counter()
        self.uploads: Counter[str] = Counter()
        self.address_lists: Counter[str] = Counter()
        self.connections = 0  # TCP connections accepted: keep-alive keeps this small
        self.password_revoked = False
        self._next_id = 245985

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def now(self) -> dt.datetime:
        """The sandbox clock as a naive UTC datetime."""
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC).replace(tzinfo=None)


def job_state(job: Job, now: float, seconds_per_state: float) -> tuple[int, str]:
    """Where a job is at ``now``: unchanged until submitted, then one step per period."""
    if job.submitted_at is None:
        return job.state
    if seconds_per_state <= 0:
        return MAILED
    steps = int((now - job.submitted_at) // seconds_per_state)
    return AFTER_SUBMIT[max(0, min(steps, len(AFTER_SUBMIT) - 1))]


def mailed_at(job: Job, seconds_per_state: float) -> float | None:
    """The clock reading at which a submitted job is MAILED, or None if never submitted."""
    if job.submitted_at is None:
        return None
    return job.submitted_at + seconds_per_state * (len(AFTER_SUBMIT) - 1)
