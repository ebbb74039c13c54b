"""xl-mailer: create Click2Mail print-and-mail jobs from Excel rows."""

from __future__ import annotations

__version__ = "0.1.0"
