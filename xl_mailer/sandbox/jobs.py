"""Jobs: ``POST /jobs`` with its documented refusals, ``GET /jobs/{id}`` on the job clock,
and ``GET /jobs?startDate=``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from xl_mailer.core.catalog import Catalog
from xl_mailer.core.models import OPTIONAL_PARAMS, REQUIRED_PARAMS
from xl_mailer.core.returncodes import documented
from xl_mailer.sandbox.answers import (
    Answer,
    Request,
    job_not_found,
    refusal,
    the_job,
    xml,
)
from xl_mailer.sandbox.state import Job, SandboxState, job_state

MAX_FUTURE_DAYS = 90
MAX_QUANTITY = 5000
NOT_AUTHORIZED = frozenset({"Brochure 11 x 8.5"})
"""Products the sandbox account may not order: they pass the catalog, the server refuses them."""

NO_ENVELOPE_WORDS = ("Postcard", "Self Mailer", "Rack Card")
_RETURN_ADDRESS = tuple(name for name in OPTIONAL_PARAMS if name.startswith("rtn"))
LIST_NOT_USABLE = documented("Address list not valid for selected Product")
"""Sandbox decision [U]: API.md does not say what POST /jobs answers for a list still being
processed (0 Uploaded, 1 Mapped) or one that ended in 9 Error; the sandbox answers with this
documented 200 / 9 refusal for both, and makes no job."""


def check_job(
    params: Mapping[str, str], state: SandboxState, catalog: Catalog, today: dt.date
) -> tuple[int, int, str] | None:
    """The documented refusal for a create, as (HTTP, status, description), or None to create."""
    if any(name not in params for name in REQUIRED_PARAMS):
        return documented("One of the required parameters is missing.")
    date_text = params.get("mailingDate")
    if date_text is not None:
        try:
            date = dt.datetime.strptime(date_text, "%Y%m%d").date()
        except ValueError:
            return documented(
                "Could not parse date. Please add mailingDate parameter in form 'yyyymmdd'."
            )
        if date <= today:
            return documented("Mailing date should be greater than current date.")
        if date > today + dt.timedelta(days=MAX_FUTURE_DAYS):
            return 400, 9, f"Future date greater than {MAX_FUTURE_DAYS} days"
    product = params["documentClass"]
    if product not in catalog.classes or product in NOT_AUTHORIZED:
        return documented("Product not authorized for this customer")
    if catalog.check(params):
        return 400, 9, "Invalid product options. Sku not found."
    no_envelope = any(word in product for word in NO_ENVELOPE_WORDS)
    if params.get("endorsement") and no_envelope:
        return documented("Endorsements not valid for selected product")
    if product.startswith("Certified") and not (
        params.get("rtnName") or params.get("rtnOrganization")
    ):
        return documented(
            "Return address Name OR Return address Organization is required for selected product."
        )
    if product.startswith("Reply") and any(params.get(k) for k in _RETURN_ADDRESS):
        return documented("Return Address not valid for selected product")
    quantity = params.get("quantity")
    if quantity is not None and (not quantity.isdigit() or int(quantity) > MAX_QUANTITY):
        return 400, 9, f"Maximum Quantity for selected product is {MAX_QUANTITY}"
    if not _known(params["documentId"], state.documents):
        return documented("DocumentId not found")
    if "jobDocumentId" in params and not _known(params["jobDocumentId"], state.documents):
        return documented("Job DocumentId not found")
    if "jobAddressId" in params and not _known(params["jobAddressId"], state.lists):
        return documented("Job Address list Id not found")
    if not _known(params["addressId"], state.lists):
        return documented("Address List ID not found")
    if "projectId" in params and not _known(params["projectId"], state.projects):
        return documented("Project does not exist")
    address_list = state.lists[int(params["addressId"])]
    if not address_list.ready:
        return LIST_NOT_USABLE
    if address_list.international and no_envelope:
        return documented("Document Type cannot Mail Internationally")
    if product.startswith("Reply") and quantity is None:
        return documented("Quantity required for selected product")
    return None


def _known(text: str, table: Mapping[int, object] | set[int]) -> bool:
    return text.isdigit() and int(text) in table


def create(request: Request) -> Answer:
    """POST /jobs."""
    state, params = request.state, dict(request.form)
    with state.lock:
        refused = check_job(params, state, request.config.catalog, request.today)
        if refused is not None:
            return refusal("job", refused)
        now = state.now().time().replace(microsecond=0)
        job = Job(state.new_id(), params, dt.datetime.combine(request.today, now))
        state.jobs[job.id] = job
    fields = {
        "id": job.id,
        "status": 0,
        "description": "Created",
        "statusUrl": f"{request.base_url}/jobs/{job.id}",
    }
    return xml(201, "job", fields)


def state_fields(job: Job, request: Request) -> dict[str, object]:
    """A job's id, state code (``status``) and state name (``description``) now."""
    code, name = job_state(job, request.state.clock(), request.config.seconds_per_state)
    return {"id": job.id, "status": code, "description": name}


def status(request: Request) -> Answer:
    """GET /jobs/{id}: ``<status>`` is the job-state code, ``<description>`` its name."""
    with request.state.lock:
        job = the_job(request)
        if job is None:
            return job_not_found("job", request.ids[0])
        fields = state_fields(job, request)
    return xml(200, "job", fields)


def list_jobs(request: Request) -> Answer:
    """GET /jobs?startDate=yyyy-MM-dd: the jobs created on or after that day."""
    try:
        start = dt.date.fromisoformat(request.form.get("startDate", ""))
    except ValueError:
        return xml(
            400, "jobs", {"status": 9, "description": "Could not parse startDate; use yyyy-MM-dd"}
        )
    state = request.state
    with state.lock:
        now = state.clock()
        items = [
            {
                "id": job.id,
                "status": code,
                "description": name,
                "createdDate": job.created.isoformat(timespec="seconds") + "Z",
                **job.params,
            }
            for job in state.jobs.values()
            if job.created.date() >= start
            for code, name in [job_state(job, now, request.config.seconds_per_state)]
        ]
    return xml(200, "jobs", {}, items=items, item_tag="job")
