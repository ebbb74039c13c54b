"""How reconcile settles a row from Click2Mail's listing: its job, safe to send again, or still
UNKNOWN when the listing cannot tell."""

from __future__ import annotations

import datetime as dt

import pytest

from xl_mailer.app.reconcile import Pending, own_signature_rivals, settle, start_date
from xl_mailer.core.models import Outcome

from ..conftest import LETTER

SENT = dt.datetime(2026, 11, 28, 10, 0, 0)  # UTC, naive, as the Sent (UTC) column holds it


def pending(key: str | None, **params: str) -> Pending:
    base = {k: str(v) for k, v in LETTER.items()}
    base.update(params)
    items = tuple(base.items()) + ((("appSignature", key),) if key else ())
    return Pending(7, key, items, SENT, SENT + dt.timedelta(seconds=30))


def made(minutes: float) -> str:
    """A listing's createdDate this many minutes after SENT."""
    return (SENT + dt.timedelta(minutes=minutes)).isoformat()


LISTED = {k: str(v) for k, v in LETTER.items()}


@pytest.mark.parametrize(
    ("row", "jobs", "outcome", "text"),
    [
        (
            pending("k1"),
            [{**LISTED, "id": "5", "appSignature": "k1"}],
            Outcome.CREATED,
            "Reconciled: job 5 exists at Click2Mail",
        ),
        (
            pending("k1"),
            [{**LISTED, "id": "5", "appSignature": "k2"}],
            Outcome.FAILED,
            "Safe to send again: Click2Mail has no job with request key k1 (checked 2026-11-28)",
        ),
        (pending("k1"), [], Outcome.FAILED, "Safe to send again"),
        (
            pending("k1"),
            [{**LISTED, "id": "5", "appSignature": "k1", "addressId": "2002"}],
            Outcome.UNKNOWN,
            "UNKNOWN: job(s) 5 carry this row's request key but other parameters",
        ),
        (
            pending("k1"),
            [
                {**LISTED, "id": "5", "appSignature": "k1"},
                {**LISTED, "id": "6", "appSignature": "k1"},
            ],
            Outcome.UNKNOWN,
            "UNKNOWN: 2 jobs at Click2Mail match this row (5, 6)",
        ),
        (
            pending(None),
            [{**LISTED, "id": "8", "createdDate": made(1)}],
            Outcome.CREATED,
            "Reconciled: job 8",
        ),
        (
            pending(None),
            [
                {**LISTED, "id": "8", "createdDate": made(1)},
                {**LISTED, "id": "9", "createdDate": made(2)},
            ],
            Outcome.UNKNOWN,
            "UNKNOWN: 2 jobs at Click2Mail match this row",
        ),
        (  # item 6: an earlier job with the same values is not this row's
            pending(None),
            [{**LISTED, "id": "4", "createdDate": made(-60)}],
            Outcome.FAILED,
            "Safe to send again: Click2Mail has no job with these parameters",
        ),
        (  # made about when the row left: cannot be told apart
            pending(None),
            [{**LISTED, "id": "4", "createdDate": made(0)}],
            Outcome.UNKNOWN,
            "UNKNOWN: job 4 has this row's values and appSignature and was made about when",
        ),
        (  # a listing that does not say when its jobs were made proves nothing
            pending(None),
            [{**LISTED, "id": "4"}],
            Outcome.UNKNOWN,
            "UNKNOWN: Click2Mail's listing does not say when its jobs were made",
        ),
        (  # a job another row holds is not this row's
            pending(None),
            [{**LISTED, "id": "77", "createdDate": made(1)}],
            Outcome.FAILED,
            "Safe to send again",
        ),
        (
            pending(None),
            [{"id": "3", "appSignature": "xlm-x", "documentClass": "Other"}],
            Outcome.FAILED,
            "Safe to send again: Click2Mail has no job with these parameters",
        ),
    ],
)
def test_settle_decides_from_the_listing(
    row: Pending, jobs: list[dict[str, str]], outcome: Outcome, text: str
) -> None:
    long_after = dt.datetime(2026, 11, 28, 23, 0)
    claimed = {77: "row 3"}
    result = settle(row, jobs, dt.date(2026, 11, 28), now=long_after, claimed=claimed)
    assert result.outcome is outcome
    assert result.description.startswith(text)


def test_the_listing_starts_a_day_before_the_earliest_send() -> None:
    today = dt.date(2026, 11, 28)
    keys = [
        Pending(1, "k1", (), dt.datetime(2026, 11, 20, 10, 0)),
        Pending(2, "k2", (), dt.datetime(2026, 11, 25, 23, 59)),
    ]
    assert start_date(keys, today) == dt.date(2026, 11, 19)
    assert start_date([Pending(1, None, ())], today) == dt.date(2026, 11, 20)


def test_a_listing_without_app_signature_never_declares_a_row_safe() -> None:
    row = Pending(7, "xlm-2611281000-aaaaaa", tuple(LISTED.items()), SENT, SENT)
    listing = [{"id": "777", **LISTED}]
    later = dt.datetime(2026, 11, 29)
    result = settle(row, listing, later.date(), now=later)
    assert result.outcome is Outcome.UNKNOWN
    assert "does not show appSignature" in result.description


def test_a_row_is_not_declared_safe_while_its_job_may_still_be_in_the_making() -> None:
    # the key was made at 10:00, but the request last left at 10:04:10 (a 429 pause)
    row = Pending(
        7,
        "xlm-2611281000-aaaaaa",
        tuple(LISTED.items()),
        SENT,
        dt.datetime(2026, 11, 28, 10, 4, 10),
    )
    soon = dt.datetime(2026, 11, 28, 10, 6)
    result = settle(row, [], soon.date(), now=soon)
    assert result.outcome is Outcome.UNKNOWN
    assert "reconcile again after 2026-11-28 10:09:10 UTC" in result.description
    later = dt.datetime(2026, 11, 28, 10, 9, 10)
    assert settle(row, [], later.date(), now=later).outcome is Outcome.FAILED


def test_a_job_two_rows_with_their_own_signature_could_claim_goes_to_neither() -> None:
    params = (*LISTED.items(), ("appSignature", "april"))
    first = Pending(2, "k2", params, SENT, SENT)  # made no job (an HTML 500)
    second = Pending(3, "k3", params, SENT + dt.timedelta(seconds=6), SENT)  # made job 9
    listing = [{**LISTED, "id": "9", "appSignature": "april", "createdDate": "2026-11-28T10:00:07"}]
    rivals = own_signature_rivals([first, second], listing, dt.timedelta(0))
    assert rivals == {"9": [2, 3]}
    later = dt.datetime(2026, 11, 28, 11, 0)
    for row in (first, second):
        result = settle(row, listing, later.date(), now=later, contested=rivals)
        assert result.outcome is Outcome.UNKNOWN and result.job_id is None
