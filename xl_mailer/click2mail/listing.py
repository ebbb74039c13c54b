"""Reading a job listing (``GET /jobs?startDate=``) to the end, and when to trust it is whole.

Click2Mail does not document the listing's shape ([U] in API.md): the field names,
the paging and the rule in ``listing_problem`` here are the one place to correct it.
The client reads each page (``ReadPage``); this module follows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from xl_mailer.click2mail.xmlanswers import MAX_BODY_BYTES
from xl_mailer.core.keys import is_key

LIST_BODY_BYTES = 8 * MAX_BODY_BYTES
"""Job listings may be long; they are still read with a bound."""
MAX_PAGES = 100
"""Pages of a listing followed at most: more is not understood."""

COUNT_FIELDS = ("totalCount", "total", "count", "totalRecords", "totalJobs", "recordCount")
PAGES_FIELDS = ("totalPages", "pages", "pageCount", "numberOfPages")
NEXT_FIELDS = ("next", "nextPage", "nextUrl", "nextPageUrl")

ReadPage = Callable[
    [str, Mapping[str, str] | None, list[dict[str, str]]],
    tuple[dt.datetime | None, dict[str, str]],
]
"""Reads one page (path, query): adds its jobs to the list given, returns the server's time
and the page's own fields. Raises ApiError when the page is not a listing."""


@dataclass(frozen=True)
class Listing:
    """The jobs ``GET /jobs`` listed since a day, read to the end, and whether it can be
    trusted to show every job: ``problem`` says why not (then no row may be declared safe)."""

    jobs: list[dict[str, str]]
    server_time: dt.datetime | None
    problem: str | None = None
    counted: bool = False  # the listing said how many jobs it has, and showed them all


def round_cap(count: int) -> bool:
    """A number of jobs that looks like a page or result limit rather than a real count."""
    return count >= 10 and (count % 50 == 0 or count in (10, 20, 25))


def listing_problem(
    jobs: list[dict[str, str]], fields: Mapping[str, str], *, round_ok: bool = False
) -> str | None:
    """Why a complete-looking listing may still not show every job, or None."""
    for name in COUNT_FIELDS:
        text = fields.get(name, "").strip()
        if text.isdigit() and int(text) != len(jobs):
            return f"the listing says it has {text} jobs but shows {len(jobs)}"
    counted = any(fields.get(n, "").strip() for n in COUNT_FIELDS)
    if not round_ok and round_cap(len(jobs)) and not counted:
        return (
            f"the listing has exactly {len(jobs)} jobs (also from a week earlier), a round"
            " number that may be a page or size limit; check these rows at Click2Mail, or"
            " reconcile again once more jobs have been made"
        )
    for job in jobs:
        signature = job.get("appSignature", "")
        if signature.startswith("xlm") and not is_key(signature):
            return (
                f"the listing shows the request key {signature!r} cut short or changed, so"
                " keys cannot be matched"
            )
    return None


def read_listing(start: dt.date, read_page: ReadPage, base_url: str) -> Listing:
    """The jobs made since a day, every page followed to the end.

    A listing whose size is a round number is read again from a week earlier:
    a limit gives the same number again, a real count grows. Raises what
    ``read_page`` raises; returns a Listing whose ``problem`` says why it may be
    incomplete, so that no row is declared safe on it.
    """
    listing = _read_from(start, read_page, base_url)
    if listing.problem is not None or listing.counted or not round_cap(len(listing.jobs)):
        return listing
    wider = _read_from(start - dt.timedelta(days=7), read_page, base_url)
    grew = len(wider.jobs) > len(listing.jobs) and not round_cap(len(wider.jobs))
    if wider.problem is None and grew:
        return wider  # more than the first count: that was no limit
    problem = listing_problem(listing.jobs, {})
    return Listing(listing.jobs, listing.server_time, problem)


def _read_from(start: dt.date, read_page: ReadPage, base_url: str) -> Listing:
    params = {"startDate": start.isoformat()}
    jobs: list[dict[str, str]] = []
    server_time, fields = read_page("/jobs", params, jobs)
    page = fields
    pages = next((fields[n] for n in PAGES_FIELDS if fields.get(n, "").isdigit()), "1")
    for number in range(2, int(pages) + 1):
        if number > MAX_PAGES:
            return Listing(jobs, server_time, f"the listing has more than {MAX_PAGES} pages")
        read_page("/jobs", {**params, "page": str(number)}, jobs)
    seen = 1
    while link := next((page[n] for n in NEXT_FIELDS if page.get(n)), ""):
        seen += 1
        if seen > MAX_PAGES or not link.startswith((base_url + "/", "/")):
            return Listing(jobs, server_time, f"the listing's next page ({link}) was not read")
        path = link.removeprefix(base_url) if link.startswith("http") else link
        path = path.removeprefix(urlsplit(base_url).path)
        _, page = read_page(path, None, jobs)
    counted = any(fields.get(n, "").strip() for n in COUNT_FIELDS)
    problem = listing_problem(jobs, fields, round_ok=True)
    return Listing(jobs, server_time, problem, counted)
