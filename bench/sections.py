"""Documents written in parts by several scripts.

Each part but the first starts at its marker line (an HTML comment, which Markdown does not
show) and runs to the next marker; the part before the first marker is the top. A script
rewrites its own part, reading the file right before it writes it, and keeps the others, in
the order their markers are listed:

- docs/reliability.md: the fault table (bench/fault_table.py) owns the top, the attack
  harness (bench/attacks.py) the part after ``ATTACKS``;
- docs/benchmarks.md: bench/bench.py owns the top, ``bench.py --reference`` the part after
  ``REFERENCE``, bench/mailing_bench.py the part after ``MAILING``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

ATTACKS = "<!-- attacks: written by bench/attacks.py -->"
RELIABILITY = (ATTACKS,)
REFERENCE = "<!-- reference: written by bench/bench.py --reference -->"
MAILING = "<!-- mailing: written by bench/mailing_bench.py -->"
BENCHMARKS = (REFERENCE, MAILING)


def split(text: str, markers: Sequence[str]) -> dict[str | None, str]:
    """The parts of ``text``: the top under None, each marker's part (marker line included)
    under its marker; a marker absent from ``text`` has no part."""
    found = sorted((text.index(m), m) for m in markers if m in text)
    parts: dict[str | None, str] = {None: text[: found[0][0]] if found else text}
    for number, (start, marker) in enumerate(found):
        end = found[number + 1][0] if number + 1 < len(found) else len(text)
        parts[marker] = text[start:end]
    return parts


def write_part(path: Path, marker: str | None, text: str, markers: Sequence[str]) -> None:
    """Write ``text`` as the part of ``path`` that ``marker`` starts (None: the top),
    keeping the other parts; ``markers`` lists every part's marker in the file's order."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    parts = split(old, markers)
    if marker is not None and not text.startswith(marker):
        text = f"{marker}\n\n{text}"
    parts[marker] = text
    kept = [parts[key].strip("\n") for key in (None, *markers) if parts.get(key, "").strip()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(kept) + "\n", encoding="utf-8")


def write_top(path: Path, text: str) -> None:
    """docs/reliability.md's top: the fault table."""
    write_part(path, None, text, RELIABILITY)


def write_attacks(path: Path, text: str) -> None:
    """docs/reliability.md's attack section."""
    write_part(path, ATTACKS, text, RELIABILITY)
