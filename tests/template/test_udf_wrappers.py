"""The template's worksheet functions load without an import step: its ``xlwings_udfs`` VBA
module holds, for every function of xl_mailer.udfs, the wrapper xlwings' own generator writes,
calling that Python function through the module the xlwings.conf sheet names."""

from __future__ import annotations

import inspect
import re

from openpyxl import load_workbook

import xl_mailer.udfs as udfs

from ..remote import TEMPLATE
from .conftest import vba_modules

WRAPPER = re.compile(r"^Function (\w+)\(([^)]*)\)\r?\n(.*?)^End Function", re.M | re.S)
CALL = re.compile(r'XLPy\.CallUDF\("([\w.]+)", "(\w+)", Array\(([^)]*)\)(, ThisWorkbook)?')


def python_functions() -> dict[str, inspect.Signature]:
    """The public functions of the UDF module: each is a worksheet function."""
    return {
        name: inspect.signature(function)
        for name, function in vars(udfs).items()
        if inspect.isfunction(function)
        and function.__module__ == udfs.__name__
        and not name.startswith("_")
    }


def conf_udf_module() -> str:
    sheet = load_workbook(TEMPLATE)["xlwings.conf"]
    conf = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    module = conf["UDF Modules"]
    assert isinstance(module, str)
    return module


def test_every_worksheet_function_has_a_wrapper_with_its_arguments() -> None:
    code = vba_modules()["xlwings_udfs"]
    wrappers = {m.group(1): m.group(2) for m in WRAPPER.finditer(code)}
    functions = python_functions()
    assert set(wrappers) == set(functions) >= {"C2M_VALIDATE", "C2M_RETURN_CODE", "C2M_OPTIONS"}
    for name, signature in functions.items():
        expected = [
            ("Optional " if p.default is not inspect.Parameter.empty else "") + p.name
            for p in signature.parameters.values()
        ]
        assert wrappers[name].split(", ") == expected, name


def test_each_wrapper_calls_its_python_function_in_the_module_xlwings_conf_names() -> None:
    code = vba_modules()["xlwings_udfs"]
    module = conf_udf_module()
    assert module == udfs.__name__ == "xl_mailer.udfs"
    functions = python_functions()
    for wrapper in WRAPPER.finditer(code):
        name, body = wrapper.group(1), wrapper.group(3)
        arguments = list(functions[name].parameters)
        calls = CALL.findall(body)
        # one call for Excel (with the workbook and the calling cell), one for other hosts
        assert [(m, f, a.split(", "), bool(wb)) for m, f, a, wb in calls] == [
            (module, name, arguments, True),
            (module, name, arguments, False),
        ]
        assert callable(getattr(udfs, name))


def test_the_wrappers_module_is_set_for_excel_and_calls_xlwings_own_client() -> None:
    modules = vba_modules()
    code = modules["xlwings_udfs"]
    # the wrappers take their Excel branch only where App is defined as Import Functions does
    assert '#Const App = "Microsoft Excel"' in code.split("Function ", 1)[0]
    assert '#If App = "Microsoft Excel" Then' in code
    assert re.search(r"^Function XLPy\(\)", modules["xlwings"], re.M)
    assert "ActiveWorkbook" not in code  # a workbook's wrappers, not an add-in's
