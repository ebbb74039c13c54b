"""What the template tests share: the committed template's parts, its VBA, its builder."""

from __future__ import annotations

import importlib.util
import zipfile
from types import ModuleType

import pytest

from ..remote import TEMPLATE

BUILD = TEMPLATE.parent / "build.py"


def load_build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("template_build", BUILD)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def parts() -> dict[str, bytes]:
    with zipfile.ZipFile(TEMPLATE) as package:
        return {name: package.read(name) for name in package.namelist()}


def vba_modules() -> dict[str, str]:
    """The template's VBA modules by name, as pyOpenVBA reads them from xl/vbaProject.bin."""
    from pyopenvba import ExcelFile

    with ExcelFile(str(TEMPLATE)) as workbook:
        return {name: workbook.get_module(name) for name in workbook.module_names()}
