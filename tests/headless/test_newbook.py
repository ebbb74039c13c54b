"""``xl-mailer new-workbook``: the template, set to start this Python, checked against what
xlwings 0.37.8's own VBA (the ``xlwings.bas`` of the installed wheel) reads."""

from __future__ import annotations

import argparse
import io
import re
import zipfile
from pathlib import Path

import pytest
import xlwings
from openpyxl import load_workbook

from xl_mailer.headless.cli import main
from xl_mailer.headless.newbook import new_workbook, write_workbook

from ..remote import TEMPLATE

XLWINGS_BAS = (Path(xlwings.__file__).parent / "xlwings.bas").read_text(encoding="ascii")
PYTHON = "/opt/python/bin/python3"


def interpreter_keys() -> dict[str, str]:
    """The settings xlwings' RunPython reads for the interpreter, by platform, as the wheel's
    VBA spells them (an #If Mac branch and its #Else)."""
    found = re.search(
        r'#If Mac Then\s+interpreter = GetConfig\("(\w+)", ""\)\s+'
        r'#Else\s+interpreter = GetConfig\("(\w+)", ""\)',
        XLWINGS_BAS,
    )
    assert found, "xlwings.bas no longer reads the interpreter as this test expects"
    return {"darwin": found.group(1), "win32": found.group(2)}


def settings_as_xlwings_reads_them(path: Path) -> dict[str, object]:
    """The xlwings.conf sheet as GetConfigFromSheet reads it: column A from A1 down to the
    last cell before an empty one, each key in capitals, its value from column B."""
    sheet = load_workbook(path)["xlwings.conf"]
    settings: dict[str, object] = {}
    for key, value in sheet.iter_rows(min_col=1, max_col=2, values_only=True):
        if key in (None, ""):
            break
        settings[str(key).upper()] = value
    return settings


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_the_new_workbook_names_this_python_where_xlwings_looks_for_it(
    tmp_path: Path, platform: str
) -> None:
    path = tmp_path / "mailing.xlsm"
    setting = write_workbook(path, platform=platform, interpreter=PYTHON)
    key = interpreter_keys()[platform]
    assert setting is not None and setting.upper() == key
    settings = settings_as_xlwings_reads_them(path)
    assert settings[key] == PYTHON
    # the other platform's setting is the template's, and the UDF server reads the same key
    template = settings_as_xlwings_reads_them(TEMPLATE)
    assert {k: v for k, v in settings.items() if k != key} == {
        k: v for k, v in template.items() if k != key
    }
    assert f'PYTHON_WIN = GetConfig("{interpreter_keys()["win32"]}"' in XLWINGS_BAS


def test_every_setting_on_the_sheet_is_one_xlwings_reads() -> None:
    read = set(re.findall(r'GetConfig\("([^"]+)"', XLWINGS_BAS))
    settings = settings_as_xlwings_reads_them(TEMPLATE)
    assert set(settings) <= read
    assert {"INTERPRETER_WIN", "INTERPRETER_MAC", "UDF MODULES"} <= set(settings)
    assert settings["UDF MODULES"] == "xl_mailer.udfs"


def test_the_new_workbook_is_the_template_with_its_ribbon_and_macros(tmp_path: Path) -> None:
    path = tmp_path / "mailing.xlsm"
    write_workbook(path, platform="win32", interpreter=PYTHON)
    with zipfile.ZipFile(path) as new, zipfile.ZipFile(TEMPLATE) as template:
        for part in ("xl/vbaProject.bin", "customUI/customUI.xml"):
            assert new.read(part) == template.read(part)
        assert b"ui/extensibility" in new.read("_rels/.rels")
    book = load_workbook(path)
    assert book.sheetnames == load_workbook(TEMPLATE).sheetnames
    # no identity yet: two new workbooks never share a journal
    assert not [name for name in book.defined_names if name.startswith("XLMAILER_")]


def test_on_macos_it_tells_the_one_time_runpython_install(tmp_path: Path) -> None:
    out = io.StringIO()
    args = argparse.Namespace(path=tmp_path / "mailing")
    assert new_workbook(args, out, platform="darwin", interpreter=PYTHON) == 0
    text = out.getvalue()
    assert f"Wrote {tmp_path / 'mailing.xlsm'}." in text
    assert f"(Interpreter_Mac): {PYTHON}" in text
    assert "/opt/python/bin/xlwings runpython install" in text
    assert "not the worksheet functions" in text


def test_where_excel_does_not_run_it_names_no_python_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "mailing.xlsm"
    out = io.StringIO()
    args = argparse.Namespace(path=path)
    assert new_workbook(args, out, platform="linux", interpreter=PYTHON) == 0
    assert settings_as_xlwings_reads_them(path) == settings_as_xlwings_reads_them(TEMPLATE)
    assert "Excel runs on Windows and macOS, not here" in out.getvalue()


def test_an_existing_file_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mailing.xlsm"
    path.write_bytes(b"my own workbook")
    assert main(["new-workbook", str(path)], out=io.StringIO()) == 2
    assert path.read_bytes() == b"my own workbook"
    assert capsys.readouterr().err == (
        f"xl-mailer: {path}: already exists; nothing was overwritten. Give a new file name\n"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("mailing.xlsx", "give the new workbook a name ending in .xlsm"),
        ("no-such-folder/mailing.xlsm", "cannot be written: no folder"),
    ],
)
def test_a_name_it_cannot_use_is_refused_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    assert main(["new-workbook", str(tmp_path / name)], out=io.StringIO()) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / name).exists()


def test_the_command_line_writes_a_workbook_that_runs_headless(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["new-workbook", str(tmp_path / "mailing")], out=out) == 0
    assert (tmp_path / "mailing.xlsm").exists()
    assert main(["run", str(tmp_path / "mailing.xlsm"), "--validate-only"], out=out) == 0
