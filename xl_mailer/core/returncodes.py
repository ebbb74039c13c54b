"""The documented Click2Mail return codes for job creation (API.md section 2)."""

from __future__ import annotations

DOCUMENTED: tuple[tuple[int, int, str], ...] = (
    (201, 0, "Created"),
    (200, 1, "DocumentId not found"),
    (200, 1, "Job DocumentId not found"),
    (200, 1, "Job Address list Id not found"),
    (200, 3, "Address List ID not found"),
    (200, 4, "Document Type cannot Mail Internationally"),
    (200, 5, "Project does not exist"),
    (200, 9, "Address list not valid for selected Product"),
    (200, 9, "Quantity required for selected product"),
    (200, 9, "(custom error related to quantity)"),
    (400, 9, "One of the required parameters is missing."),
    (400, 9, "Product not authorized for this customer"),
    (
        400,
        9,
        "Return address Name OR Return address Organization is required for selected product.",
    ),
    (400, 9, "Endorsements not valid for selected product"),
    (400, 9, "Return Address not valid for selected product"),
    (
        400,
        9,
        "Minimum Quantity for selected product is N / Maximum Quantity for selected product is N",
    ),
    (400, 9, "(custom error related to enclosures)"),
    (400, 9, "Future date greater than N days"),
    (400, 9, "Mailing date should be greater than current date."),
    (500, 9, "(custom server error text)"),
    (500, 9, "Could not parse date. Please add mailingDate parameter in form 'yyyymmdd'."),
)
"""(HTTP status, Click2Mail status, description) rows, in the documented order."""


def documented(description: str) -> tuple[int, int, str]:
    """The documented (HTTP status, Click2Mail status, description) row with this text; the
    sandbox answers with these rows. Raises KeyError for a text the table does not hold."""
    for row in DOCUMENTED:
        if row[2] == description:
            return row
    raise KeyError(description)


def describe(code: int, http_status: int | None = None) -> str:
    """Return the documented description of a return code, for answers that came without text.

    Where several texts share a code, all of them are named, since the server
    did not say which one applies.
    """
    texts = [
        text
        for http, status, text in DOCUMENTED
        if status == code and (http_status is None or http == http_status)
    ]
    if not texts and http_status is not None:
        return describe(code)
    if not texts:
        return f"Return code {code} is not documented for job creation"
    if len(texts) == 1:
        return texts[0]
    where = f"HTTP {http_status} / " if http_status is not None else ""
    return f"{where}code {code}, no text sent; documented meanings: " + " | ".join(texts)
