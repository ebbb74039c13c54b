"""docs/reliability.md is written by two scripts: the fault table owns the top, the attack
harness the part after ``MARKER``. Each rewrites its own part and keeps the other's."""

from __future__ import annotations

from pathlib import Path

MARKER = "<!-- attacks: written by bench/attacks.py -->"


def write_top(path: Path, text: str) -> None:
    """Write ``text`` as the file's top part, keeping the attack section if there is one."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = old[old.index(MARKER) :] if MARKER in old else ""
    path.write_text(text.rstrip("\n") + "\n\n" + kept if kept else text, encoding="utf-8")


def write_attacks(path: Path, text: str) -> None:
    """Write ``text`` as the file's attack section, keeping the top part."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    top = old[: old.index(MARKER)] if MARKER in old else old
    head = top.rstrip("\n") + "\n\n" if top.strip() else ""
    path.write_text(head + MARKER + "\n\n" + text, encoding="utf-8")
