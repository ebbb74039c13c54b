"""Who a workbook is, wherever it lies: an identity kept inside it, and the per-user state
folder where its journal and its lock live.

A path says where a file is today, not which workbook it is: a rename, a move,
``--output`` or a symbolic link give one workbook several paths. So each
workbook carries an identity (a hidden defined name, written before its first
request leaves), and its journal and lock are named by that identity in the
user's state folder. A path index remembers which identity a file had, for a
file that could not be given one (the untouched source of an ``--output`` run).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import Any

from xl_mailer.core.errors import WorkbookError

ID_NAME = "XLMAILER_BOOK_ID"
"""The hidden workbook-level defined name that holds a workbook's identity."""

UNFINISHED_NAME = "XLMAILER_UNFINISHED"
"""A hidden defined name a file carries while a run of it may hold ids it does not show:
who ran it, so that another person's run of the file (or of a copy) waits."""

STATE_ENV = "XL_MAILER_STATE_DIR"
"""Overrides the per-user state folder (tests, or a folder that is backed up)."""

_IDENTITY = re.compile(r"[0-9a-f]{32}")


def state_dir() -> Path:
    """The per-user folder that holds journals, locks and the path index."""
    chosen = os.environ.get(STATE_ENV)
    if chosen:
        return Path(chosen)
    import platformdirs

    return Path(platformdirs.user_state_dir("xl-mailer", appauthor=False))


def new_identity() -> str:
    """A fresh identity: 128 random bits, as 32 hexadecimal digits."""
    return uuid.uuid4().hex


def parse_identity(value: object) -> str | None:
    """The identity in a defined name's text (``="…"`` or ``"…"``), or None if it holds none."""
    if not isinstance(value, str):
        return None
    text = value.strip().removeprefix("=").strip().strip('"').strip().lower()
    return text if _IDENTITY.fullmatch(text) else None


def identity_formula(identity: str) -> str:
    """The defined name's value for ``identity``: a text constant, not a reference."""
    return f'="{identity}"'


def defined_names(path: Path) -> dict[str, str]:
    """The workbook-level defined names of the .xlsx/.xlsm file at ``path`` and their text,
    read from its ``xl/workbook.xml`` (no spreadsheet library needed); {} when the file
    cannot be read as a workbook."""
    import zipfile
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(path) as archive:
            data = archive.read("xl/workbook.xml")
        root = ElementTree.fromstring(data)  # noqa: S314 - the user's own file, no DTD resolved
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}
    found: dict[str, str] = {}
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == "definedName" and "localSheetId" not in element.attrib:
            found.setdefault(element.attrib.get("name", ""), element.text or "")
    return found


def file_identity(path: Path) -> str | None:
    """The identity the workbook file at ``path`` carries, or None."""
    return parse_identity(defined_names(path).get(ID_NAME))


def file_note(path: Path) -> str | None:
    """The note of an unfinished run (``UNFINISHED_NAME``) the file at ``path`` carries."""
    text = defined_names(path).get(UNFINISHED_NAME)
    return text.strip().removeprefix("=").strip('"') if text else None


def file_digest(path: Path) -> str:
    """A fingerprint of a file's bytes: the same for an untouched file or a byte-for-byte copy."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:32]


def real_path(path: Path) -> Path:
    """The file itself: symbolic links followed, made absolute. Results go there, and the
    link stays a link."""
    return Path(os.path.realpath(path))


def journal_file(identity: str, ledger: str | None = None) -> Path:
    """The journal of a workbook's requests to one Click2Mail account (``endpoints.ledger``)."""
    if ledger is None:
        return state_dir() / "journals" / f"{identity}.jsonl"
    tag = hashlib.sha256(ledger.encode("utf-8")).hexdigest()[:12]
    return state_dir() / "journals" / f"{identity}-{tag}.jsonl"


def lock_file(identity: str) -> Path:
    return state_dir() / "locks" / f"{identity}.lock"


def _index_file(path: Path) -> Path:
    digest = hashlib.sha256(str(real_path(path)).encode("utf-8")).hexdigest()[:32]
    return state_dir() / "paths" / digest


def remembered(path: Path) -> str | None:
    """The identity noted for the file at ``path`` (a file that cannot carry it: the
    untouched source of an ``--output`` run, a file a run stopped before saving), or None."""
    try:
        text = _index_file(path).read_text(encoding="utf-8")
    except OSError:
        return None
    lines = text.splitlines()
    # the file names its path, so that a hash collision can never hand out another's identity
    if len(lines) >= 2 and lines[1] == str(real_path(path)):
        return parse_identity(lines[0])
    return None


def remember(path: Path, identity: str) -> None:
    """Note that the file at ``path`` is the workbook ``identity``. Raises WorkbookError."""
    _write_note(_index_file(path), f"{identity}\n{real_path(path)}\n", path)


def _write_note(target: Path, text: str, path: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(target.name + f".{os.getpid()}.new")
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, target)
    except OSError as exc:
        raise WorkbookError(
            path, f"its identity cannot be noted in {target.parent} ({exc.strerror or exc})"
        ) from exc


def owner_id() -> str:
    """This person's id: random, made once and kept in their state folder. Raises
    WorkbookError when the folder cannot keep it."""
    path = state_dir() / "owner"
    found = None
    with contextlib.suppress(OSError):
        found = parse_identity(path.read_text(encoding="utf-8"))
    if found:
        return found
    made = new_identity()
    _write_note(path, made + "\n", path)
    return parse_identity(path.read_text(encoding="utf-8")) or made


def ensure_state_dir(kind: str) -> Path:
    """The state folder's ``kind`` subfolder, made if needed, private to this user."""
    folder = state_dir() / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            state_dir().chmod(0o700)
    except OSError as exc:
        raise WorkbookError(
            folder, f"xl-mailer's state folder cannot be made ({exc.strerror or exc})"
        ) from exc
    return folder


class LockBusy(WorkbookError):
    """Another run holds the lock."""


class FileLock:
    """An exclusive lock on a file that the OS releases even when the process is killed.
    Raises LockBusy (a WorkbookError) when another run holds it, without waiting."""

    def __init__(self, path: Path, *, name: str, busy: str) -> None:
        self.path = path
        self._name = name
        self._busy = busy
        self._handle: Any = None

    def __enter__(self) -> FileLock:
        for _ in range(3):
            try:
                self._handle = self.path.open("a+b")
            except OSError as exc:
                raise WorkbookError(
                    self._name, f"its lock file {self.path} cannot be made ({exc.strerror or exc})"
                ) from exc
            try:
                if os.name == "nt":  # pragma: no cover - Windows
                    import msvcrt

                    msvcrt.locking(self._handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
                    return self
                import fcntl

                fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                self._handle.close()
                raise LockBusy(self._name, self._busy) from exc
            if self._still_there():
                return self
            # the run before removed the file between our open and our lock: what we hold
            # is no longer the lock file, so take the new one
            self._handle.close()
        raise LockBusy(self._name, self._busy)

    def _still_there(self) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(self._handle.fileno()).st_ino
        except OSError:
            return False

    def __exit__(self, *exc: object) -> None:
        if os.name == "nt":  # pragma: no cover - Windows cannot delete a file still open
            self._handle.close()
            with contextlib.suppress(OSError):  # another run has it open now: it stays
                self.path.unlink(missing_ok=True)
            return
        # removed while still held, so no later run can find it stale; closing releases it
        self.path.unlink(missing_ok=True)
        self._handle.close()


def identity_lock(identity: str, name: object) -> FileLock:
    """The lock of one workbook, whatever path it is reached by."""
    folder = ensure_state_dir("locks")
    return FileLock(
        folder / f"{identity}.lock",
        name=str(name),
        busy="another xl-mailer run is working on this workbook, or on a copy, a renamed or"
        " moved version, or the --output of it; wait for that run to finish",
    )


class RunLock(FileLock):
    """One run at a time per workbook file: a lock beside the file itself (symbolic links
    followed), which the OS releases even when the process is killed. The workbook's
    identity lock (``bookid.identity_lock``) covers its other paths."""

    def __init__(self, workbook: Path) -> None:
        real = real_path(workbook)
        super().__init__(
            real.with_name(f".{real.name}.xl-mailer-lock"),
            name=real.name,
            busy="another xl-mailer run is working on it; wait for that run to finish",
        )


def job_lock(ledger: str, job_id: int) -> FileLock:
    """The lock of one job at one Click2Mail account (``endpoints.ledger``), held by a submit
    from its state check through its POST, so that two runs (two workbooks holding the same
    Job IDs, rows pasted into another book, two open books) never submit a job at once."""
    ensure_state_dir("jobs")
    return FileLock(
        job_file(ledger, job_id, "lock"),
        name=f"job {int(job_id)}",
        busy="another xl-mailer run is submitting it right now",
    )


def job_file(ledger: str, job_id: int, kind: str) -> Path:
    """The file ``kind`` (``lock``, ``submit``) of one job at one Click2Mail account in the
    state folder's ``jobs`` subfolder."""
    tag = hashlib.sha256(ledger.encode("utf-8")).hexdigest()[:12]
    return state_dir() / "jobs" / f"{tag}-{int(job_id)}.{kind}"
