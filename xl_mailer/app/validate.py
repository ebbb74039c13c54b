"""Check every row as a run would, and say in its Description what is wrong; send nothing."""

from __future__ import annotations

from collections.abc import Callable

from xl_mailer.app.create import RunOptions, SheetRun, run_sheet
from xl_mailer.app.ports import SheetPort
from xl_mailer.core.catalog import Catalog
from xl_mailer.core.models import JobRequest, JobResult


def validate(
    port: SheetPort,
    catalog: Catalog | None,
    *,
    on_result: Callable[[int, JobResult], None] | None = None,
) -> SheetRun:
    """Plan every row against ``catalog`` and record VALID or what is wrong. Raises
    SheetLayoutError when the sheet has no table to read."""
    return run_sheet(
        port, _never_send, RunOptions(catalog=catalog, validate_only=True), on_result=on_result
    )


def _never_send(request: JobRequest) -> JobResult:  # pragma: no cover - nothing is sent
    raise AssertionError("validation sends nothing")
