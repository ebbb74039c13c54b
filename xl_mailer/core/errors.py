"""The one exception tree of xl-mailer: every exception it defines lives here.

    Exception
    ├── XlMailerError               every error xl-mailer raises on purpose; safe to show
    │   ├── ConfigurationError      bad settings or options: the run cannot start
    │   │   ├── CredentialsMissing  no username or password was found
    │   │   └── InsecureEndpoint    plain HTTP to a host that is not this machine
    │   ├── WorkbookError           a workbook that cannot be read or written
    │   │   ├── JournalError        a journal that cannot be read, or was changed under a run
    │   │   ├── UnclaimedJobs       jobs the journal holds that no row claims: a person decides
    │   │   └── SheetLayoutError    no usable header row, or no room for the result columns
    │   ├── DecisionError           a decision about an unclaimed job that cannot be carried out
    │   ├── ApiError                Click2Mail answered in a way that stops the run
    │   │   └── AuthenticationError HTTP 401, or 400 / 9 "Not authenticated"
    │   └── TransportError          the server could not be reached at all: nothing answered
    ├── ValueError
    │   ├── CellError               a cell that cannot become a parameter: a row problem
    │   └── NotADocument            bytes that are not an XML document the client will read
    └── JournalFailed               a batch of send records could not be written: none was sent

A problem with one row is never an exception that stops a run: it is data (a
``JobResult``) that the run writes next to the row. ``CellError`` and
``NotADocument`` are raised and caught inside one layer on the way to that
data, and ``JournalFailed`` stays inside the send loop, which stops on it; so
none of the three is an ``XlMailerError``. Only problems that concern the whole
run raise one, and every message is safe to show: no password, no
Authorization header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xl_mailer.core.models import JobRequest


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


class SheetLayoutError(WorkbookError):
    """The sheet has no usable header row, or its result columns cannot be placed."""


class DecisionError(XlMailerError):
    """A decision about an unclaimed job that cannot be carried out as asked."""


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
    """The endpoint could not be reached (refused, DNS, TLS) for a whole-run call.

    Not an ApiError: nothing answered, so there is no status to report.
    """


class CellError(ValueError):
    """A cell whose value cannot become a parameter; the message names the column."""


class NotADocument(ValueError):
    """Bytes that are not an XML document ``xmlanswers`` will read; the message says what came."""


class JournalFailed(Exception):
    """The send records of ``batch`` could not be written: none of those rows was sent."""

    def __init__(self, batch: list[JobRequest], cause: BaseException) -> None:
        super().__init__(str(cause))
        self.batch = batch
