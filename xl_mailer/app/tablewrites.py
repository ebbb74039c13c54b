"""Writing into a ``core.tables`` table through a port: its missing headers, then a row's
cells by column name, adjacent columns in one block."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xl_mailer.app.ports import SheetPort
from xl_mailer.core.blocks import contiguous_blocks
from xl_mailer.core.calls import CallOutcome, CallResult
from xl_mailer.core.tables import Table, TableSpec


def write_header(port: SheetPort, table: Table) -> None:
    """The header names of the written columns the sheet lacks, where the table placed them."""
    placed = sorted((table.columns[name], [name]) for name in table.added)
    for first, names in contiguous_blocks(placed):
        port.write_block(table.header_row + 1, first, [[line[0] for line in names]])


def write_cells(port: SheetPort, table: Table, row: int, cells: Mapping[str, object]) -> None:
    """Write ``cells`` (by column name) into sheet row ``row`` (1-based)."""
    placed = sorted((table.columns[name], [value]) for name, value in cells.items())
    for first, values in contiguous_blocks(placed):
        port.write_block(row, first, [[line[0] for line in values]])


def new_table(port: SheetPort, spec: TableSpec, first: Sequence[str] = ()) -> None:
    """Give an empty sheet the header row of ``spec`` (required, optional, then written)."""
    names = [*spec.required, *spec.optional, *spec.written]
    ordered = [*first, *(n for n in names if n not in first)]
    port.write_block(1, 0, [list(ordered)])


def result_cells(id_column: str, result: CallResult | None, description: str) -> dict[str, object]:
    """The cells an upload writes beside its row: the id (when made), the answer's HTTP
    status and return code (none when nothing was sent), and ``description``."""
    made = result is not None and result.outcome is CallOutcome.CREATED
    return {
        id_column: result.id if made and result is not None else None,
        "HTTP Status": result.http_status if result is not None else None,
        "Return Code": result.code if result is not None else None,
        "Description": description,
    }
