"""Request keys: what each row is sent with as ``appSignature``, so that its job can be found.

A key is ``xlm-YYMMDDHHMM-xxxxxxxxxx``: the minute it was made (UTC) and ten
random letters. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable

from xl_mailer.core.errors import XlMailerError

KEY_PREFIX = "xlm"
_KEY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
KEY_LETTERS = 10  # 50 random bits: 100,000 keys made in one minute share one about 1 in 225,000
# each random byte becomes one of the 32 letters; 256 is a multiple of 32, so all are equally likely
_KEY_LETTERS = bytes(ord(_KEY_ALPHABET[b % len(_KEY_ALPHABET)]) for b in range(256))
_SHAPE = re.compile(r"xlm-\d{10}-[a-z2-9]{10}")


def is_key(text: str) -> bool:
    """Whether ``text`` is a whole request key of ours (not cut short, not changed)."""
    return _SHAPE.fullmatch(text) is not None


def new_key(now: dt.datetime | None = None) -> str:
    """A request key: short enough for ``appSignature``, stamped with the minute it was made
    (UTC) so reconciliation knows where and how long to look, random so no two rows share one."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%y%m%d%H%M")
    tail = secrets.token_bytes(KEY_LETTERS).translate(_KEY_LETTERS).decode("ascii")
    return f"{KEY_PREFIX}-{stamp}-{tail}"


def unique_keys(make_key: Callable[[], str], taken: set[str]) -> Callable[[], str]:
    """``make_key``, never repeating a key of ``taken`` or one it gave before: two rows with
    one key would share a job id in the journal and in reconciliation."""

    def unique() -> str:
        for _ in range(100):
            key = make_key()
            if key not in taken:
                taken.add(key)
                return key
        raise XlMailerError("could not make a request key that is not in use; check make_key")

    return unique


def key_time(key: str) -> dt.datetime | None:
    """The minute (UTC) a request key was made, or None for a key that is not one of ours."""
    parts = key.split("-")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    try:
        return dt.datetime.strptime(parts[1], "%y%m%d%H%M").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def key_date(key: str) -> dt.date | None:
    """The day (UTC) a request key was made."""
    made = key_time(key)
    return made.date() if made else None
