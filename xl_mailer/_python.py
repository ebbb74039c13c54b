"""Say plainly that xl-mailer needs Python 3.11 or newer, before anything that needs it loads.

The package imports this module first. It is written for any Python 3.7 or newer (no newer
syntax or names), so that an older Python reads it and stops with these words instead of a
SyntaxError or an ImportError from deep inside a dependency.
"""

from __future__ import annotations

import sys

REQUIRED = (3, 11)


def problem(version: tuple[int, ...], executable: str) -> str | None:
    """The words for a Python too old for xl-mailer; None when ``version`` will do."""
    if tuple(version[:2]) >= REQUIRED:
        return None
    found = ".".join(str(part) for part in version[:3])
    return (
        f"xl-mailer needs Python {REQUIRED[0]}.{REQUIRED[1]} or newer, but this is Python"
        f" {found} ({executable or 'python'}). Install Python {REQUIRED[0]}.{REQUIRED[1]} or"
        " newer (from python.org), then install xl-mailer again with that Python, e.g."
        f" 'py -{REQUIRED[0]}.{REQUIRED[1]} -m pip install xl-mailer' on Windows or"
        f" 'python{REQUIRED[0]}.{REQUIRED[1]} -m pip install xl-mailer' on macOS."
    )


_TOO_OLD = problem(tuple(sys.version_info[:3]), sys.executable)
if _TOO_OLD is not None:
    raise SystemExit(_TOO_OLD)  # the message alone, no traceback
