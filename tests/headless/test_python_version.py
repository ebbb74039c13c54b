"""A Python older than 3.11 is told so in plain words: pip refuses to install xl-mailer there
(requires-python), and a copy run from its folder stops with the same news before anything
that needs 3.11 is imported."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from packaging.specifiers import SpecifierSet

import xl_mailer
from xl_mailer._python import problem

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(xl_mailer.__file__).resolve().parent


def requires_python() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["requires-python"])


def test_the_package_requires_python_3_11_or_newer() -> None:
    wanted = SpecifierSet(requires_python())
    assert "3.11.0" in wanted and "3.13.1" in wanted
    assert "3.10.12" not in wanted


def test_pip_refuses_an_older_python_with_words_about_python(tmp_path: Path) -> None:
    # a wheel with xl-mailer's metadata and its pinned xlwings: pip says what is wrong with
    # the Python before it looks for any dependency
    wheel = tmp_path / "xl_mailer-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as package:
        package.writestr("xl_mailer_stub.py", "")
        info = "xl_mailer-0.1.0.dist-info"
        package.writestr(
            f"{info}/METADATA",
            "Metadata-Version: 2.1\nName: xl-mailer\nVersion: 0.1.0\n"
            f"Requires-Python: {requires_python()}\nRequires-Dist: xlwings==0.37.8\n\n",
        )
        package.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        package.writestr(f"{info}/RECORD", "")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--quiet"]
        + ["--python-version", "3.10", "--only-binary=:all:", "--target", str(tmp_path / "t")]
        + [str(wheel)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "requires a different Python: 3.10.0 not in '>=3.11'" in done.stderr
    assert "xlwings" not in done.stderr


def test_an_older_python_is_told_what_to_install() -> None:
    assert problem((3, 10, 12), "/usr/bin/python3") == (
        "xl-mailer needs Python 3.11 or newer, but this is Python 3.10.12 (/usr/bin/python3)."
        " Install Python 3.11 or newer (from python.org), then install xl-mailer again with"
        " that Python, e.g. 'py -3.11 -m pip install xl-mailer' on Windows or"
        " 'python3.11 -m pip install xl-mailer' on macOS."
    )
    assert problem((3, 11, 0), "python") is None
    assert problem((3, 13, 1), "python") is None


def test_an_older_python_can_read_the_check_and_meets_it_first() -> None:
    for name in ("__init__.py", "_python.py"):
        ast.parse((PACKAGE / name).read_text(encoding="utf-8"), feature_version=(3, 7))
    first = next(
        node
        for node in ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8")).body
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
    )
    assert (first.module, [alias.name for alias in first.names]) == ("xl_mailer", ["_python"])


def test_the_command_stops_with_the_message_alone_on_an_older_python() -> None:
    pretend = (
        "import sys; sys.version_info = (3, 10, 12, 'final', 0);"
        " from xl_mailer.headless.cli import main"
    )
    done = subprocess.run(
        [sys.executable, "-c", pretend], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stderr.startswith(
        "xl-mailer needs Python 3.11 or newer, but this is Python 3.10.12"
    )
    assert "Traceback" not in done.stderr
