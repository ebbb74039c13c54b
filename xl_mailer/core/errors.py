"""The one exception tree of xl-mailer.

    XlMailerError
    ├── ConfigurationError        bad settings or options: the run cannot start
    │   ├── CredentialsMissing    no username or password was found
    │   └── InsecureEndpoint      plain HTTP to a host that is not this machine
    ├── WorkbookError             a workbook that cannot be read or written
    │   ├── JournalError          a journal that cannot be read, or was changed under a run
    │   └── UnclaimedJobs         jobs the journal holds that no row claims: a person decides
    ├── ApiError                  Click2Mail answered in a way that stops the run
    │   └── AuthenticationError   HTTP 401, or 400 / 9 "Not authenticated"
    └── TransportError            the server could not be reached at all: nothing answered

A problem with one row is never an exception: it is data (a ``JobResult``)
that the run writes next to the row. Only problems that concern the whole run
raise, and every message is safe to show: no password, no Authorization header.
"""

from __future__ import annotations


class XlMailerError(Exception):
    """Base class of every error xl-mailer raises on purpose."""


class ConfigurationError(XlMailerError):
    """The settings or options do not allow a run to start."""


class CredentialsMissing(ConfigurationError):
    """No username or password could be found for the endpoint."""


class InsecureEndpoint(ConfigurationError):
    """An endpoint that would send the password over plain HTTP to another machine."""


class WorkbookError(XlMailerError):
    """A workbook that cannot be read or written; the file is left unchanged."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class JournalError(WorkbookError):
    """A workbook's journal cannot be read as it is, or was deleted, replaced or cut short
    while a run was writing it. The message names the file, the line and what to do."""


class UnclaimedJobs(WorkbookError):
    """The journal holds jobs (or requests that may have made one) that no row of the
    workbook claims any more: nothing new is sent until each is attached to a row or
    released with ``xl-mailer unclaimed``."""

    def __init__(self, path: object, reason: str, entries: object = ()) -> None:
        super().__init__(path, reason)
        self.entries = entries


class ApiError(XlMailerError):
    """Click2Mail answered in a way that stops the whole run.

    Carries what a support call needs: the HTTP status, the Click2Mail status
    code, its description and a short snippet of the body.
    """

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        description: str = "",
        body_snippet: str = "",
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.description = description
        self.body_snippet = body_snippet


class AuthenticationError(ApiError):
    """Click2Mail refused the username or password; nothing more is sent."""


class TransportError(XlMailerError):
    """The endpoint could not be reached (refused, DNS, TLS) for a whole-run call."""
