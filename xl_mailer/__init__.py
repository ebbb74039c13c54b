"""xl-mailer: create Click2Mail print-and-mail jobs from Excel rows.

The public names: the values a run works with and the exceptions it raises. The
layers are described in docs/architecture.md; what workbooks call lives in
``xl_mailer.ribbon`` and ``xl_mailer.udfs``, the command in ``xl_mailer.cli``.
"""

from __future__ import annotations

from xl_mailer import _python  # noqa: F401  (on a Python older than 3.11: says so, stops)

# isort: split
from xl_mailer.core.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    CredentialsMissing,
    DecisionError,
    InsecureEndpoint,
    JournalError,
    SheetLayoutError,
    TransportError,
    UnclaimedJobs,
    WorkbookError,
    XlMailerError,
)
from xl_mailer.core.models import JobRequest, JobResult, Outcome

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "CredentialsMissing",
    "DecisionError",
    "InsecureEndpoint",
    "JobRequest",
    "JobResult",
    "JournalError",
    "Outcome",
    "SheetLayoutError",
    "TransportError",
    "UnclaimedJobs",
    "WorkbookError",
    "XlMailerError",
    "__version__",
]
