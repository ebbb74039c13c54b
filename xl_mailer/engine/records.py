"""The journal's file format: one JSON object per line, what each kind of record must
hold, and how a line becomes a record and back. A line a crash cut short reads as no record.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xl_mailer.core.errors import JournalError
from xl_mailer.core.models import Outcome, utc_now
from xl_mailer.engine.entries import Sent


def settled_line(key: str, sent: Sent, held_in: Path) -> bytes:
    """The record a request key forgotten by compaction leaves: the file that holds its job."""
    record = {
        "e": "settled",
        "key": key,
        "row": sent.row,
        "digest": sent.digest,
        "job": sent.job_id,
        "path": str(held_in),
        "at": stamp(None),
    }
    return line_of(record)


def line_of(record: dict[str, Any]) -> bytes:
    """A record as one line of the journal."""
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def stamp(at: dt.datetime | None) -> str:
    """A time for a record: ``at`` (UTC, naive), else now; ISO text to the second."""
    if at is None:
        at = utc_now()
    return at.isoformat(timespec="seconds")


def parse_time(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


def optional_int(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def row_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


OUTCOMES = {o.value for o in Outcome}
FIELDS: dict[str, dict[str, tuple[Callable[[object], bool], str]]] = {
    "send": {
        "key": (is_text, "a request key"),
        "row": (row_number, "a row number"),
        "digest": (is_text, "a digest of the row's values"),
    },
    "result": {
        "key": (is_text, "a request key"),
        "outcome": (lambda v: v in OUTCOMES, "one of " + ", ".join(sorted(OUTCOMES))),
        "job": (optional_int, "a job id (a whole number) or null"),
        "http": (optional_int, "an HTTP status or null"),
        "code": (optional_int, "a return code or null"),
        "text": (lambda v: isinstance(v, str), "the description, as text"),
    },
    "withdrawn": {"key": (is_text, "a request key")},
    "released": {"key": (is_text, "a request key"), "job": (optional_int, "a job id or null")},
    "path": {"path": (is_text, "a file path")},
    "saved": {"path": (is_text, "a file path"), "sha": (is_text, "a fingerprint")},
    "read": {"path": (is_text, "a file path"), "sha": (is_text, "a fingerprint")},
    "settled": {
        "key": (is_text, "a request key"),
        "row": (row_number, "a row number"),
        "digest": (is_text, "a digest of the row's values"),
        "job": (optional_int, "a job id (a whole number) or null"),
        "path": (is_text, "a file path"),
    },
}
"""Each kind of record, its fields, and what each must hold."""


def check(
    path: Path,
    number: int,
    record: dict[str, Any],
    fields: dict[str, tuple[Callable[[object], bool], str]],
) -> bool:
    """True, or JournalError naming the line, the field and what it must hold."""
    for name, (valid, meaning) in fields.items():
        if not valid(record.get(name)):
            found = "is missing" if name not in record else f"is {json.dumps(record[name])}"
            raise JournalError(
                path,
                f"line {number} ({record.get('e')} record): {name!r} {found}, but must be"
                f" {meaning}. The journal is a text file with one record per line: correct that"
                " line in a text editor (keep the file and every other line as they are), then"
                " run again",
            )
    return True


def parse_record(line: str | bytes) -> dict[str, Any]:
    """One journal line as a record; {} for a line a crash cut short (or that is not one)."""
    try:
        record = json.loads(line)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}
