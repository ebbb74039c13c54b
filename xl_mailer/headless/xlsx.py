"""The openpyxl adapter: a workbook file on disk, read once, results written back atomically.

The original file is never half-written: every save goes to a temporary file
beside the target, is flushed to disk, then replaces the target in one step.
A file that cannot be read or written is reported and left byte-for-byte as it was.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import quote

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xl_mailer.app.archive import HISTORY_SHEET
from xl_mailer.core.blocks import contiguous_blocks
from xl_mailer.core.cells import UNCALCULATED
from xl_mailer.core.errors import WorkbookError
from xl_mailer.core.keys import is_key
from xl_mailer.core.sheet import Layout
from xl_mailer.engine.bookid import (
    ID_NAME,
    UNFINISHED_NAME,
    identity_formula,
    parse_identity,
)
from xl_mailer.headless.leanbook import drop_blank_styles, lean_save

SUPPORTED = (".xlsx", ".xlsm")
SAVE_SHARE = 20
"""A checkpoint waits at least this many times what the last save took (5% of the run)."""
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_readable(path: Path) -> None:
    suffix = path.suffix.lower()
    if not path.exists():
        raise WorkbookError(path, "no such file")
    if path.is_dir():
        raise WorkbookError(path, "is a folder, not a workbook")
    if suffix == ".xls":
        raise WorkbookError(path, "is an old .xls workbook; save it as .xlsx or .xlsm in Excel")
    if suffix in (".csv", ".ods", ".xlsb"):
        raise WorkbookError(path, f"is a {suffix} file; save it as .xlsx or .xlsm in Excel")
    if suffix not in SUPPORTED:
        raise WorkbookError(path, "is not an .xlsx or .xlsm workbook")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise WorkbookError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if head == _OLE_MAGIC:
        raise WorkbookError(
            path, "is password-protected (encrypted); remove the password in Excel and save again"
        )
    if not zipfile.is_zipfile(path):
        raise WorkbookError(path, "is damaged or not a workbook (it is not a valid .xlsx/.xlsm)")


def lock_file(path: Path) -> Path:
    """The ``~$`` owner file Excel keeps beside a workbook it has open."""
    return path.with_name("~$" + path.name[2:] if len(path.name) > 2 else "~$" + path.name)


def _check_writable(path: Path) -> None:
    for candidate in {path.with_name("~$" + path.name), lock_file(path)}:
        if candidate.exists():
            raise WorkbookError(
                path, f"is open in Excel ({candidate.name} exists); close it there first"
            )
    libreoffice = path.with_name(f".~lock.{path.name}#")
    if libreoffice.exists():
        raise WorkbookError(
            path, f"is open in LibreOffice ({libreoffice.name} exists); close it there first"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        raise WorkbookError(path, "is read-only; results cannot be saved into it (use --output)")
    if not os.access(folder, os.W_OK):
        raise WorkbookError(path, f"its folder {folder} is not writable (use --output)")


def open_workbook(path: Path, *, for_writing: bool = True) -> Workbook:
    """Load a workbook with its macros kept. Raises WorkbookError with a clear reason."""
    _check_readable(path)
    if for_writing:
        _check_writable(path)
    try:
        book = load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as exc:
        raise WorkbookError(
            path, f"is damaged and cannot be opened ({type(exc).__name__})"
        ) from exc
    drop_blank_styles(book)
    return book


def cached_values(path: Path, sheet: str) -> list[list[object]]:
    """The values Excel last calculated for a sheet's formulas (None where never calculated)."""
    book = load_workbook(path, data_only=True, read_only=True, keep_links=False)
    try:
        return [list(row) for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def book_identity(book: Workbook) -> str | None:
    """The identity a workbook carries (``bookid.ID_NAME``), or None."""
    name = book.defined_names.get(ID_NAME)
    return parse_identity(name.attr_text) if name is not None else None


def _note_text(book: Workbook) -> str | None:
    name = book.defined_names.get(UNFINISHED_NAME)
    text = name.attr_text if name is not None else None
    return text.strip().removeprefix("=").strip('"') if isinstance(text, str) else None


def save_atomically(book: Workbook, target: Path) -> str:
    """Save to a temporary file beside ``target``, flush it, then replace ``target``; returns
    the saved file's fingerprint (``file_digest``).

    The workbook is built in memory first, so a full disk fails on our own write,
    cleanly, rather than inside openpyxl's zip file.
    """
    mode = target.stat().st_mode & 0o777 if target.exists() else None
    content = io.BytesIO()
    lean_save(book, content)
    handle, temp_name = tempfile.mkstemp(prefix=".~xlm-", suffix=target.suffix, dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as saved:
            saved.write(content.getbuffer())
            saved.flush()
            os.fsync(saved.fileno())
        temp.chmod(mode if mode is not None else _new_file_mode())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return hashlib.sha256(content.getbuffer()).hexdigest()[:32]


def _read_umask() -> int:
    umask = os.umask(0o022)  # read once, at import, before any thread could create a file
    os.umask(umask)
    return umask


_UMASK = _read_umask()


def _new_file_mode() -> int:
    """The mode a new file gets under this process's umask (mkstemp's is always 0600)."""
    return 0o666 & ~_UMASK


class FileSheet:
    """A ``SheetPort`` over one worksheet of a workbook file."""

    def __init__(
        self,
        book: Workbook,
        sheet: Worksheet,
        *,
        source: Path,
        target: Path | None,
        checkpoint_seconds: float = 10.0,
    ) -> None:
        self.book = book
        self.sheet = sheet
        self.name = sheet.title
        self.source = source
        self.target = target
        self.checkpoint_seconds = checkpoint_seconds
        self._last_save = time.monotonic()
        self._save_seconds = 0.0
        self._dirty = False
        self.saves = 0
        self.keys_written: set[str] = set()  # request keys written since the last save
        self.on_save: Callable[[Path, str, set[str]], None] | None = None
        self.owner: FileSheet = self  # the sheet whose saves hold this one's writes

    def values(self) -> list[list[object]]:
        rows: list[list[object]] = [list(row) for row in self.sheet.iter_rows(values_only=True)]
        if any(isinstance(v, str) and v.startswith("=") for row in rows for v in row):
            rows = self._with_cached_values(rows)
        return rows

    def _with_cached_values(self, rows: list[list[object]]) -> list[list[object]]:
        cached = cached_values(self.source, self.name)
        merged: list[list[object]] = []
        for r, row in enumerate(rows):
            out = []
            for c, value in enumerate(row):
                cell = self.sheet.cell(row=r + 1, column=c + 1)
                if cell.data_type == "f":
                    value = cached[r][c] if r < len(cached) and c < len(cached[r]) else None
                    if value is None:
                        value = UNCALCULATED
                out.append(value)
            merged.append(out)
        return merged

    def row_notes(self, layout: Layout) -> dict[int, str]:
        """Hidden rows and rows whose parameter cells are merged may not be sent."""
        first = layout.first_data_row + 1
        notes: dict[int, str] = {}
        columns = {c + 1 for c in layout.params.values()}
        for merged in self.sheet.merged_cells.ranges:
            if merged.max_row < first or not columns & set(
                range(merged.min_col, merged.max_col + 1)
            ):
                continue
            for row in range(max(merged.min_row, first), merged.max_row + 1):
                notes[row] = (
                    f"cells {merged.coord} are merged; unmerge them so that each row"
                    " has its own values"
                )
        for row, dimension in self.sheet.row_dimensions.items():
            if row >= first and dimension.hidden and row not in notes:
                notes[row] = "the row is hidden; unhide it to send it"
        return notes

    def write_block(self, row: int, column: int, values: list[list[object]]) -> None:
        self._write(self.sheet, row, column, values)

    def _write(self, sheet: Worksheet, row: int, column: int, values: list[list[object]]) -> None:
        for r, line in enumerate(values):
            for c, value in enumerate(line):
                cell = sheet.cell(row=row + r, column=column + c + 1)
                cell.value = value  # type: ignore[assignment]  # results: numbers, text, dates
                if isinstance(value, str):
                    cell.data_type = "s"  # text from the server is never a formula
                    if is_key(value):
                        self.keys_written.add(value)
        self._dirty = self.owner._dirty = True

    def book_path(self) -> Path | None:
        """Where results are saved (``--output``, else the file read)."""
        return (self.target or self.source).absolute()

    def write_link(self, row: int, column: int, target: Path, text: str) -> None:
        """A hyperlink relative to the workbook's folder when the file is inside it (the
        link survives the folder moving), else to the absolute file."""
        cell = self.sheet.cell(row=row, column=column + 1)
        folder = (self.target or self.source).absolute().parent
        try:
            link = quote(target.absolute().relative_to(folder).as_posix())
        except ValueError:
            link = target.absolute().as_uri()
        cell.value = text
        cell.data_type = "s"
        cell.hyperlink = link
        cell.style = "Hyperlink"
        self._dirty = True

    def archived(self) -> list[list[object]]:
        if HISTORY_SHEET not in self.book.sheetnames:
            return []
        history = self.book[HISTORY_SHEET]
        if not isinstance(history, Worksheet):
            return []
        return [list(row) for row in history.iter_rows(values_only=True)]

    def write_history(self, row: int, values: list[list[object]]) -> None:
        if HISTORY_SHEET not in self.book.sheetnames:
            self.book.create_sheet(HISTORY_SHEET)
        history = self.book[HISTORY_SHEET]
        if not isinstance(history, Worksheet):
            raise WorkbookError(self.source, f"{HISTORY_SHEET!r} is a chart sheet, not a worksheet")
        self._write(history, row, 0, values)

    def other(self, name: str, *, create: bool = False) -> FileSheet | None:
        """Another sheet of this workbook (``create``: added after the last one when it has
        none); its writes are saved with this sheet's. Raises WorkbookError for a chart
        sheet."""
        if name not in self.book.sheetnames:
            if not create:
                return None
            self.book.create_sheet(name)
            self._dirty = True
        sheet = self.book[name]
        if not isinstance(sheet, Worksheet):
            raise WorkbookError(self.source, f"{name!r} is a chart sheet, not a worksheet")
        if sheet is self.sheet:
            return self
        other = FileSheet(self.book, sheet, source=self.source, target=self.target)
        other.owner = self.owner
        return other

    def folder(self) -> Path | None:
        """The folder of the workbook read: a document's relative path starts there."""
        return self.source.absolute().parent

    def delete_rows(self, rows: Sequence[int]) -> None:
        """Remove rows from the bottom up; the cells below move up. Raises WorkbookError,
        nothing moved, when a formula would have to follow them: only Excel adjusts every
        reference as it deletes rows (openpyxl would leave some pointing at other rows)."""
        if not rows:
            return
        self._refuse_formulas_that_move(set(rows))
        last_row, last_column = self.sheet.max_row, self.sheet.max_column
        runs = contiguous_blocks([(row, ()) for row in set(rows)])
        for first, block in reversed(runs):
            count = len(block)
            below = first + count
            if below <= last_row:
                area = f"A{below}:{get_column_letter(last_column)}{last_row}"
                self.sheet.move_range(area, rows=-count)
            for line in self.sheet.iter_rows(
                min_row=max(last_row - count + 1, first), max_row=last_row
            ):
                for cell in line:
                    cell.value = None
            last_row -= count
        self._dirty = True

    def checkpoint(self) -> None:
        if self.owner is not self:
            self.owner.checkpoint()
            return
        # the journal already holds every id (on disk within SYNC_WITHIN of its answer); a
        # save in between only spares the next run a longer recovery from it, so saves may
        # take at most a twentieth of the run (a 10,000-row workbook takes a second to save,
        # 50,000 rows five: one save every 100 s). The run itself calls no checkpoint in its
        # last quarter (app.create): the final save comes soon after.
        interval = max(self.checkpoint_seconds, SAVE_SHARE * self._save_seconds)
        if self._dirty and time.monotonic() - self._last_save >= interval:
            self.save()

    @property
    def identity(self) -> str | None:
        """The identity the workbook carries (``bookid``), or None."""
        return book_identity(self.book)

    def set_identity(self, identity: str) -> None:
        """Give the workbook ``identity``; it reaches the file with the next save (nothing
        else is saved for it: a run that writes nothing leaves the file as it was)."""
        if self.identity == identity:
            return
        self.book.defined_names[ID_NAME] = DefinedName(
            ID_NAME, attr_text=identity_formula(identity), hidden=True
        )

    def _refuse_formulas_that_move(self, gone: set[int]) -> None:
        """A formula in a row that moves up (below the first row removed), or one on another
        sheet that names this sheet, would point at the wrong row once rows are removed
        without Excel. (The removed rows' own formulas go to History as their values.)"""
        reason = ""
        for line in self.sheet.iter_rows(min_row=min(gone)):
            if line and line[0].row in gone:
                continue
            cell = next((c for c in line if c.data_type == "f"), None)
            if cell is not None:
                reason = f"cell {cell.coordinate} holds a formula"
                break
        for other in self.book.worksheets:
            if reason or other is self.sheet:
                continue
            for line in other.iter_rows():
                cell = next((c for c in line if _names_sheet(c, self.name)), None)
                if cell is not None:
                    reason = f"{other.title}!{cell.coordinate} refers to this sheet"
                    break
        if reason:
            raise WorkbookError(
                self.source,
                f"{self.name}: {reason}, and removing rows here would leave it pointing at"
                " another row (only Excel adjusts formulas as it deletes rows). Nothing was"
                " moved. Press Archive Finished Rows in Excel instead, or delete the finished"
                " rows there by hand",
            )

    @property
    def unfinished(self) -> str | None:
        """The note of an unfinished run this workbook carries (``bookid.UNFINISHED_NAME``)."""
        return _note_text(self.book)

    def set_unfinished(self, note: str | None) -> None:
        """Carry ``note`` (None: no note) from the next save on; a copy carries it too."""
        if note is None:
            if UNFINISHED_NAME in self.book.defined_names:
                del self.book.defined_names[UNFINISHED_NAME]
            return
        clean = note.replace('"', "'")
        self.book.defined_names[UNFINISHED_NAME] = DefinedName(
            UNFINISHED_NAME, attr_text=f'="{clean}"', hidden=True
        )

    def save(self, *, force: bool = False) -> None:
        """Save what was written (with ``force``, even when nothing was). Raises
        WorkbookError, the file unchanged."""
        if self.owner is not self:
            self.owner.save(force=force)
            return
        if self.target is None or not (self._dirty or force):
            return
        started = time.monotonic()
        try:
            fingerprint = save_atomically(self.book, self.target)
        except OSError as exc:
            raise WorkbookError(
                self.target, f"could not be saved ({exc.strerror or exc}); it is unchanged"
            ) from exc
        saved, self.keys_written = self.keys_written, set()
        if self.on_save is not None:
            self.on_save(self.target, fingerprint, saved)
        self._last_save = time.monotonic()
        self._save_seconds = self._last_save - started
        self._dirty = False
        self.saves += 1


def open_sheet(
    path: Path, *, sheet: str | None = None, output: Path | None = None, write: bool = True
) -> FileSheet:
    """Open ``sheet`` (default ``Jobs``) of a workbook file for a run.

    Results are saved to ``output`` when given, else over ``path``; with
    ``write`` False nothing is ever saved. Raises WorkbookError.
    """
    target = output or path
    if write and output is not None:
        _check_writable(output)
    book = open_workbook(path, for_writing=write and output is None)
    name = sheet or "Jobs"
    if name not in book.sheetnames:
        names = ", ".join(repr(n) for n in book.sheetnames)
        raise WorkbookError(path, f"has no sheet {name!r} (it has {names}); use --sheet NAME")
    worksheet = book[name]
    if not isinstance(worksheet, Worksheet):
        raise WorkbookError(path, f"{name!r} is a chart sheet, not a worksheet")
    return FileSheet(book, worksheet, source=path, target=target if write else None)


def _names_sheet(cell: object, sheet: str) -> bool:
    """A formula cell whose text names ``sheet`` (``Jobs!A5`` or ``'My Jobs'!A5``)."""
    if getattr(cell, "data_type", None) != "f":
        return False
    text = str(getattr(cell, "value", "")).casefold()
    name = sheet.casefold()
    return f"{name}!" in text or f"'{name}'!" in text
