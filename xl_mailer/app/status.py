"""Look up each job's current state at Click2Mail and show it in its row: the state in words
in a ``Job Status`` column, and for a mailed job the USPS scans in a ``Tracking`` column.
The row's Description is left alone: it says what creating the job answered, beside that
answer's HTTP Status and Return Code."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from xl_mailer.app.ports import SheetPort
from xl_mailer.click2mail.readings import JobState, Tracking
from xl_mailer.core.blocks import contiguous_blocks
from xl_mailer.core.cells import is_blank
from xl_mailer.core.errors import ApiError, AuthenticationError
from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.core.sheet import find_layout
from xl_mailer.core.tables import Table, TableSpec, find_table

JOB_STATUS, TRACKING = "Job Status", "Tracking"
STATUS_COLUMNS = TableSpec(required=REQUIRED_PARAMS, written=(JOB_STATUS, TRACKING))
"""The columns Refresh Job Status writes beside the Jobs table (placed when missing)."""

STATE_WORDS = {
    "EDITING": "Editing",
    "PENDING_PROOF_ACCEPTANCE": "Pending Proof Acceptance",
    "PROOF_ACCEPTED": "Proof Accepted",
    "ORDER_SUBMITTED": "Order Submitted",
    "AWAITING_PRODUCTION": "Awaiting Production",
    "IN_PRODUCTION": "In Production",
    "MAILED": "Mailed",
    "ERROR": "Error",
}
"""Click2Mail's state names (API.md: EDITING, ... MAILED [C]) in the words a row shows."""
MAILED = STATE_WORDS["MAILED"]
NOT_READ = "Not read"


def state_words(state: JobState) -> str:
    """A job's state in words ("AWAITING_PRODUCTION" -> "Awaiting Production"): the one
    place where a state name becomes what a row shows. A name not in ``STATE_WORDS`` is
    shown in title case; a state without a name by its code."""
    name = state.name.strip()
    key = re.sub(r"[\s_-]+", "_", name).upper()
    if key in STATE_WORDS:
        return STATE_WORDS[key]
    if name:
        return name.replace("_", " ").title() if name.isupper() else name
    return f"State code {state.code}" if state.code is not None else "No state given"


class JobReader(Protocol):
    """The calls Refresh Job Status makes (``click2mail.mailing.Mailing`` has them)."""

    def job_state(self, job_id: int) -> JobState: ...

    def job_tracking(self, job_id: int, tracking_type: str = "IMB") -> Tracking: ...


@dataclass(frozen=True)
class JobStatus:
    """What one row shows: the state in words, and the tracking line of a mailed job."""

    row: int  # 1-based sheet row
    job_id: int
    words: str
    tracking: str | None = None
    problem: str | None = None  # Click2Mail's answer could not be read

    def shown(self, checked: str) -> str:
        """The row's Job Status: the state in words ("Mailed"), or why it could not be read
        and when that was tried ("Not read: Job ID not found (checked 2026-12-02 10:00)")."""
        if self.problem is None:
            return self.words
        return f"{NOT_READ}: {self.problem} (checked {checked})"


@dataclass(frozen=True)
class StatusRun:
    """What Refresh Job Status did, row by row."""

    jobs: list[JobStatus]

    @property
    def rows(self) -> list[int]:
        return [job.row for job in self.jobs]

    def line(self) -> str:
        counts: dict[str, int] = {}
        for job in self.jobs:
            counts[job.words] = counts.get(job.words, 0) + 1
        if not self.jobs:
            return "No row has a Job ID: nothing to refresh."
        said = ", ".join(f"{n} {words}" for words, n in sorted(counts.items()))
        return f"Refreshed the status of {len(self.jobs)} job(s): {said}."


def job_rows(values: Sequence[Sequence[object]], job_col: int, first: int) -> list[tuple[int, int]]:
    """(1-based sheet row, job id) of every row below the header with a numeric Job ID."""
    found: list[tuple[int, int]] = []
    for index in range(first, len(values)):
        row = values[index]
        job = row[job_col] if job_col < len(row) else None
        if is_blank(job) or isinstance(job, bool) or not isinstance(job, int | float):
            continue
        found.append((index + 1, int(job)))
    return found


def write_added_headers(port: SheetPort, table: Table) -> None:
    """Write the header of each column ``table`` placed but the sheet lacks."""
    placed = sorted((table.columns[name], name) for name in table.added)
    for first, names in contiguous_blocks([(column, [name]) for column, name in placed]):
        port.write_block(table.header_row + 1, first, [[n[0] for n in names]])


def _look_up(reader: JobReader, row: int, job_id: int) -> JobStatus:
    try:
        words = state_words(reader.job_state(job_id))
        tracking = reader.job_tracking(job_id, "IMB").text if words == MAILED else None
    except AuthenticationError:
        raise
    except ApiError as exc:
        return JobStatus(row, job_id, NOT_READ, problem=str(exc))
    return JobStatus(row, job_id, words, tracking)


def refresh_status(
    port: SheetPort,
    reader: JobReader,
    *,
    concurrency: int = 4,
    now: Callable[[], dt.datetime] = dt.datetime.now,
) -> StatusRun:
    """Ask for the state of every row's job (``GET /jobs/{id}``, and the IMB tracking of a
    mailed one), ``concurrency`` at a time, and write each row's ``Job Status`` and
    ``Tracking`` (never its Description). Rows without a numeric Job ID are left alone. A
    job whose answer cannot be read says why, and when, in its Job Status. Raises
    AuthenticationError and TransportError (nothing written), SheetLayoutError."""
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    table = find_table(values, STATUS_COLUMNS, sheet=port.name)
    jobs = job_rows(values, layout.results["Job ID"], layout.first_data_row)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        done = list(pool.map(lambda job: _look_up(reader, *job), jobs))
    if not done:
        return StatusRun([])
    checked = f"{now():%Y-%m-%d %H:%M}"
    write_added_headers(port, table)
    status_col, tracking_col = table.columns[JOB_STATUS], table.columns[TRACKING]

    def tracking(job: JobStatus) -> object:
        """The row's Tracking: the scans read now, or, when its state could not be read,
        the scans it showed before (a failed read keeps what was known)."""
        if job.problem is None:
            return job.tracking
        line = values[job.row - 1]
        return line[tracking_col] if tracking_col < len(line) else None

    cells: dict[int, list[tuple[int, list[object]]]] = {}
    if tracking_col == status_col + 1:  # side by side, as the template has them: one block
        cells[status_col] = [(j.row, [j.shown(checked), tracking(j)]) for j in done]
    else:
        cells[status_col] = [(j.row, [j.shown(checked)]) for j in done]
        cells[tracking_col] = [(j.row, [tracking(j)]) for j in done]
    for column, updates in cells.items():
        for first, block in contiguous_blocks(updates):
            port.write_block(first, column, block)
    port.checkpoint()
    return StatusRun(done)
