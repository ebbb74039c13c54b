"""A request as the sandbox's endpoints see it, and the answer they give back; the HTTP
server (server.py) turns one into the other and applies latency, authentication and faults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from xl_mailer.click2mail import xmlanswers
from xl_mailer.sandbox.state import Job, SandboxConfig, SandboxState

NOT_FOUND_PAGE = b"<html><body><h1>404 Not Found</h1></body></html>"


@dataclass(frozen=True)
class Request:
    """One call: the sandbox's state and switches, the parameters (query string and form body
    together), the raw body and its type, and the ids in the path (``/jobs/{id}/proof/{id}``)."""

    state: SandboxState
    config: SandboxConfig
    base_url: str
    today: dt.date
    form: Mapping[str, str]
    body: bytes
    content_type: str
    ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "application/xml"
    headers: Mapping[str, str] = field(default_factory=dict)


def xml(
    status: int,
    root: str,
    fields: Mapping[str, object],
    items: Iterable[Mapping[str, object]] = (),
    item_tag: str = "",
) -> Answer:
    """An XML answer written the way Click2Mail writes them."""
    return Answer(status, xmlanswers.build(root, fields, items, item_tag))


def refusal(root: str, row: tuple[int, int, str], id_text: object = "") -> Answer:
    """A refusal (HTTP, status, description) under ``root``, with ``id_text`` as its id."""
    http, status, text = row
    return xml(http, root, {"id": id_text, "status": status, "description": text})


def job_not_found(root: str, id_text: str) -> Answer:
    return refusal(root, (200, 1, "Job ID not found"), id_text)


def int_id(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def the_job(request: Request) -> Job | None:
    """The job the path's first id names, if there is one (call it holding the lock)."""
    return request.state.jobs.get(int_id(request.ids[0]) or -1)
