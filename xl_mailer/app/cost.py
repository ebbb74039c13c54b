"""Get Cost: what each created job not yet submitted will charge, read from Click2Mail into
the row's ``Cost`` column, with the total in the summary.

``Cost`` holds what a spend limit counts: the job's cost plus its tax (``JobCost.total``),
as a number. A row whose cost cannot be read gets an empty ``Cost`` and the reason in its
``Description`` (its Job ID, HTTP Status and Return Code still say what creating it did).
The per-job reads go through the caller's client, so they share its keep-alive pool, 429
pause and concurrency. The money columns are found by their header names (``MONEY``) and
placed right of the data in use when the sheet lacks them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol, TypeVar

from xl_mailer.app.ports import SheetPort
from xl_mailer.click2mail.readings import JobCost, JobState
from xl_mailer.core.blocks import contiguous_blocks
from xl_mailer.core.calls import UNKNOWN_PREFIX, CallResult
from xl_mailer.core.cells import is_blank, job_number
from xl_mailer.core.errors import ApiError, AuthenticationError, TransportError
from xl_mailer.core.tables import Table, TableSpec, find_table

JOB_ID, DESCRIPTION = "Job ID", "Description"
COST, SUBMIT, SUBMITTED, SUBMIT_RESULT = "Cost", "Submit", "Submitted", "Submit Result"
MONEY = TableSpec(
    required=(JOB_ID,),
    optional=(DESCRIPTION, SUBMIT),
    written=(COST, SUBMITTED, SUBMIT_RESULT),
)
"""The Jobs table's columns the money use cases read and write."""
COST_NOT_READ = "Not read:"
CURRENCY_FORMAT = '"$"#,##0.00'
"""The number format adapters give ``Cost`` cells, when they can."""

T = TypeVar("T")
R = TypeVar("R")


class CostCalls(Protocol):
    """What reading costs needs from ``click2mail.mailing.Mailing``."""

    def job_cost(self, job_id: int) -> JobCost: ...


class MoneyCalls(CostCalls, Protocol):
    """What submitting needs from ``click2mail.mailing.Mailing``."""

    def job_state(self, job_id: int) -> JobState: ...

    def submit_job(self, job_id: int, billing_type: str) -> CallResult: ...


def dollars(amount: Decimal) -> str:
    """``$1,234.50``."""
    return f"${amount:,.2f}"


def utc_now() -> dt.datetime:
    """Now in UTC, without a zone (as cells hold it; the Sent (UTC) column does the same)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class JobRow:
    """One Jobs row as the money use cases read it."""

    row: int  # 1-based sheet row
    job_id: int | None
    job_cell: object
    submit: object
    submitted: object
    result: object  # the Submit Result cell
    description: object

    @property
    def is_submitted(self) -> bool:
        return not is_blank(self.submitted)

    @property
    def unknown(self) -> bool:
        """An earlier submit whose outcome is not known yet."""
        return isinstance(self.result, str) and self.result.startswith(UNKNOWN_PREFIX)


def read_jobs(port: SheetPort) -> tuple[Table, list[JobRow]]:
    """The money columns and every data row of the sheet. Raises SheetLayoutError."""
    values = port.values()
    table = find_table(values, MONEY, sheet=port.name)
    rows = [
        JobRow(
            row,
            job_number(table.cell(line, JOB_ID)),
            table.cell(line, JOB_ID),
            table.cell(line, SUBMIT),
            table.cell(line, SUBMITTED),
            table.cell(line, SUBMIT_RESULT),
            table.cell(line, DESCRIPTION),
        )
        for row, line in table.data_rows(values)
    ]
    return table, rows


class Cells:
    """Cells to write, by row and column name, written column by column in blocks (the
    headers a sheet lacks first, all of them). The Description column, when the table has
    none, is not written."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.cells: dict[str, dict[int, object]] = {}

    def set(self, row: int, name: str, value: object) -> None:
        if name in self.table.columns:
            self.cells.setdefault(name, {})[row] = value

    def write(self, port: SheetPort) -> None:
        """Write the cells set (with every header the sheet lacks, once: the columns keep
        the places they were given), then checkpoint."""
        if any(self.cells.values()) and self.table.added:
            placed = [(self.table.columns[name], [name]) for name in self.table.added]
            for first, names in contiguous_blocks(placed):
                port.write_block(self.table.header_row + 1, first, [[n[0] for n in names]])
            self.table = replace(self.table, added=())
        for name, by_row in self.cells.items():
            column = self.table.columns[name]
            for first, block in contiguous_blocks([(r, [v]) for r, v in by_row.items()]):
                port.write_block(first, column, block)
        self.cells.clear()
        port.checkpoint()


def in_pool(call: Callable[[T], R], items: Sequence[T], concurrency: int) -> list[R]:
    """``call`` on each item, ``concurrency`` at a time, results in the items' order."""
    if len(items) <= 1 or concurrency <= 1:
        return [call(item) for item in items]
    pool = ThreadPoolExecutor(max_workers=min(concurrency, len(items)))
    try:
        futures = [pool.submit(call, item) for item in items]
        return [future.result() for future in futures]
    except BaseException:  # Ctrl-C, wherever it lands: the calls under way finish, no more start
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def read_cost(calls: CostCalls, job_id: int) -> JobCost | str:
    """The job's cost, or why it could not be read. Raises AuthenticationError."""
    try:
        return calls.job_cost(job_id)
    except AuthenticationError:
        raise
    except (ApiError, TransportError) as exc:
        return str(exc)


def write_cost(cells: Cells, row: JobRow, cost: JobCost | str, *, now: dt.datetime) -> None:
    """The Cost cell: a number, or why it could not be read (text, which a SUM skips). The
    row's Description stays as Create Jobs wrote it."""
    if isinstance(cost, str):
        cells.set(row.row, COST, f"{COST_NOT_READ} {cost} (checked {now:%Y-%m-%d %H:%M} UTC)")
        return
    cells.set(row.row, COST, float(cost.total))


@dataclass(frozen=True)
class Costed:
    """What Get Cost did: the rows read (with their cost), the rows that could not be, and
    the Cost column (0-based) for an adapter's currency format."""

    read: list[tuple[int, Decimal]]
    failed: list[tuple[int, str]]
    column: int

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.read), Decimal(0))

    def line(self) -> str:
        if not self.read and not self.failed:
            return "No job to cost: no row has a Job ID and an empty Submitted cell."
        text = f"Cost of {len(self.read)} job(s) not yet submitted: {dollars(self.total)} in all"
        if self.failed:
            rows = ", ".join(str(row) for row, _ in self.failed[:20])
            text += f"; {len(self.failed)} could not be read (rows {rows}: see their Cost cell)"
        return text + "."


def get_costs(
    port: SheetPort,
    calls: CostCalls,
    *,
    concurrency: int = 4,
    now: Callable[[], dt.datetime] = utc_now,
) -> Costed:
    """Read the cost of every row's job that is not yet submitted (a Job ID, an empty
    Submitted cell) and write it into Cost. Raises SheetLayoutError with nothing read, and
    AuthenticationError with nothing written."""
    table, rows = read_jobs(port)
    wanted = [row for row in rows if row.job_id is not None and not row.is_submitted]
    costs = in_pool(lambda row: read_cost(calls, row.job_id or 0), wanted, concurrency)
    cells = Cells(table)
    when = now()
    for row, cost in zip(wanted, costs, strict=True):
        write_cost(cells, row, cost, now=when)
    cells.write(port)
    return Costed(
        [(r.row, c.total) for r, c in zip(wanted, costs, strict=True) if not isinstance(c, str)],
        [(r.row, c) for r, c in zip(wanted, costs, strict=True) if isinstance(c, str)],
        table.columns[COST],
    )


def rows_named(rows: Iterable[int], limit: int = 20) -> str:
    """``5, 7, 9`` (and how many more)."""
    shown = list(rows)
    text = ", ".join(str(r) for r in shown[:limit])
    return text + (f" and {len(shown) - limit} more" if len(shown) > limit else "")
