"""The embedded Click2Mail sandbox: a practice wing that only the entry points that start it
import (``click2mail.connection`` for the ``sandbox`` endpoint, the command line)."""

from xl_mailer.sandbox.server import (
    FAULTS,
    PASSWORD,
    USERNAME,
    Sandbox,
    SandboxConfig,
    SandboxState,
)

__all__ = ["FAULTS", "PASSWORD", "USERNAME", "Sandbox", "SandboxConfig", "SandboxState"]
