"""``xl-mailer new-workbook``: a copy of the template whose ``xlwings.conf`` names this Python.

Excel starts Python through xlwings, which looks up the interpreter on the
workbook's ``xlwings.conf`` sheet (``Interpreter_Win`` on Windows,
``Interpreter_Mac`` on macOS). Without a full path there it runs whatever
``python`` it finds: on Windows often not the one (or the virtual environment)
that has xl-mailer, and on macOS none at all, since the shell AppleScript starts
has no ``python`` on its PATH. The workbook written here names the Python that
runs this command, for the platform it runs on.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from importlib import resources
from pathlib import Path
from typing import TextIO

from openpyxl import load_workbook

from xl_mailer.core.errors import WorkbookError
from xl_mailer.headless.args import EXIT_OK

CONF_SHEET = "xlwings.conf"
INTERPRETER_SETTINGS = {"win32": "Interpreter_Win", "darwin": "Interpreter_Mac"}
"""The ``xlwings.conf`` setting that names the Python, by the platform Excel runs on."""
SUFFIX = ".xlsm"


def template_bytes() -> bytes:
    """The template workbook the package carries (``workbook_template/build.py`` writes it)."""
    return (resources.files("xl_mailer") / "data" / "xl-mailer.xlsm").read_bytes()


def write_workbook(
    path: Path, *, platform: str = sys.platform, interpreter: str = sys.executable
) -> str | None:
    """Write a new workbook at ``path`` from the template, with ``interpreter`` as the Python
    of ``platform``'s Excel; return the setting written, or None where Excel does not run
    (the template's settings are kept).

    Raises WorkbookError if ``path`` exists (nothing is overwritten), is not an ``.xlsm``
    name, or cannot be written.
    """
    if path.suffix.lower() != SUFFIX:
        raise WorkbookError(path, f"give the new workbook a name ending in {SUFFIX}")
    book = load_workbook(io.BytesIO(template_bytes()), keep_vba=True)
    setting = INTERPRETER_SETTINGS.get(platform)
    if setting is not None:
        conf = book[CONF_SHEET]
        # the setting's own row: xlwings reads the sheet's settings from A1 downwards
        row = next(r for r in range(1, conf.max_row + 1) if conf.cell(r, 1).value == setting)
        conf.cell(row, 2, interpreter)
    try:
        with path.open("xb") as out:  # "x": never replace a file, even one made meanwhile
            try:
                book.save(out)
            except BaseException:
                out.close()
                with contextlib.suppress(OSError):
                    path.unlink()
                raise
    except FileExistsError as exc:
        raise WorkbookError(
            path, "already exists; nothing was overwritten. Give a new file name"
        ) from exc
    except FileNotFoundError as exc:
        raise WorkbookError(path, f"cannot be written: no folder {path.parent}") from exc
    except OSError as exc:
        raise WorkbookError(path, f"cannot be written: {exc.strerror or exc}") from exc
    return setting


def new_workbook(
    args: argparse.Namespace,
    out: TextIO,
    *,
    platform: str = sys.platform,
    interpreter: str = sys.executable,
) -> int:
    """Write the workbook and tell what it names and what, if anything, is left to do."""
    path: Path = args.path if args.path.suffix else args.path.with_suffix(SUFFIX)
    setting = write_workbook(path, platform=platform, interpreter=interpreter)
    print(f"Wrote {path.resolve()}.", file=out)
    if setting is None:
        print(
            "Excel runs on Windows and macOS, not here, so the workbook names no Python yet:"
            " run 'xl-mailer new-workbook' on the computer where Excel will open it, or put"
            " that computer's Python on its xlwings.conf sheet (Interpreter_Win or"
            f" Interpreter_Mac). Here, 'xl-mailer run {path}' runs it without Excel.",
            file=out,
        )
        return EXIT_OK
    print(f"Its xlwings.conf sheet names this Python ({setting}): {interpreter}", file=out)
    if platform == "darwin":
        print(
            "Once on this Mac, before the first use, let Excel start Python:\n"
            f"    {Path(interpreter).parent / 'xlwings'} runpython install\n"
            "Excel for Mac runs the buttons of the Click2Mail tab, but not the worksheet"
            " functions (=C2M_VALIDATE and the others): Validate Rows checks the rows instead.",
            file=out,
        )
    print("Open it in Excel and enable macros: the buttons are on the Click2Mail tab.", file=out)
    return EXIT_OK
