"""The Documents sheet: one row per document to upload, checked before anything is sent.

A row names its document (``Document Name``), its file (``File``: absolute, or relative to
the workbook's folder), its ``documentClass`` and, optionally, its ``documentFormat`` (else
read from the file's extension). xl-mailer writes ``Document ID``, ``HTTP Status``,
``Return Code`` and ``Description`` beside it. Pure: the file's facts are read by the use
case and judged here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from xl_mailer.core.calls import UNKNOWN_PREFIX
from xl_mailer.core.cells import CellError, is_blank, job_number, to_param
from xl_mailer.core.sheet import Rows
from xl_mailer.core.tables import Table, TableSpec

DOCUMENTS_SHEET = "Documents"
DOCUMENTS = TableSpec(
    required=("Document Name", "File", "documentClass"),
    optional=("documentFormat",),
    written=("Document ID", "HTTP Status", "Return Code", "Description"),
)

FORMATS: Mapping[str, str] = {
    ".pdf": "PDF",
    ".doc": "DOC",
    ".docx": "DOCX",
    ".ppt": "PPT",
    ".pptx": "PPTX",
    ".rtf": "RTF",
    ".odt": "ODT",
    ".ps": "PS",
}
"""``documentFormat`` by file extension: the formats Click2Mail converts [U] (API.md names only
PDF, "e.g. PDF"; Click2Mail's pages say it takes office documents and that PDF is best). The
one place to correct when Click2Mail refuses one of them."""

MAX_BYTES = 100 * 1_048_576
"""Our own limit on a document's size (100 MB): Click2Mail publishes none [U], and a larger
file is almost always a scan at the wrong resolution; it is refused before any upload."""


def name_key(value: object) -> str:
    """The name a document or list is known by: case and spaces do not count, so "April
    Renewal", "april renewal" and "AprilRenewal" are one name."""
    return "".join(str(value).split()).casefold() if not is_blank(value) else ""


def is_unknown(description: object) -> bool:
    """A row whose last call may have made something at Click2Mail."""
    return isinstance(description, str) and description.startswith(UNKNOWN_PREFIX)


@dataclass(frozen=True)
class FileFacts:
    """What the use case found at a document's path (``error``: why it could not look)."""

    exists: bool
    is_folder: bool = False
    size: int = 0
    head: bytes = b""
    error: str | None = None


@dataclass(frozen=True)
class DocumentPlan:
    """One Documents row: uploaded already (``document_id``), to upload, or refused
    (``problem``, its Description) or awaiting a check at Click2Mail (``waiting``)."""

    row: int
    name: str
    file: str
    document_class: str
    document_format: str
    document_id: int | None = None
    problem: str | None = None
    waiting: str | None = None

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def to_upload(self) -> bool:
        return self.document_id is None and self.problem is None and self.waiting is None


def _text(table: Table, line: Sequence[object], name: str) -> tuple[str, str | None]:
    value = table.cell(line, name)
    if is_blank(value):
        return "", None
    try:
        return to_param(name, value).strip(), None
    except CellError as exc:
        return "", str(exc)


def plan_documents(rows: Rows, table: Table) -> list[DocumentPlan]:
    """Every Documents row, checked for what needs no file: a name, a class, a format
    Click2Mail takes, a name no other row has (case and spaces aside)."""
    plans: list[DocumentPlan] = []
    for number, line in table.data_rows(rows):
        problems: list[str] = []
        cells: dict[str, str] = {}
        for name in ("Document Name", "File", "documentClass", "documentFormat"):
            text, problem = _text(table, line, name)
            cells[name] = text
            if problem:
                problems.append(problem)
        made = job_number(table.cell(line, "Document ID"))
        for name in ("Document Name", "File", "documentClass"):
            if not cells[name] and not any(p.startswith(name) for p in problems):
                problems.append(f"{name} is empty")
        fmt = cells["documentFormat"].upper()
        if not fmt and cells["File"]:
            dot = cells["File"].rfind(".")
            extension = cells["File"][dot:].lower() if dot >= 0 else ""
            fmt = FORMATS.get(extension, "")
            if not fmt:
                known = ", ".join(sorted(FORMATS))
                problems.append(
                    f"Click2Mail does not take {extension or 'a file without an extension'}"
                    f" files; use one of {known} (PDF is best)"
                )
        elif fmt and fmt not in FORMATS.values():
            known = ", ".join(sorted(FORMATS.values()))
            problems.append(f"documentFormat {fmt!r} is not one Click2Mail takes ({known})")
        waiting = None
        if made is None and is_unknown(table.cell(line, "Description")):
            waiting = str(table.cell(line, "Description"))
        plans.append(
            DocumentPlan(
                number,
                cells["Document Name"],
                cells["File"],
                cells["documentClass"],
                fmt,
                made,
                "Not sent: " + "; ".join(problems) if problems and made is None else None,
                waiting,
            )
        )
    return refuse_duplicates(plans, what="document")


def refuse_duplicates(plans: list[DocumentPlan], *, what: str) -> list[DocumentPlan]:
    """Rows whose names are one name (case and spaces aside) are refused, each naming the
    others: which of them a Jobs row means cannot be known."""
    rows: dict[str, list[int]] = {}
    for plan in plans:
        if plan.key:
            rows.setdefault(plan.key, []).append(plan.row)
    out: list[DocumentPlan] = []
    for plan in plans:
        others = [r for r in rows.get(plan.key, []) if r != plan.row]
        if others and plan.document_id is None:
            shown = ", ".join(str(r) for r in others)
            problem = (
                f"Not sent: the {what} name {plan.name!r} is also on row {shown} (case and"
                f" spaces aside); give each {what} its own name"
            )
            plan = DocumentPlan(
                plan.row,
                plan.name,
                plan.file,
                plan.document_class,
                plan.document_format,
                problem=problem,
            )
        out.append(plan)
    return out


def file_problem(facts: FileFacts, document_format: str, shown: str) -> str | None:
    """Why the file at ``shown`` cannot be uploaded as ``document_format``, or None."""
    if facts.error is not None:
        return f"Not sent: cannot read {shown}: {facts.error}"
    if not facts.exists:
        return f"Not sent: no file at {shown}"
    if facts.is_folder:
        return f"Not sent: {shown} is a folder, not a file"
    if facts.size == 0:
        return f"Not sent: {shown} is empty (0 bytes)"
    if facts.size > MAX_BYTES:
        return (
            f"Not sent: {shown} is {facts.size / 1_048_576:,.0f} MB; xl-mailer uploads at most"
            f" {MAX_BYTES // 1_048_576} MB (its own limit): make the file smaller (print it to"
            " PDF again at a lower resolution)"
        )
    if document_format == "PDF" and not facts.head.lstrip().startswith(b"%PDF"):
        return f"Not sent: {shown} is not a PDF (it does not start with %PDF), whatever its name"
    return None
