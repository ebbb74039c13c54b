"""What an answer from Click2Mail means before any one call reads it: the one table.

Each row matches an HTTP status (and, where it matters, the Click2Mail
``<status>`` and ``<description>``) and says what the answer means: whether it
is asked again, which error class stops a call that cannot read it, and what a
create gets instead of having its document read. The first matching row wins.

``POST /jobs`` reads every answer but a refused login and a 429 into the row's
outcome (``core.outcomes.create_outcome``); each GET names the verdicts it reads
and stops the run with the row's error class on any other.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from xl_mailer.click2mail.xmlanswers import Document
from xl_mailer.core.errors import ApiError, AuthenticationError

ANY_STATUS = range(100, 1000)
"""Every status an HTTP answer can carry."""


class Verdict(enum.Enum):
    """What an answer means, whichever call it answers."""

    REFUSED = "the username or password was refused"
    THROTTLED = "too many requests"
    ERROR = "an error status"
    OK = "200 OK"
    OTHER = "another status below 400"


@dataclass(frozen=True)
class Rule:
    """One row of ``TABLE``."""

    http: range
    verdict: Verdict
    error: type[ApiError] = ApiError
    """What a call raises when it does not read answers with this verdict."""
    code: int | None = None
    """The Click2Mail ``<status>`` the row needs, when the HTTP status is not enough."""
    description: str = ""
    """With ``code``: the ``<description>`` the row needs, compared without case."""
    retried: bool = False
    """Asked again (after the pause the server asks for) while attempts last."""
    refusal: str = ""
    """A create with this verdict fails with this text: nothing was made."""

    def matches(self, http_status: int, document: Document | None) -> bool:
        if http_status not in self.http:
            return False
        if self.code is None:
            return True
        return (
            document is not None
            and document.int_field("status") == self.code
            and document.fields.get("description", "").strip().lower() == self.description
        )


TABLE: tuple[Rule, ...] = (
    Rule(range(401, 402), Verdict.REFUSED, AuthenticationError),
    Rule(ANY_STATUS, Verdict.REFUSED, AuthenticationError, code=9, description="not authenticated"),
    Rule(
        range(429, 430),
        Verdict.THROTTLED,
        retried=True,
        refusal="Not created: Click2Mail kept answering 429 Too Many Requests; send again later",
    ),
    Rule(range(400, 1000), Verdict.ERROR),
    Rule(range(200, 201), Verdict.OK),
    Rule(ANY_STATUS, Verdict.OTHER),
)


def judge(http_status: int, document: Document | None) -> Rule:
    """The first row of ``TABLE`` that matches an answer (a body that is no document
    matches only the rows that look at the HTTP status alone)."""
    return next(rule for rule in TABLE if rule.matches(http_status, document))
