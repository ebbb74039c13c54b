"""Get a proof of each job: ``POST /jobs/{id}/proof``, then its PDF, saved beside the
workbook as ``<workbook name> proofs/<job id>.pdf`` and linked from the row's ``Proof``
column. An answer that is not a PDF is never saved as one: the row says why instead. A
row whose proof is already saved (its cell shows the link this module writes and the PDF
is there) is skipped, so a rerun makes no second proof; delete the PDF, or clear the cell,
to get a new one."""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from xl_mailer.app.ports import BookFilePort
from xl_mailer.app.status import job_rows, write_added_headers
from xl_mailer.core.calls import CallOutcome, CallResult
from xl_mailer.core.errors import ApiError, AuthenticationError, WorkbookError
from xl_mailer.core.models import REQUIRED_PARAMS
from xl_mailer.core.sheet import find_layout
from xl_mailer.core.tables import TableSpec, find_table

PROOF = "Proof"
PROOF_COLUMNS = TableSpec(required=REQUIRED_PARAMS, written=(PROOF,))
"""The column Get Proofs writes beside the Jobs table (placed when missing)."""


class ProofMaker(Protocol):
    """The calls Get Proofs makes (``click2mail.mailing.Mailing`` has them)."""

    def create_proof(self, job_id: int) -> CallResult: ...

    def proof_pdf(self, job_id: int, proof_id: int) -> bytes: ...


@dataclass(frozen=True)
class Proof:
    """One row's proof: the file saved, or why there is none."""

    row: int  # 1-based sheet row
    job_id: int
    path: Path | None
    problem: str | None = None


@dataclass(frozen=True)
class ProofRun:
    """What Get Proofs did."""

    proofs: list[Proof]  # the rows asked for a proof this time
    folder: Path
    kept: list[Proof] = field(default_factory=list)  # already saved: skipped, nothing asked

    @property
    def saved(self) -> list[Proof]:
        return [p for p in self.proofs if p.path is not None]

    @property
    def failed(self) -> list[Proof]:
        return [p for p in self.proofs if p.path is None]

    def line(self) -> str:
        if not self.proofs and not self.kept:
            return "No row has a Job ID: no proof to get."
        text = f"Saved {len(self.saved)} proof(s) in {self.folder}"
        if self.kept:
            text += (
                f"; skipped {len(self.kept)} already saved there (delete a PDF, or clear its"
                " Proof cell, to get a new one)"
            )
        if self.failed:
            text += f"; {len(self.failed)} job(s) got none (their Proof cell says why)"
        return text + "."


def proofs_folder(book: Path) -> Path:
    """``<workbook name> proofs`` beside the workbook ("April.xlsm" -> "April proofs")."""
    return book.parent / f"{book.stem} proofs"


def link_text(folder: Path, job_id: int) -> str:
    """What a row's Proof cell shows for its saved PDF: "April proofs/245985.pdf"."""
    return f"{folder.name}/{job_id}.pdf"


def _already_saved(folder: Path, job_id: int, cell: object) -> bool:
    """The row's Proof cell shows the link to its PDF, and that file is there, a PDF."""
    if cell != link_text(folder, job_id):
        return False
    try:
        with (folder / f"{job_id}.pdf").open("rb") as pdf:
            return pdf.read(5) == b"%PDF-"
    except OSError:  # gone (or unreadable): a new proof replaces it
        return False


def _save(folder: Path, job_id: int, pdf: bytes) -> Path:
    """Write the PDF whole or not at all: a temporary file beside it, then one rename."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{job_id}.pdf"
    handle, temp = tempfile.mkstemp(prefix=".~proof-", suffix=".pdf", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(pdf)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def _one(maker: ProofMaker, folder: Path, row: int, job_id: int) -> Proof:
    made = maker.create_proof(job_id)
    if made.outcome is not CallOutcome.CREATED or made.id is None:
        return Proof(row, job_id, None, made.description or "Click2Mail made no proof")
    try:
        pdf = maker.proof_pdf(job_id, made.id)
    except AuthenticationError:
        raise
    except ApiError as exc:
        return Proof(row, job_id, None, str(exc))
    if not pdf.startswith(b"%PDF-"):  # the client refuses these too: never saved as a PDF
        return Proof(row, job_id, None, "Click2Mail's answer is not a PDF; nothing was saved")
    try:
        return Proof(row, job_id, _save(folder, job_id, pdf))
    except OSError as exc:
        return Proof(row, job_id, None, f"could not save {folder}: {exc.strerror or exc}")


def get_proofs(port: BookFilePort, maker: ProofMaker, *, concurrency: int = 4) -> ProofRun:
    """Make a proof of every row's job, ``concurrency`` at a time, save each PDF in the
    proofs folder beside the workbook and link it from the row's ``Proof`` cell (or say
    there why there is none). Rows without a numeric Job ID, and rows whose proof is
    already saved (the link in their cell, the PDF in the folder), are left alone. Raises
    WorkbookError for a workbook never saved (there is no folder to keep proofs in),
    AuthenticationError and TransportError, SheetLayoutError."""
    book = port.book_path()
    if book is None:
        raise WorkbookError(
            port.name, "save the workbook first: its proofs are kept in a folder beside it"
        )
    folder = proofs_folder(book)
    values = port.values()
    layout = find_layout(values, sheet=port.name)
    table = find_table(values, PROOF_COLUMNS, sheet=port.name)
    column = table.columns[PROOF]
    jobs, kept = [], []
    for row, job_id in job_rows(values, layout.results["Job ID"], layout.first_data_row):
        if _already_saved(folder, job_id, table.cell(values[row - 1], PROOF)):
            kept.append(Proof(row, job_id, folder / f"{job_id}.pdf"))
        else:
            jobs.append((row, job_id))
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        done = list(pool.map(lambda job: _one(maker, folder, *job), jobs))
    if done:
        write_added_headers(port, table)
    for proof in done:
        if proof.path is not None:
            port.write_link(proof.row, column, proof.path, link_text(folder, proof.job_id))
        else:
            port.write_block(proof.row, column, [[f"No proof: {proof.problem}"]])
    port.checkpoint()
    return ProofRun(done, folder, kept)
