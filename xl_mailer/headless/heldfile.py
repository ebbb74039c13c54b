"""A workbook file held for an action that sends or settles, from before it is read until
its results are saved: its file's lock, its identity's lock, its journal, and the saves
that let a crash lose nothing (the identity and a run's note before the first request,
every id received after the last answer)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from xl_mailer.app.archive import history_claims
from xl_mailer.app.create import SheetRun
from xl_mailer.click2mail.connection import endpoint_name
from xl_mailer.core.errors import JournalError, WorkbookError, XlMailerError
from xl_mailer.engine.bookid import file_digest, real_path
from xl_mailer.engine.journal import Journal, RunLock
from xl_mailer.engine.workbooks import (
    BookState,
    book_state,
    forget_settled,
    keys_in,
    mark_finished,
    mark_unfinished,
    refuse_others_note,
    refuse_others_unfinished,
    whose_run,
)
from xl_mailer.headless.xlsx import FileSheet, open_sheet


@dataclass
class HeldFile:
    """The sheet of a held workbook file, and its journal's state."""

    port: FileSheet
    state: BookState

    @property
    def journal(self) -> Journal:
        return self.state.journal

    def before_send(self) -> None:
        """The file carries its identity, and who is running it, before a request leaves:
        a rename, a move or a copy of it keeps both (another person's run waits)."""
        self.port.set_unfinished(whose_run())
        self.port.save(force=True)
        mark_unfinished(self.state.path)  # for another person's run of a shared file

    def save_run(self, run: SheetRun | None) -> None:
        """Save what a run (None: one that never ended) wrote. A run that got to its end
        leaves a file that holds every id it knows of, without its note."""
        finished = run is not None and self.port.unfinished is not None
        _save(self.port, self.journal, run, clear_note=finished)
        if run is not None:
            mark_finished(self.state.path)  # saved: the file (or --output) holds every id

    def settle_run(self, run: SheetRun) -> None:
        """After a saved run: stop on a tampered journal; after a clean finish, forget what
        every copy of this workbook holds now. Raises JournalError."""
        tampered = self.journal.tampered()
        if tampered:
            raise JournalError(
                self.port.target,
                f"{tampered}. Its results are saved in the workbook; the journal's earlier"
                " records may be lost, so check at Click2Mail before sending rows that were"
                " UNKNOWN",
            )
        if run.summary.stopped is None:
            with contextlib.suppress(XlMailerError, OSError):
                held_in = self.port.target or self.state.path
                archived = history_claims(self.port.archived()).ids
                forget_settled(
                    self.journal,
                    self.port.name,
                    _values_of(self.port),  # read once, let go of before the rewrite
                    held_in=held_in,
                    archived_ids=archived,
                )


def _values_of(port: FileSheet) -> Iterator[list[list[object]]]:
    """The sheet's values, read when asked for and held by nobody once used."""
    yield port.values()


@contextlib.contextmanager
def held_workbook(
    path: Path,
    *,
    sheet: str,
    endpoint: str | None = None,
    output: Path | None = None,
    note: bool = True,
) -> Iterator[HeldFile]:
    """The workbook at ``path`` held for an action that sends or settles: its file's lock
    (symbolic links followed) taken before it is read, then its identity's lock and its
    journal, all kept until the caller has saved. Results go into the real file (or
    ``output``); a link stays a link."""
    source = real_path(path)
    target = real_path(output) if output is not None else None
    with RunLock(source):
        port = open_sheet(source, sheet=sheet, output=target)
        refuse_others_note(source, port.unfinished)
        refuse_others_unfinished(source, lambda: keys_in(port.values()))
        read = file_digest(source)
        with book_state(
            source,
            carried=port.identity,
            endpoint=endpoint_name(endpoint),
            fingerprint=read,
            output=target,
            note=note,
        ) as state:
            port.set_identity(state.identity)
            port.on_save = state.journal.note_saved
            yield HeldFile(port, state)


def check_output(output: Path) -> None:
    """Refuse an --output that would hide an earlier run's job ids from this one."""
    if output.exists():
        raise WorkbookError(
            output,
            "exists already and may hold job ids of an earlier run. To continue that run, run"
            f" 'xl-mailer run {output}'; to start afresh, choose another --output",
        )


def _save(port: FileSheet, journal: Journal, run: SheetRun | None, *, clear_note: bool) -> None:
    """Save the results (with ``clear_note``, without this run's note: the save holds every
    id it received); if that fails, say exactly which job ids only the journal holds."""
    try:
        if clear_note:
            port.set_unfinished(None)
        port.save(force=clear_note)
    except WorkbookError as exc:
        held = [r.job_id for _, r in (run.results + run.recovered if run else [])]
        ids = [str(i) for i in held if i is not None]
        if ids:
            shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
            raise WorkbookError(
                exc.path,
                f"{exc.reason}. These {len(ids)} job id(s) are only in the journal at"
                f" {journal.path}: {shown}. Free the space or fix the file, then run again:"
                " they are put back into their rows, and nothing is sent twice",
            ) from exc
        raise
