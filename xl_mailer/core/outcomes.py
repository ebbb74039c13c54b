"""Map one Click2Mail answer to a row outcome: the single place that decides what an answer means.

Success is HTTP 201 with ``<status>0`` and a ``<job>`` root carrying an id.
A clean refusal is a ``<job>`` document with a non-zero status (or a 4xx):
nothing was made. Anything else after the request left this machine may have
made a job, so it is UNKNOWN and never re-sent blindly.
"""

from __future__ import annotations

from xl_mailer.core.models import JobResult, Outcome
from xl_mailer.core.returncodes import describe

UNKNOWN_PREFIX = "UNKNOWN:"
"""Descriptions of rows whose create may have reached Click2Mail without a clean answer."""


def unknown(what: str, *, http_status: int | None = None, code: int | None = None) -> JobResult:
    """A create that may have reached Click2Mail without a clean answer."""
    return JobResult(
        Outcome.UNKNOWN,
        f"{UNKNOWN_PREFIX} {what}. The job may exist at Click2Mail: run Reconcile before sending"
        " this row again.",
        http_status=http_status,
        code=code,
    )


def create_outcome(
    http_status: int,
    *,
    root: str | None,
    code: int | None,
    description: str,
    job_id: int | None,
    not_a_document: str = "",
) -> JobResult:
    """Decide the outcome of a ``POST /jobs`` answer from its parsed facts.

    ``root`` is None when the body was not an XML document; ``not_a_document``
    then says what came instead (an HTML page, an empty body, ...).
    """
    is_job = root == "job"
    if is_job and code is not None and not description:
        description = describe(code, http_status)
    if http_status == 201 and is_job and code == 0:
        if job_id is not None:
            return JobResult(Outcome.CREATED, description or "Created", job_id, http_status, code)
        return unknown(
            "Click2Mail said Created but sent no job id", http_status=http_status, code=code
        )
    if job_id is not None:
        # An answer that names a job but is not a clean success: the job may exist.
        return JobResult(
            Outcome.UNKNOWN,
            f"{UNKNOWN_PREFIX} HTTP {http_status} with status {code} ({description or 'no text'})"
            f" names job {job_id}; check it at Click2Mail before sending this row again.",
            job_id,
            http_status,
            code,
        )
    if is_job and code is not None and code != 0 and http_status < 600:
        # A <job> document that names its error is a clean refusal, whatever the HTTP class.
        return JobResult(Outcome.FAILED, description, None, http_status, code)
    what = not_a_document or (f"a <{root}> document" if root and not is_job else "")
    if 400 <= http_status < 500:
        text = f"HTTP {http_status}" + (f": Click2Mail sent {what}" if what else "")
        if is_job and description:
            text = description
        return JobResult(Outcome.FAILED, text, None, http_status, code)
    if http_status == 524:
        return unknown(
            "Click2Mail's gateway timed out (HTTP 524) before answering",
            http_status=http_status,
            code=code,
        )
    if http_status >= 500:
        return unknown(
            f"HTTP {http_status} with {what or 'no usable answer'}",
            http_status=http_status,
            code=code,
        )
    return unknown(
        f"HTTP {http_status} with {what or 'an unexpected <job> answer'}",
        http_status=http_status,
        code=code,
    )
