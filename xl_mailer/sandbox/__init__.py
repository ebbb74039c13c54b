"""The embedded Click2Mail sandbox: a practice wing that only the entry points that start it
import (``click2mail.connection`` for the ``sandbox`` endpoint, the command line).

What each call answers is in ``xl_mailer.sandbox.server``'s docstring."""

from xl_mailer.sandbox.server import Sandbox
from xl_mailer.sandbox.state import (
    CALLS,
    FAULTS,
    PASSWORD,
    USERNAME,
    ManualClock,
    SandboxConfig,
    SandboxState,
)

__all__ = [
    "CALLS",
    "FAULTS",
    "PASSWORD",
    "USERNAME",
    "ManualClock",
    "Sandbox",
    "SandboxConfig",
    "SandboxState",
]
