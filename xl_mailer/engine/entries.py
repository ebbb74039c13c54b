"""What a journal knows, as values: one request key's entry, a release, a job a file held,
a path a run worked on; and how entries find their rows in a sheet."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from xl_mailer.core.models import JobResult, Outcome

WHAT = ("documentId", "addressId")
"""What a send record also keeps of its row, to show a person which mailing a job is."""


def digest(params: Iterable[tuple[str, str]]) -> str:
    """A short fingerprint of a row's parameters (the request key itself left out)."""
    text = "\n".join(f"{k}={v}" for k, v in params if k != "appSignature")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Entry:
    """What the journal knows of one request key: the row it was sent for and what came back.

    ``sent_from`` is when its send record was written (the request cannot have left
    before); ``result.sent_at`` when its last attempt ended, None when the run that
    sent it stopped before an answer.
    """

    key: str
    row: int
    digest: str
    result: JobResult
    sent_from: dt.datetime | None = None
    line: int = 0  # of its send record, for messages
    released: bool = False  # a person said no row of this workbook claims it
    ids: tuple[str | None, ...] = ()  # the row's documentId and addressId when it was sent
    file: str | None = None  # for a job a file held when the journal forgot it: that file

    @property
    def may_have_made_a_job(self) -> bool:
        return self.result.job_id is not None or self.result.outcome is Outcome.UNKNOWN


class Sent(NamedTuple):
    """What compaction needs of one request key's entry, and no more: the row and digest of
    its send record, the job id its answer gave, and whether it is UNKNOWN (sent, and no
    clean answer). A few small values per key, where an ``Entry`` holds a whole result."""

    row: int
    digest: str
    job_id: int | None
    unknown: bool

    @property
    def may_have_made_a_job(self) -> bool:
        return self.job_id is not None or self.unknown

    @classmethod
    def of(cls, entry: Entry) -> Sent:
        result = entry.result
        return cls(entry.row, entry.digest, result.job_id, result.outcome is Outcome.UNKNOWN)


@dataclass(frozen=True)
class Release:
    """A job a person said this workbook does not claim (``xl-mailer unclaimed --release``)."""

    key: str
    job_id: int | None
    why: str
    at: dt.datetime | None


@dataclass(frozen=True)
class Settled:
    """A job that the file at ``path`` held when the journal forgot its request."""

    key: str
    row: int
    digest: str
    job_id: int | None  # None: a request whose answer was lost (the file shows it UNKNOWN)
    path: str
    line: int = 0


@dataclass(frozen=True)
class PathSeen:
    """A file that a run worked on as this workbook; one run's paths are one logical book."""

    path: str
    run: str
    role: str  # "run" (the file itself), "source" or "output" of an --output run


def match_rows(
    entries: Sequence[Entry], digests: dict[int, str], keys: dict[int, str]
) -> tuple[list[tuple[int, Entry]], list[Entry]]:
    """Find the sheet row of each entry: by request key, else same row and same parameters,
    else the one row with the same parameters. Returns (matches, entries with no row)."""
    by_key = {key: row for row, key in keys.items()}
    by_digest: dict[str, list[int]] = {}
    for row, value in digests.items():
        by_digest.setdefault(value, []).append(row)
    matched: list[tuple[int, Entry]] = []
    orphans: list[Entry] = []
    for entry in entries:
        if entry.key in by_key:
            matched.append((by_key[entry.key], entry))
        elif digests.get(entry.row) == entry.digest:
            matched.append((entry.row, entry))
        elif len(by_digest.get(entry.digest, [])) == 1:
            matched.append((by_digest[entry.digest][0], entry))
        else:
            orphans.append(entry)
    return matched, orphans
