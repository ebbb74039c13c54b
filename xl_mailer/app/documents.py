"""Upload the Documents sheet's documents: every row without a Document ID (or only those
a Jobs run needs), each checked before it is sent, its id and answer written beside it.

A document whose upload may have reached Click2Mail without an answer (UNKNOWN) is never
uploaded again by xl-mailer: its row says so, and the person looks for it in Click2Mail's
website (Documents), types its id into Document ID, or clears the row's Description to
upload it again on purpose.

Before each upload is sent, its row is marked UNKNOWN with the time and ``save`` is called
(the command line saves the file), which keeps the answer before it too; after the last
answer ``save`` is called once more. A run killed at any point leaves each row either without
a mark (never sent), marked UNKNOWN (never sent again), or with its answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from xl_mailer.app.ports import BookPort, SheetPort
from xl_mailer.app.tablewrites import new_table, result_cells, write_cells, write_header
from xl_mailer.core.calls import UNKNOWN_PREFIX, CallOutcome, CallResult
from xl_mailer.core.documents import (
    DOCUMENTS,
    DOCUMENTS_SHEET,
    DocumentPlan,
    FileFacts,
    file_problem,
    plan_documents,
)
from xl_mailer.core.errors import AuthenticationError
from xl_mailer.core.tables import Table, find_table

UNKNOWN_THEN = (
    "Not sent again: its last upload may have reached Click2Mail. Look for it in"
    " Click2Mail's Documents and type its id into Document ID, or clear this Description to"
    " upload it again"
)
NOT_SIGNED_IN = "Not sent: Click2Mail refused the user name or password (nothing was made)"

Save = Callable[[], object]
"""Makes what was written durable now (the command line: the file saved, forced); None
where another saves the book (Excel)."""


def sent_mark(what: str, then: str, now: dt.datetime | None = None) -> str:
    """The Description of a row whose request is about to leave: UNKNOWN until answered."""
    sent = now or dt.datetime.now(dt.UTC)
    return f"{UNKNOWN_PREFIX} {what} sent {sent:%Y-%m-%d %H:%M:%S} UTC; no answer yet. {then}."


STOPPED = "Not sent: stopped before it was sent (nothing was sent); run again to send it"


def reason(problem: str) -> str:
    """A row's Description as the reason a Jobs row naming it gives (which starts with its
    own "Not sent: ")."""
    return problem.removeprefix("Not sent: ")


def save_now(save: Save | None) -> None:
    """Call ``save`` when there is one."""
    if save is not None:
        save()


def save_mark(save: Save | None, unmark: Callable[[str], object]) -> None:
    """Save a row's UNKNOWN mark before its request leaves. When the save is stopped (Ctrl-C,
    a full disk) nothing was sent: ``unmark`` writes ``STOPPED`` over the mark, so the row is
    not held back, and the error goes on."""
    try:
        save_now(save)
    except BaseException:
        unmark(STOPPED)
        raise


class DocumentUploader(Protocol):
    """What uploading needs from Click2Mail (``click2mail.mailing.Mailing``)."""

    def upload_document(
        self, name: str, document_class: str, document_format: str, path: Path | str
    ) -> CallResult: ...


@dataclass
class Named:
    """What the rows of a sheet of named things (documents, lists) came to, by name
    (``core.documents.name_key``): an id to use, or why there is none."""

    ids: dict[str, int] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    sent: list[tuple[int, CallResult]] = field(default_factory=list)  # (row, answer)
    not_sent: int = 0  # rows refused before sending, or awaiting a check
    added_sheet: bool = False
    has_sheet: bool = True

    def why_not(self, key: str, name: str, sheet: str, column: str) -> str | None:
        """Why a Jobs row naming ``name`` has no id, or None when it has one."""
        if key in self.ids:
            return None
        if key in self.refused:
            return self.refused[key]
        if not self.has_sheet:
            return f"the workbook has no {sheet} sheet"
        if self.added_sheet:
            return (
                f"the workbook had no {sheet} sheet: one was added just now; give {name!r} a"
                f" row there ({column}) and run again"
            )
        return f"no row of the {sheet} sheet has {column} {name!r}"

    def counts(self) -> tuple[int, int, int]:
        """(made, failed, unknown) of the calls sent."""
        made = sum(1 for _, r in self.sent if r.outcome is CallOutcome.CREATED)
        unknown = sum(1 for _, r in self.sent if r.outcome is CallOutcome.UNKNOWN)
        return made, len(self.sent) - made - unknown, unknown

    def parts(self, *first: str, again: str) -> list[str]:
        """``first``, then what was refused, UNKNOWN (``again``: the verb of sending it again)
        and not sent, for a one-sentence summary."""
        _, failed, unknown = self.counts()
        parts = list(first)
        if failed:
            parts.append(f"{failed} refused by Click2Mail")
        if unknown:
            parts.append(f"{unknown} UNKNOWN (look in Click2Mail before {again} again)")
        if self.not_sent:
            parts.append(f"{self.not_sent} not sent (see their Description)")
        return parts


def file_facts(path: Path) -> FileFacts:
    """What is at ``path``: a file's size and first bytes, a folder, nothing, or why not."""
    try:
        if not path.exists():
            return FileFacts(False)
        if path.is_dir():
            return FileFacts(True, is_folder=True)
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(1024)
    except (OSError, ValueError) as exc:
        return FileFacts(True, error=getattr(exc, "strerror", None) or str(exc))
    return FileFacts(True, size=size, head=head)


def resolve(file: str, folder: Path | None) -> Path | str:
    """The file a row names: absolute, or relative to the workbook's folder; text saying why
    not for a relative path in a book never saved."""
    path = Path(file).expanduser()
    if path.is_absolute():
        return path
    if folder is None:
        return (
            f"Not sent: File {file!r} is relative to the workbook's folder, and the workbook"
            " has not been saved: save it, or give the file's full path"
        )
    return folder / path


def upload_documents(
    book: BookPort,
    uploader: DocumentUploader,
    *,
    only: Collection[str] | None = None,
    create: bool = False,
    save: Save | None = None,
) -> Named:
    """Upload each Documents row without a Document ID (with ``only``: those whose names, by
    ``name_key``, are in it). ``create`` adds the sheet, with its header row, to a book that
    has none. ``save`` is called after each row's UNKNOWN mark, before its upload leaves (so
    it also keeps the answer before it), and after the last answer: one save per document.
    A run killed between an answer and the next save leaves that row UNKNOWN: never sent
    again, its id looked up by a person. Raises SheetLayoutError, nothing sent, when the sheet
    has no table."""
    done = Named()
    sheet = book.other(DOCUMENTS_SHEET, create=create)
    if sheet is None:
        done.has_sheet = False
        return done
    values = sheet.values()
    if not any(any(v not in (None, "") for v in line) for line in values):
        if create:
            new_table(sheet, DOCUMENTS)
            sheet.checkpoint()
            done.added_sheet = True
        return done
    table = find_table(values, DOCUMENTS, sheet=sheet.name)
    header_written = not table.added
    unsaved = False  # an answer written since the last save: the next mark's save keeps it
    for plan in plan_documents(values, table):
        if plan.document_id is not None:
            done.ids[plan.key] = plan.document_id
            continue
        if only is not None and plan.key not in only:
            continue
        if plan.waiting is not None:
            done.refused[plan.key] = f"document {plan.name!r}: {UNKNOWN_THEN}"
            done.not_sent += 1
            continue
        path = _checked(plan, book.folder())
        if not header_written:
            write_header(sheet, table)
            header_written = True
        if isinstance(path, str):
            problem = path
            write_cells(sheet, table, plan.row, result_cells("Document ID", None, problem))
            done.not_sent += 1
            if plan.key:
                done.refused.setdefault(plan.key, f"document {plan.name!r}: {reason(problem)}")
            continue
        mark = sent_mark("upload", UNKNOWN_THEN)
        write_cells(sheet, table, plan.row, result_cells("Document ID", None, mark))
        save_mark(save, partial(_describe, sheet, table, plan.row))
        try:
            result = uploader.upload_document(
                plan.name, plan.document_class, plan.document_format, path
            )
        except AuthenticationError:  # a 401: refused, nothing made
            write_cells(sheet, table, plan.row, result_cells("Document ID", None, NOT_SIGNED_IN))
            save_now(save)
            raise
        write_cells(sheet, table, plan.row, result_cells("Document ID", result, result.description))
        done.sent.append((plan.row, result))
        if result.outcome is CallOutcome.CREATED and result.id is not None:
            done.ids[plan.key] = result.id
        else:
            done.refused[plan.key] = (
                f"document {plan.name!r} was not uploaded: {result.description}"
            )
        unsaved = True
        sheet.checkpoint()
    if unsaved:
        save_now(save)
    return done


def _checked(plan: DocumentPlan, folder: Path | None) -> Path | str:
    """The file to upload for ``plan``, or why it is not sent."""
    if plan.problem is not None:
        return plan.problem
    path = resolve(plan.file, folder)
    if isinstance(path, str):
        return path
    problem = file_problem(file_facts(path), plan.document_format, str(path))
    return path if problem is None else problem


def _describe(sheet: SheetPort, table: Table, row: int, said: str) -> None:
    write_cells(sheet, table, row, result_cells("Document ID", None, said))


def documents_line(done: Named) -> str:
    """What an upload of documents did, in one sentence."""
    made = done.counts()[0]
    if done.added_sheet:
        return (
            f"Added the {DOCUMENTS_SHEET} sheet: fill in one row per document (Document Name,"
            " File, documentClass) and upload again."
        )
    if not done.has_sheet:
        return f"No {DOCUMENTS_SHEET} sheet: no document to upload."
    if not done.sent and not done.not_sent:
        return "Documents: nothing to upload (every row has a Document ID)."
    return "Documents: " + ", ".join(done.parts(f"{made} uploaded", again="uploading")) + "."
