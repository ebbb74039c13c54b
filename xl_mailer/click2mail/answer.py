"""One exchange with Click2Mail as the client keeps it: the answer (its status, its body read up
to a bound and parsed when it is XML, the pause and time its headers give) or, when none came,
what was lost; and the bodies a request may carry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from xl_mailer.click2mail.pacing import delay, retry_after_seconds
from xl_mailer.click2mail.xmlanswers import Document, parse
from xl_mailer.core.errors import NotADocument

if TYPE_CHECKING:
    import requests

Body = tuple[tuple[str, str], ...] | bytes | Iterable[bytes]
"""A request body: form fields, raw bytes, or chunks streamed (with a length) from a file."""


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, its body read up to a bound and parsed when it is XML."""

    http_status: int
    document: Document | None
    problem: str  # what came instead of a document, when document is None
    body: bytes
    retry_after: float = 0.0
    server_time: dt.datetime | None = None  # the Date header, UTC, naive

    @property
    def root(self) -> str | None:
        """The document's root element, None when the body was no document."""
        return self.document.root if self.document else None

    @property
    def code(self) -> int | None:
        """Click2Mail's ``<status>``, when there was one."""
        return self.document.int_field("status") if self.document else None

    @property
    def description(self) -> str:
        return self.document.fields.get("description", "") if self.document else ""

    @property
    def id(self) -> int | None:
        """The ``<id>`` the answer names, when there was one."""
        return self.document.int_field("id") if self.document else None


@dataclass(frozen=True, slots=True)
class Lost:
    """A request that got no answer: whether it provably never left, and why, in words."""

    never_left: bool
    words: str


def read_answer(response: requests.Response, limit: int) -> Answer:
    """The answer of a streamed response, its body read up to ``limit`` bytes (one more
    tells that it was longer)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    body = b"".join(chunks)
    retry_after = retry_after_seconds(response.headers.get("Retry-After"), default=delay(1))
    server_time = _http_date(response.headers.get("Date"))
    try:
        document: Document | None = parse(body)
        problem = ""
    except NotADocument as exc:
        document, problem = None, str(exc)
    return Answer(response.status_code, document, problem, body, retry_after, server_time)


def _http_date(value: str | None) -> dt.datetime | None:
    """An HTTP ``Date`` header as UTC (naive), or None when absent or unreadable."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return when
    return when.astimezone(dt.UTC).replace(tzinfo=None)
