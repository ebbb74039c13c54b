from __future__ import annotations

import datetime as dt

from xl_mailer.core.keys import key_date, key_time, new_key


def test_request_keys_are_unique_and_say_when_they_were_made() -> None:
    made = dt.datetime(2026, 11, 28, 13, 45, tzinfo=dt.UTC)
    assert key_date(new_key(made)) == dt.date(2026, 11, 28)
    assert key_time(new_key(made)) == made
    assert len(new_key()) == 25
    assert len({new_key() for _ in range(1000)}) == 1000
