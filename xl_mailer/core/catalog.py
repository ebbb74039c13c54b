"""The Click2Mail product catalog: which option values go together.

One place for the data (``data/catalog.json``, from API.md section 4), used by
validation, by the template's dropdowns, by the UDFs and by the sandbox.
Accounts differ, so a user can merge in a catalog file of their own.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from xl_mailer.core.errors import ConfigurationError
from xl_mailer.core.models import OPTION_PARAMS

CLASS_FIELDS: tuple[str, ...] = tuple(p for p in OPTION_PARAMS if p != "documentClass")
"""Option fields whose allowed values depend on the documentClass."""


@dataclass(frozen=True)
class Catalog:
    """Allowed option values per documentClass; option strings are exact."""

    classes: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "catalog") -> Catalog:
        """Build a catalog from the JSON shape of ``catalog.json``.

        Raises ConfigurationError when the shape is wrong.
        """
        raw = data.get("documentClasses") if isinstance(data, Mapping) else None
        if not isinstance(raw, Mapping):
            raise ConfigurationError(f"{source}: expected an object with 'documentClasses'")
        classes: dict[str, dict[str, tuple[str, ...]]] = {}
        for name, options in raw.items():
            if not isinstance(options, Mapping):
                raise ConfigurationError(f"{source}: '{name}' must map fields to lists")
            entry: dict[str, tuple[str, ...]] = {}
            for key, values in options.items():
                if key not in CLASS_FIELDS:
                    raise ConfigurationError(
                        f"{source}: '{name}' has unknown field '{key}'"
                        f" (expected one of {', '.join(CLASS_FIELDS)})"
                    )
                if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                    raise ConfigurationError(f"{source}: '{name}'.'{key}' must be a list of text")
                entry[key] = tuple(values)
            classes[str(name)] = entry
        return cls(classes=classes)

    @classmethod
    def load(cls, path: str | Path) -> Catalog:
        """Read a catalog file. Raises ConfigurationError when it cannot be read."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"Cannot read catalog file {path}: {exc}") from exc
        return cls.from_mapping(data, source=str(path))

    def merged(self, other: Catalog) -> Catalog:
        """Return this catalog extended by ``other``: new classes and new values are added."""
        classes = {name: dict(fields) for name, fields in self.classes.items()}
        for name, fields in other.classes.items():
            target = classes.setdefault(name, {})
            for key, values in fields.items():
                known = target.get(key, ())
                target[key] = known + tuple(v for v in values if v not in known)
        return Catalog(classes=classes)

    @property
    def document_classes(self) -> tuple[str, ...]:
        return tuple(self.classes)

    def allowed(self, field_name: str, document_class: str | None = None) -> tuple[str, ...]:
        """Allowed values of a field; for every class (in first-seen order) when none is given."""
        if field_name == "documentClass":
            return self.document_classes
        if document_class is not None:
            return self.classes.get(document_class, {}).get(field_name, ())
        seen: dict[str, None] = {}
        for fields in self.classes.values():
            for value in fields.get(field_name, ()):
                seen.setdefault(value, None)
        return tuple(seen)

    def check(self, values: Mapping[str, str]) -> list[str]:
        """Return one message per option value the catalog does not allow (empty when all fit).

        ``values`` maps parameter names to the text that would be sent; a field
        that is absent is not checked (a missing required value is reported elsewhere).
        """
        problems: list[str] = []
        document_class = values.get("documentClass")
        if document_class is None:
            return problems
        if document_class not in self.classes:
            problems.append(_not_allowed("documentClass", document_class, self.document_classes))
            return problems
        fields = self.classes[document_class]
        for name in CLASS_FIELDS:
            if name not in values or name not in fields:
                continue
            value = values[name]
            allowed = fields[name]
            if value in allowed:
                continue
            if value == "" and name != "envelope":
                continue
            problems.append(_not_allowed(name, value, allowed, document_class=document_class))
        return problems


def _not_allowed(
    name: str, value: str, allowed: Sequence[str], *, document_class: str | None = None
) -> str:
    """Word a refusal: the column, the value, and the nearest allowed value or the list."""
    scope = f" for {document_class!r}" if document_class else ""
    if name == "envelope" and value == "":
        return f"envelope is empty, but {document_class!r} needs one of: {_listing(allowed)}"
    if allowed == ("",):
        return f"{name} {value!r} is not allowed{scope}: leave {name} empty (no envelope)"
    nearest = nearest_value(value, allowed)
    if nearest is not None and _squash(nearest) == _squash(value):
        # a suggestion that looks like what was typed helps no one: say what differs
        return (
            f"{name} {value!r} differs from Click2Mail's {nearest!r}:"
            f" {'; '.join(slight_differences(value, nearest))}"
        )
    if nearest is not None:
        return f"{name} {value!r} is not allowed{scope}; did you mean {nearest!r}?"
    return f"{name} {value!r} is not allowed{scope}; allowed: {_listing(allowed)}"


def _listing(values: Sequence[str]) -> str:
    shown = [repr(v) for v in values if v][:12]
    more = len([v for v in values if v]) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


_COUNTS = {1: "one", 2: "two", 3: "three", 4: "four"}
_SPACES = {" ": "space", "\t": "tab", "\u00a0": "non-breaking space"}


def _gap(text: str) -> str:
    """The white space between two words, in words: "one space", "two spaces", "a tab"."""
    if len(set(text)) != 1:
        return "unusual white space (" + ", ".join(f"U+{ord(c):04X}" for c in text) + ")"
    kind = _SPACES.get(text[0], f"space character U+{ord(text[0]):04X}")
    if len(text) > 1:
        return f"{_COUNTS.get(len(text), str(len(text)))} {kind}s"
    return "one space" if kind == "space" else f"a {kind}"


def slight_differences(value: str, meant: str) -> list[str]:
    """What to change in ``value`` to get ``meant`` when the two differ only in case or in
    the white space between words, in words a person can act on:
    "has two spaces after 'Letter' (Click2Mail's has one)", "write 'Letter' with a capital L".
    """
    typed, wanted = value.split(), meant.split()
    fixes: list[str] = []
    typed_gaps = re.findall(r"\s+", value.strip())
    wanted_gaps = re.findall(r"\s+", meant.strip())
    for index, (mine, theirs) in enumerate(zip(typed_gaps, wanted_gaps, strict=False)):
        if mine != theirs:
            fixes.append(
                f"it has {_gap(mine)} after {typed[index]!r} (Click2Mail's has {_gap(theirs)})"
            )
    for mine, theirs in zip(typed, wanted, strict=False):
        if mine != theirs:
            fixes.append(_case_fix(mine, theirs))
    if value != value.strip():
        fixes.append("remove the spaces around it")
    return fixes or [f"write it exactly as {meant!r}"]


def _case_fix(typed: str, wanted: str) -> str:
    changed = [i for i, (a, b) in enumerate(zip(typed, wanted, strict=False)) if a != b]
    if len(typed) == len(wanted) and changed == [0] and wanted[0].isupper():
        return f"write {wanted!r} with a capital {wanted[0]}"
    if len(typed) == len(wanted) and changed == [0]:
        return f"write {wanted!r} with a small {wanted[0]}"
    return f"write {wanted!r}, not {typed!r}"


def nearest_value(value: str, allowed: Sequence[str]) -> str | None:
    """The allowed value a typo most likely meant, or None when nothing is close.

    Values that differ only in case or spacing win outright, because that is
    the commonest slip (and the catalog's own two-space name invites it).
    """
    squashed = _squash(value)
    for candidate in allowed:
        if candidate and _squash(candidate) == squashed:
            return candidate
    by_squash = {_squash(c): c for c in allowed if c}
    close = difflib.get_close_matches(squashed, list(by_squash), n=1, cutoff=0.6)
    return by_squash[close[0]] if close else None


def default_catalog() -> Catalog:
    """The catalog shipped with xl-mailer (Click2Mail's C# SDK, 2024)."""
    text = resources.files("xl_mailer").joinpath("data/catalog.json").read_text(encoding="utf-8")
    return Catalog.from_mapping(json.loads(text), source="built-in catalog")
