"""One workbook, one lock, one journal, whatever path it is reached by.

Every action that sends or settles (a run, a reconcile, clearing results,
deciding about unclaimed jobs) holds the lock of the file it was given
(``journal.RunLock``, symbolic links followed) and then the lock of the
workbook's identity (``bookid``), both taken before the workbook is read, for
the whole action. The journal is the identity's, in the user's state folder,
so it follows the workbook through a rename, a move, ``--output`` or a link.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from xl_mailer.click2mail import endpoints
from xl_mailer.core.cells import job_number
from xl_mailer.core.errors import WorkbookError
from xl_mailer.core.keys import is_key
from xl_mailer.core.models import KEY_HEADER, utc_now
from xl_mailer.core.rows import RowState, state_of
from xl_mailer.core.sheet import Layout, find_layout
from xl_mailer.engine.bookid import (
    ensure_state_dir,
    file_identity,
    identity_lock,
    journal_file,
    new_identity,
    owner_id,
    real_path,
    remember,
    remembered,
)
from xl_mailer.engine.journal import SUFFIX, Entry, Journal, PathSeen, Sent


def legacy_journal_path(workbook: Path) -> Path:
    """Where versions before the identity kept a journal: hidden, beside the workbook."""
    return workbook.with_name(f".{workbook.name}{SUFFIX}")


def identity_of(path: Path) -> str | None:
    """The identity of the workbook file at ``path``: the one it carries, else the one noted
    for its path (the untouched source of an ``--output`` run). A file that carries none
    and was never run at its path is a workbook of its own, whatever its contents."""
    real = real_path(path)
    return file_identity(real) or remembered(real)


def journal_for(path: Path, endpoint: str | None = None) -> Journal | None:
    """The journal of the workbook file at ``path`` for an endpoint (default: as a run
    without ``--endpoint`` chooses); None when the file has no identity yet."""
    identity = identity_of(path)
    if not identity:
        return None
    return Journal(journal_file(identity, endpoints.ledger(endpoints.chosen(endpoint))))


@dataclass
class BookState:
    """A workbook held for one action: its identity and its journal."""

    identity: str
    journal: Journal
    needs_identity: bool  # the file does not carry it yet: write it before the first send
    path: Path


@contextlib.contextmanager
def book_state(
    path: Path,
    *,
    carried: str | None,
    endpoint: str,
    fingerprint: str | None = None,
    output: Path | None = None,
    note: bool = True,
) -> Iterator[BookState]:
    """The identity lock and the journal of the workbook at ``path``, which carries the
    identity ``carried`` (None if it carries none). The caller holds the file's lock and
    has read the file under it: ``fingerprint`` is what it read (``xlsx.file_digest``),
    None when the workbook is an open book whose contents may differ from the file.
    ``endpoint`` names the Click2Mail account: each has a journal of its own.
    ``output`` is the file an ``--output`` run writes.

    Raises WorkbookError when another run holds the workbook (by any of its paths),
    or when another copy of it exists while its journal holds unsettled jobs.
    """
    source = real_path(path)
    known = remembered(source) if fingerprint else None
    identity = carried or known or new_identity()
    ensure_state_dir("journals")
    with identity_lock(identity, source.name):
        journal = Journal(journal_file(identity, endpoints.ledger(endpoint)))
        journal.here = str(source)
        try:
            _adopt_legacy(journal, legacy_journal_path(source))
            # before this run notes what it read: is the file a state an earlier run knew? Only
            # a file that carries its identity is taken for one: a file known by its path alone
            # may be a fresh copy of a master, a new mailing (its rows are held back)
            if fingerprint and carried == identity:
                journal.known_since = journal.snapshots().get(fingerprint)
            _refuse_copies(journal, source, identity)
            if note:
                run = uuid.uuid4().hex[:12]
                journal.note_path(source, run=run, role="source" if output else "run")
                if fingerprint:
                    journal.note_read(source, fingerprint)  # a copy of it is this state
                    if carried != identity:  # until the file carries it (or for good, for
                        remember(source, identity)  # an --output run's source)
                if output is not None:
                    journal.note_path(real_path(output), run=run, role="output")
            yield BookState(identity, journal, carried != identity, source)
        finally:
            journal.close()


def _adopt_legacy(journal: Journal, legacy: Path) -> None:
    """Move a journal kept beside the workbook by an earlier version into the state folder."""
    if not legacy.exists():
        return
    try:
        data = legacy.read_bytes()
    except OSError as exc:
        raise WorkbookError(
            legacy, f"the journal of an earlier run cannot be read ({exc.strerror or exc})"
        ) from exc
    journal.adopt(data)
    legacy.unlink()


def _partners(paths: Sequence[PathSeen], start: str) -> set[str]:
    """The files that are one logical book with ``start``: those a run worked on together
    (an ``--output`` run's source and output), and theirs in turn."""
    group = {start}
    while True:
        runs = {p.run for p in paths if p.path in group}
        grown = group | {p.path for p in paths if p.run in runs}
        if grown == group:
            return group
        group = grown


def _refuse_copies(journal: Journal, source: Path, identity: str) -> None:
    """Stop when another file that is this workbook exists while the journal still holds
    jobs: rows sent from one copy would be sent again from the other."""
    unsettled = [e for e in journal.entries() if e.may_have_made_a_job]
    if not unsettled:
        return
    paths = journal.paths()
    partners = _partners(paths, str(source))
    for other in dict.fromkeys(p.path for p in paths):
        if other in partners:
            continue
        candidate = Path(other)
        if not candidate.exists() or identity_of(candidate) != identity:
            continue  # renamed or moved away, or another workbook now: this file is it
        raise WorkbookError(
            source,
            f"{candidate} is the same workbook (one was copied from the other), and this"
            f" workbook's journal still holds {len(unsettled)} job(s) or request(s) that may"
            " have made one. Nothing was sent. Keep working on one of the two files only:"
            " move the other one out of this folder, or delete it, then run again; the run"
            " puts every job id the journal holds back into its rows",
        )


def settled_keys(
    entries: Sequence[Entry],
    saved: Sequence[Sequence[object]],
    layout: Layout,
    archived_ids: Collection[int] = (),
) -> set[str]:
    """Request keys the journal may forget, given the values of the workbook as saved.

    A key is settled when the saved sheet holds its job id (in any row), when it
    made no job (a clean refusal, or never sent), or when it is UNKNOWN and the
    saved row carrying that key shows UNKNOWN or a job id: the sheet itself
    then keeps it from being sent again. A job the workbook has archived (its History
    sheet, ``archived_ids``) is held as a row holds it.
    """
    return _settled({e.key: Sent.of(e) for e in entries}, saved, layout, archived_ids)


def _settled(
    known: Mapping[str, Sent],
    saved: Sequence[Sequence[object]],
    layout: Layout,
    archived_ids: Collection[int],
) -> set[str]:
    """``settled_keys`` over what ``Journal.sent`` returns, in one pass over the sheet's rows
    that keeps, of each row, its job id and whether the row showing its request key (the
    last one, if several do) holds that key back from being sent again."""
    job_col, key_col = layout.results["Job ID"], layout.results[KEY_HEADER]
    text_col = layout.results["Description"]
    ids: set[object] = set(archived_ids)
    held: set[str] = set()  # keys whose row shows UNKNOWN or a job id
    for line in itertools.islice(saved, layout.first_data_row, None):
        job = job_number(_at(line, job_col))
        if job is not None:
            ids.add(job)
        cell = _at(line, key_col)
        if cell in (None, ""):
            continue
        if job is not None or state_of(_at(line, job_col), _at(line, text_col)) is RowState.UNKNOWN:
            held.add(str(cell))
        else:
            held.discard(str(cell))  # a later row with the same key decides
    settled: set[str] = set()
    for key, sent in known.items():
        if sent.job_id is not None:
            if sent.job_id in ids:
                settled.add(key)
        elif not sent.unknown or key in held:
            settled.add(key)
    return settled


def _at(row: Sequence[object], column: int) -> object:
    return row[column] if column < len(row) else None


def forget_settled(
    journal: Journal,
    sheet: str,
    copies: Iterable[Sequence[Sequence[object]]],
    *,
    held_in: Path,
    archived_ids: Collection[int] = (),
) -> int:
    """Compact the journal: forget what every copy of the file ``held_in`` holds (the values
    of each copy's sheet ``sheet``: the file as saved, the open book). An entry only some
    of them hold stays; each job forgotten leaves a ``settled`` record naming ``held_in``,
    for copies of it and the source of an ``--output`` run. Returns how many lines went.

    ``copies`` is read once, one copy at a time: given as an iterator, each copy's values
    can be let go of before the journal is rewritten."""
    known = journal.sent()
    if not known:
        return 0
    settled = _settled_in_all(known, sheet, copies, archived_ids)
    return journal.compact(settled, held_in=held_in, known=known)


def _settled_in_all(
    known: Mapping[str, Sent],
    sheet: str,
    copies: Iterable[Sequence[Sequence[object]]],
    archived_ids: Collection[int],
) -> set[str]:
    """The keys settled in every copy (none when there is no copy)."""
    settled: set[str] | None = None
    for values in copies:
        keys = _settled(known, values, find_layout(values, sheet=sheet), archived_ids)
        settled = keys if settled is None else settled & keys
    return settled or set()


def _marker(workbook: Path) -> Path:
    return workbook.with_name(f".{workbook.name}.xl-mailer-unfinished")


def _me() -> dict[str, str]:
    """This person, as notes name them: ``owner``, a random id kept in their state folder
    (where their journals are: a new host name or network does not change it), and
    ``who``, user and host, for messages."""
    import getpass
    import socket

    return {"owner": owner_id(), "who": f"{getpass.getuser()}@{socket.gethostname()}"}


def keys_in(values: Sequence[Sequence[object]]) -> set[str]:
    """Every request key a sheet's values show, wherever its column is."""
    return {v for line in values for v in line if isinstance(v, str) and is_key(v)}


def whose_run() -> str:
    """Who runs, as the note an unfinished run leaves in its file: who, owner id, since."""
    me = _me()
    return f"{me['who']}|{me['owner']}|{utc_now():%Y-%m-%d %H:%M}"


def is_mine(note: str | None) -> bool:
    """Whether a note inside a file (``whose_run``) is this person's."""
    parts = (note or "").split("|")
    return len(parts) >= 2 and parts[1] == _me()["owner"]


def refuse_others_note(workbook: Path, note: str | None) -> None:
    """Stop when the file (or the file it was copied from) carries the note of another
    person's run that ended before saving every id it received (``whose_run``)."""
    if not note or is_mine(note):
        return
    parts = note.split("|")
    who = parts[0] or "someone"
    since = parts[2] if len(parts) > 2 else "?"
    raise WorkbookError(
        workbook,
        f"{who} has a run of this workbook (or of the file it was copied from) that stopped"
        f" before it saved every job id it received (since {since} UTC); those ids are in the"
        " journal on that computer. Ask them to run it once there first. Nothing was sent",
    )


def refuse_others_unfinished(workbook: Path, shown: Callable[[], set[str]]) -> None:
    """Stop when another person's run of this file may have ids the file does not show yet:
    that run's journal is in that person's own state folder (a shared workbook). ``shown``
    gives the request keys the file shows; once it shows every key that run sent, the
    note is taken away."""
    marker = _marker(real_path(workbook))
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(found, dict) or found.get("owner") == _me()["owner"]:
        return
    sent = found.get("keys")
    if isinstance(sent, list) and set(map(str, sent)) <= shown():
        with contextlib.suppress(OSError):
            marker.unlink()
        return
    raise WorkbookError(
        workbook,
        f"{found.get('who', '?')} has an unfinished xl-mailer run"
        f" of this workbook (since {found.get('at', '?')} UTC); its journal, on that computer,"
        " may hold job ids this file does not show yet. Ask them to run it, or to press"
        " Create Jobs and save, once on their computer first. Nothing was sent",
    )


def mark_unfinished(workbook: Path, keys: Collection[str] | None = None) -> None:
    """Say, beside the file, that this person has a run of it whose ids may not all be in
    the file yet: every key it sent (``keys``), or, while it runs, any. Best effort: a
    folder that cannot take the note still has the file's own lock."""
    note: dict[str, object] = {**_me(), "at": utc_now().isoformat(timespec="seconds")}
    if keys is not None:
        note["keys"] = sorted(keys)
    with contextlib.suppress(OSError):
        _marker(real_path(workbook)).write_text(json.dumps(note), encoding="utf-8")


def mark_finished(workbook: Path) -> None:
    """The file holds every id this person's runs received: take the note away."""
    marker = _marker(real_path(workbook))
    with contextlib.suppress(OSError, ValueError):
        found = json.loads(marker.read_text(encoding="utf-8"))
        if isinstance(found, dict) and found.get("owner") == _me()["owner"]:
            marker.unlink()


def unclaimed_entries(entries: Sequence[Entry], matched: set[str]) -> list[Entry]:
    """Entries that may have made a job and that no row claims."""
    return [e for e in entries if e.may_have_made_a_job and e.key not in matched]
