"""``python -m xl_mailer.cli``: the ``xl-mailer`` command (``xl_mailer.headless.cli``)."""

from __future__ import annotations

import sys

from xl_mailer.headless.cli import main

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
