"""The Click2Mail ribbon tab, called from VBA through ``RunPython``.

Every workbook made from the template calls ``xl_mailer.ribbon.run(tag)``, so
this module, the tags and the action functions named here stay where they are.
Each action (in ``xl_mailer.excel``) takes the book (``xw.Book.caller()`` when
none is given), calls one use case of ``xl_mailer.app`` and shows what it did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import xlwings as xw

from xl_mailer.excel.account import set_password, test_connection
from xl_mailer.excel.book import Progress, alert, read_settings
from xl_mailer.excel.followup import (
    archive_rows,
    clear_results,
    reconcile,
    refresh_status,
    unclaimed_jobs,
)
from xl_mailer.excel.money import get_cost, submit_approved_jobs
from xl_mailer.excel.sending import create_jobs, create_selected_jobs, selected_rows, validate_rows
from xl_mailer.excel.tracking import get_proofs
from xl_mailer.excel.unclaimed_sheet import UNCLAIMED_HEADER
from xl_mailer.excel.uploads import upload_documents_and_lists

__all__ = [
    "ACTIONS",
    "UNCLAIMED_HEADER",
    "Progress",
    "archive_rows",
    "clear_results",
    "create_jobs",
    "create_selected_jobs",
    "get_cost",
    "get_proofs",
    "read_settings",
    "reconcile",
    "refresh_status",
    "run",
    "selected_rows",
    "set_password",
    "submit_approved_jobs",
    "test_connection",
    "unclaimed_jobs",
    "upload_documents_and_lists",
    "validate_rows",
]

ACTIONS: dict[str, Callable[..., Any]] = {
    "validate_rows": validate_rows,
    "upload_documents_and_lists": upload_documents_and_lists,
    "create_jobs": create_jobs,
    "create_selected_jobs": create_selected_jobs,
    "get_cost": get_cost,
    "submit_approved_jobs": submit_approved_jobs,
    "refresh_status": refresh_status,
    "get_proofs": get_proofs,
    "reconcile": reconcile,
    "clear_results": clear_results,
    "archive_rows": archive_rows,
    "unclaimed_jobs": unclaimed_jobs,
    "test_connection": test_connection,
    "set_password": set_password,
}
"""Ribbon button tags and the functions they run."""


def run(tag: str) -> None:
    """Entry point of the VBA dispatcher, which passes the button's tag."""
    function = ACTIONS.get(tag)
    book = xw.Book.caller()
    if function is None:
        alert(book, f"Unknown ribbon button {tag!r}: update xl-mailer.")
        return
    function(book)
