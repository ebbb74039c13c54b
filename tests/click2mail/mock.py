"""A transport that answers the client from memory (as httpx's MockTransport does), and a
clock that moves only when the client sleeps: client tests neither open sockets nor wait."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from xl_mailer.click2mail.client import Click2MailClient

BASE_URL = "https://c2m.example/molpro"


@dataclass(frozen=True)
class Reply:
    """One prepared answer."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


class MockTransport:
    """Session-like: prepares each request as a ``requests.Session`` would (headers, auth,
    form body), keeps it in ``sent``, then answers with the next of ``answers`` (the last
    one again once they run out). An exception among them is raised instead."""

    def __init__(self, *answers: Reply | BaseException) -> None:
        self.answers = list(answers)
        self.sent: list[requests.PreparedRequest] = []
        self.options: list[dict[str, object]] = []
        self.closed = False

    def request(self, method: str, url: str, **options: Any) -> requests.Response:
        prepared = requests.Request(
            method,
            url,
            params=options.pop("params"),
            data=options.pop("data"),
            headers=dict(options.pop("headers")),
            auth=options.pop("auth"),
        ).prepare()
        self.sent.append(prepared)
        self.options.append(options)  # what is left: timeout, streaming, redirects
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(answer.headers)
        response.raw = io.BytesIO(answer.body)
        response.request = prepared
        response.url = url
        return response

    def close(self) -> None:
        self.closed = True


class FakeTime:
    """A monotonic clock that moves only when ``sleep`` is called; ``slept`` lists the pauses."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def mock_client(
    transport: MockTransport,
    time: FakeTime | None = None,
    *,
    password: str = "p",
    max_attempts: int = 5,
) -> Click2MailClient:
    """A client whose answers come from ``transport`` and whose pauses take no time."""
    time = time or FakeTime()
    return Click2MailClient(
        BASE_URL,
        "u",
        password,
        max_attempts=max_attempts,
        transport=transport,
        sleep=time.sleep,
        clock=time.monotonic,
    )
