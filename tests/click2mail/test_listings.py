"""Reading Click2Mail's job listing: every page of it."""

from __future__ import annotations

import datetime as dt

from .mock import MockTransport, Reply, mock_client


def test_every_page_of_a_paged_listing_is_read() -> None:
    page = (
        b"<jobs><page>1</page><totalPages>2</totalPages>"
        b"<job><id>1</id><appSignature>a</appSignature></job></jobs>"
    )
    transport = MockTransport(Reply(200, page, {"Date": "Sat, 28 Nov 2026 10:00:00 GMT"}))
    listing = mock_client(transport).find_jobs(dt.date(2026, 11, 28))
    assert [request.path_url for request in transport.sent] == [
        "/molpro/jobs?startDate=2026-11-28",
        "/molpro/jobs?startDate=2026-11-28&page=2",
    ]
    assert len(listing.jobs) == 2
    assert listing.server_time == dt.datetime(2026, 11, 28, 10, 0)
