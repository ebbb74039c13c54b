"""Money in the sandbox: a job's price (``GET /jobs/{id}/cost``), submitting it against a
billing type (``POST /jobs/{id}/submit``) and the account's credit (``GET /credit``)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from xl_mailer.core.returncodes import documented
from xl_mailer.sandbox.answers import (
    Answer,
    Request,
    int_id,
    job_not_found,
    refusal,
    the_job,
    xml,
)
from xl_mailer.sandbox.jobs import state_fields
from xl_mailer.sandbox.state import EDITING, Job, SandboxState, job_state

CENT = Decimal("0.01")
PRICES = (
    ("Priority Express", Decimal("31.50")),
    ("Priority Mail", Decimal("12.40")),
    ("Certified", Decimal("8.95")),
    ("Reply Mail Postcard", Decimal("0.62")),
    ("Reply Letter", Decimal("1.12")),
    ("Booklet", Decimal("2.35")),
    ("Note Card", Decimal("1.48")),
    ("Brochure", Decimal("0.97")),
    ("Rack Card", Decimal("0.61")),
    ("Postcard", Decimal("0.55")),
    ("Letter", Decimal("0.87")),
)
"""The sandbox's price per piece by product (first matching start of documentClass) [U]:
practice prices, not Click2Mail's."""
EXTRA_PAGE = Decimal("0.15")
"""Added per page after the first for enveloped products, and again per page in Full Color."""
BILLING_TYPES = frozenset({"User Credit", "Invoice", "ACH", "Credit Card"})
UNAUTHORIZED_BILLING = frozenset({"Credit Card"})
"""The practice account has no card on file: a submit billed to one is not authorized."""

MISSING = documented("One of the required parameters is missing.")
NOT_AUTHORIZED = (200, 2, "Payment not authorized")  # the text is the sandbox's [U]
INSUFFICIENT = (200, 2, "Payment not authorized: insufficient credit")  # likewise [U]
INVALID_BILLING = (400, 9, "Invalid billingType.")  # likewise [U]


def pieces(job: Job, state: SandboxState) -> int:
    """Pieces a job mails: its ``quantity`` if given, else its address list's count."""
    quantity = job.params.get("quantity", "")
    if quantity.isdigit():
        return int(quantity)
    address_list = state.lists.get(int_id(job.params.get("addressId", "")) or -1)
    return address_list.count if address_list else 0


def price(job: Job, state: SandboxState, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(cost, tax) of a job: pieces x the product's price per piece, pages counted."""
    product = job.params.get("documentClass", "")
    base = next((p for start, p in PRICES if product.startswith(start)), PRICES[-1][1])
    document = state.documents.get(int_id(job.params.get("documentId", "")) or -1)
    pages = document.pages if document else 1
    enveloped = not any(word in product for word in ("Postcard", "Self Mailer", "Rack Card"))
    per_piece = base
    if enveloped:
        per_piece += EXTRA_PAGE * (pages - 1)
        if job.params.get("color") == "Full Color":
            per_piece += EXTRA_PAGE * pages
    cost = (per_piece * pieces(job, state)).quantize(CENT, ROUND_HALF_UP)
    return cost, (cost * tax_rate).quantize(CENT, ROUND_HALF_UP)


def cost(request: Request) -> Answer:
    """GET /jobs/{id}/cost: ``<status>`` and ``<description>`` are the job's state, as on
    GET /jobs/{id} (API.md gotcha 1); ``<cost>`` excludes ``<totalTax>``."""
    with request.state.lock:
        job = the_job(request)
        if job is None:
            return job_not_found("job", request.ids[0])
        amount, tax = price(job, request.state, request.config.tax_rate)
        fields = {**state_fields(job, request), "cost": amount, "totalTax": tax}
    return xml(200, "job", fields)


def submit(request: Request) -> Answer:
    """POST /jobs/{id}/submit with ``billingType``."""
    state, billing = request.state, request.form.get("billingType", "")
    with state.lock:
        job = the_job(request)
        if job is None:
            return job_not_found("job", request.ids[0])
        state.submits[job.id] += 1
        if not billing:
            return refusal("job", MISSING, job.id)
        if billing not in BILLING_TYPES:
            return refusal("job", INVALID_BILLING, job.id)
        if job.submitted_at is not None or job.state != EDITING:
            return refusal(
                "job", (400, 9, f"Job with Id {job.id} is in impermissible state"), job.id
            )
        if billing in UNAUTHORIZED_BILLING:
            return refusal("job", NOT_AUTHORIZED, job.id)
        amount, tax = price(job, state, request.config.tax_rate)
        if billing == "User Credit":
            if amount + tax > state.credit:
                return refusal("job", INSUFFICIENT, job.id)
            state.credit -= amount + tax
        job.submitted_at, job.billing_type, job.charged = state.clock(), billing, amount + tax
        job.state = job_state(job, job.submitted_at, request.config.seconds_per_state)
    return xml(200, "job", {"id": job.id, "status": 0, "description": "Success"})


def credit(request: Request) -> Answer:
    """GET /credit: the practice account's balance, which User Credit submits spend."""
    with request.state.lock:
        balance = request.state.credit.quantize(CENT)
    return xml(200, "credit", {"balance": balance, "allowNegative": "false"})
