"""Before Create Jobs: upload what the Jobs rows name and have no id for yet.

A Jobs row may name its document (``Document``, a name on the Documents sheet) and its
address list (``Address List``, a name on the Address Lists sheet) instead of giving
``documentId``/``addressId``. ``prepare`` uploads each named document and list that has
no id yet (once, however many rows name it), writes the ids into the rows, and holds back,
with the reason in its Description, every row whose document or list has no id. A row
that gives an id uses it, whatever name it also shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from xl_mailer.app.addresses import DEFAULT_WAIT, ListMaker, ListWait, WaitProgress, create_lists
from xl_mailer.app.documents import DocumentUploader, Named, Save, upload_documents
from xl_mailer.app.ports import BookPort, write_results
from xl_mailer.core.addresses import ADDRESS_LISTS_SHEET
from xl_mailer.core.blocks import contiguous_blocks
from xl_mailer.core.cells import is_blank
from xl_mailer.core.documents import DOCUMENTS_SHEET, name_key
from xl_mailer.core.rows import RowState, invalid, row_state
from xl_mailer.core.sheet import find_layout

DOCUMENT_COLUMN = "Document"
LIST_COLUMN = "Address List"


class Uploads(DocumentUploader, ListMaker, Protocol):
    """Both kinds of upload (``click2mail.mailing.Mailing``)."""


@dataclass
class Prepared:
    """What ``prepare`` did: the uploads, the rows given ids, the rows held back."""

    documents: Named = field(default_factory=Named)
    lists: Named = field(default_factory=Named)
    resolved: list[int] = field(default_factory=list)
    held: dict[int, str] = field(default_factory=dict)
    data_rows: range = range(0)

    def rows(self, selected: Sequence[int] | None) -> Sequence[int] | None:
        """The rows a run is to plan: ``selected`` (None: all) less those held back."""
        if not self.held:
            return selected
        base = selected if selected is not None else self.data_rows
        return [row for row in base if row not in self.held]

    def line(self) -> str | None:
        """What was uploaded and held back, in a sentence; None when nothing was named."""
        if not self.resolved and not self.held:
            return None
        parts = []
        made = self.documents.counts()[0]
        lists = self.lists.counts()[0]
        if made or lists:
            parts.append(f"uploaded {made} document(s) and {lists} address list(s)")
        if self.resolved:
            parts.append(f"{len(self.resolved)} row(s) given their ids")
        if self.held:
            parts.append(f"{len(self.held)} row(s) not sent: their document or list has no id")
        return "Before creating jobs: " + ", ".join(parts) + "."


def prepare(
    port: BookPort,
    uploads: Uploads,
    *,
    rows: Sequence[int] | None = None,
    wait: ListWait = DEFAULT_WAIT,
    progress: WaitProgress | None = None,
    save: Save | None = None,
) -> Prepared:
    """Upload the documents and lists the open rows (``rows``: only those) name and lack an
    id for, then write the ids into the rows or hold the rows back. ``save`` is called
    before and after each upload (``upload_documents``, ``create_lists``). Raises
    SheetLayoutError, nothing sent, when the Jobs sheet or a sheet named has no table."""
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    header = values[layout.header_row]
    named = {str(v).strip().casefold(): c for c, v in enumerate(header) if isinstance(v, str) and v}
    doc_col, list_col = named.get(DOCUMENT_COLUMN.casefold()), named.get(LIST_COLUMN.casefold())
    done = Prepared(data_rows=range(layout.first_data_row + 1, len(values) + 1))
    if doc_col is None and list_col is None:
        return done
    wanted = set(rows) if rows is not None else None
    needs: dict[int, list[tuple[str, str, str]]] = {}  # row -> (param, kind, name)
    pairs = (("documentId", doc_col, "document"), ("addressId", list_col, "list"))
    for index in range(layout.first_data_row, len(values)):
        line, number = values[index], index + 1
        if wanted is not None and number not in wanted:
            continue
        if row_state(line, layout) is not RowState.OPEN:
            continue
        for param, column, kind in pairs:
            name = line[column] if column is not None and column < len(line) else None
            given = layout.params[param]
            if is_blank(name) or not is_blank(line[given] if given < len(line) else None):
                continue
            needs.setdefault(number, []).append((param, kind, str(name).strip()))
    if not needs:
        return done
    docs = {name_key(n) for ns in needs.values() for _, k, n in ns if k == "document"}
    lists = {name_key(n) for ns in needs.values() for _, k, n in ns if k == "list"}
    # a sheet the rows need and the workbook lacks is added, with its header row, to fill in
    if docs:
        done.documents = upload_documents(port, uploads, only=docs, create=True, save=save)
    if lists:
        done.lists = create_lists(
            port, uploads, only=lists, create=True, wait=wait, progress=progress, save=save
        )
    ids: dict[str, list[tuple[int, list[object]]]] = {"documentId": [], "addressId": []}
    for number, row_needs in needs.items():
        reasons: list[str] = []
        found: list[tuple[str, int]] = []
        for param, kind, name in row_needs:
            key = name_key(name)
            if kind == "document":
                known = done.documents
                why = known.why_not(key, name, DOCUMENTS_SHEET, "Document Name")
            else:
                known = done.lists
                why = known.why_not(key, name, ADDRESS_LISTS_SHEET, "List")
            if why is None:
                found.append((param, known.ids[key]))
            else:
                reasons.append(why)
        if reasons:
            done.held[number] = "; ".join(reasons)
            continue
        for param, made in found:
            ids[param].append((number, [made]))
        done.resolved.append(number)
    for param, cells in ids.items():
        for first, block in contiguous_blocks(cells):
            port.write_block(first, layout.params[param], block)
    write_results(port, layout, [(row, invalid([why])) for row, why in sorted(done.held.items())])
    port.checkpoint()
    return done
