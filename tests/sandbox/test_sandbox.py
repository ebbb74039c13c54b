from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import requests

from xl_mailer.click2mail.xmlanswers import parse
from xl_mailer.sandbox import Sandbox, SandboxConfig

from ..conftest import LETTER

AUTH = ("sandbox", "sandbox-password")
TODAY = dt.date(2026, 11, 28)
POSTCARD = {
    **LETTER,
    "documentClass": "Postcard 4.25 x 6",
    "layout": "Double Sided Postcard",
    "envelope": "",
    "color": "Full Color",
    "paperType": "White Matte",
    "printOption": "Printing both sides",
    "documentId": 1002,
}
CERTIFIED = {
    **LETTER,
    "documentClass": "Certified Letter 8.5 x 11",
    "envelope": "Certified Mail Letter Envelope",
    "documentId": 1003,
}
REPLY = {
    **LETTER,
    "documentClass": "Reply Letter 8.5 x 11",
    "layout": "Courtesy Reply Letter",
    "envelope": "#10 Eco-Envelope - CRM",
}


def post_job(box: Sandbox, form: dict[str, object]) -> tuple[int, int | None, str]:
    answer = requests.post(box.url + "/jobs", data=form, auth=AUTH, timeout=5)
    document = parse(answer.content)
    return answer.status_code, document.int_field("status"), document.fields["description"]


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        sandbox.set_today(TODAY)
        yield sandbox


@pytest.fixture(scope="module")
def shared_box() -> Iterator[Sandbox]:
    """One sandbox for the answers table: each of its rows posts a job and reads the answer."""
    with Sandbox() as sandbox:
        sandbox.set_today(TODAY)
        yield sandbox


def without(name: str) -> dict[str, object]:
    return {k: v for k, v in LETTER.items() if k != name}


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (LETTER, (201, 0, "Created")),
        (POSTCARD, (201, 0, "Created")),
        ({**LETTER, "documentId": 9999}, (200, 1, "DocumentId not found")),
        ({**LETTER, "jobDocumentId": 9999}, (200, 1, "Job DocumentId not found")),
        ({**LETTER, "jobAddressId": 9999}, (200, 1, "Job Address list Id not found")),
        ({**LETTER, "addressId": 9999}, (200, 3, "Address List ID not found")),
        ({**POSTCARD, "addressId": 2002}, (200, 4, "Document Type cannot Mail Internationally")),
        ({**LETTER, "projectId": 9999}, (200, 5, "Project does not exist")),
        (REPLY, (200, 9, "Quantity required for selected product")),
        (without("layout"), (400, 9, "One of the required parameters is missing.")),
        (without("envelope"), (400, 9, "One of the required parameters is missing.")),
        (
            {**LETTER, "documentClass": "Brochure 11 x 8.5"},
            (400, 9, "Product not authorized for this customer"),
        ),
        (
            CERTIFIED,
            (
                400,
                9,
                "Return address Name OR Return address Organization is required"
                " for selected product.",
            ),
        ),
        ({**CERTIFIED, "rtnOrganization": "Acme"}, (201, 0, "Created")),
        (
            {**POSTCARD, "endorsement": "Return Service Requested"},
            (400, 9, "Endorsements not valid for selected product"),
        ),
        (
            {**REPLY, "quantity": 10, "rtnName": "Acme"},
            (400, 9, "Return Address not valid for selected product"),
        ),
        ({**LETTER, "quantity": 9999}, (400, 9, "Maximum Quantity for selected product is 5000")),
        (
            {**LETTER, "mailingDate": "20261128"},
            (400, 9, "Mailing date should be greater than current date."),
        ),
        ({**LETTER, "mailingDate": "20270601"}, (400, 9, "Future date greater than 90 days")),
        (
            {**LETTER, "mailingDate": "2026-12-01"},
            (500, 9, "Could not parse date. Please add mailingDate parameter in form 'yyyymmdd'."),
        ),
        ({**LETTER, "mailingDate": "20261201"}, (201, 0, "Created")),
        ({**LETTER, "color": "Purple"}, (400, 9, "Invalid product options. Sku not found.")),
    ],
)
def test_sandbox_answers_with_the_documented_codes(
    shared_box: Sandbox, form: dict[str, object], expected: tuple[int, int, str]
) -> None:
    assert post_job(shared_box, form) == expected


def test_option_strings_are_exact_in_the_sandbox_too(box: Sandbox) -> None:
    express = {
        **LETTER,
        "documentClass": "Priority Express Letter  8.5 x 11",
        "envelope": "Flat Rate USPS Priority Mail Express",
        "productionTime": "Same Day",
    }
    assert post_job(box, express)[0] == 201
    squashed = {**express, "documentClass": "Priority Express Letter 8.5 x 11"}
    assert post_job(box, squashed) == (400, 9, "Product not authorized for this customer")


def test_wrong_password_gets_401_and_makes_nothing(box: Sandbox) -> None:
    answer = requests.post(box.url + "/jobs", data=LETTER, auth=("sandbox", "nope"), timeout=5)
    assert answer.status_code == 401
    assert box.state.jobs == {}


def test_job_status_and_submit_follow_the_job_life(box: Sandbox) -> None:
    created = parse(requests.post(box.url + "/jobs", data=LETTER, auth=AUTH, timeout=5).content)
    job = created.fields["id"]
    assert created.fields["statusUrl"] == f"{box.url}/jobs/{job}"
    status = parse(requests.get(f"{box.url}/jobs/{job}", auth=AUTH, timeout=5).content)
    assert (status.int_field("status"), status.fields["description"]) == (9, "EDITING")
    submit = requests.post(
        f"{box.url}/jobs/{job}/submit", data={"billingType": "User Credit"}, auth=AUTH, timeout=5
    )
    assert (submit.status_code, parse(submit.content).int_field("status")) == (200, 0)
    again = requests.post(
        f"{box.url}/jobs/{job}/submit", data={"billingType": "User Credit"}, auth=AUTH, timeout=5
    )
    assert again.status_code == 400
    assert parse(again.content).fields["description"] == (
        f"Job with Id {job} is in impermissible state"
    )
    missing = requests.post(
        f"{box.url}/jobs/1/submit", data={"billingType": "Invoice"}, auth=AUTH, timeout=5
    )
    assert parse(missing.content).fields["description"] == "Job ID not found"


def test_documents_and_address_lists_can_be_created_and_used(box: Sandbox) -> None:
    upload = requests.post(
        box.url + "/documents",
        auth=AUTH,
        timeout=5,
        data={"documentName": "flyer", "documentFormat": "PDF", "documentClass": "Letter 8.5 x 11"},
        files={"file": ("flyer.pdf", b"%PDF-1.4 test", "application/pdf")},
    )
    assert upload.status_code == 201
    document_id = parse(upload.content).fields["id"]
    body = (
        b"<addressList><addressListName>t</addressListName><addressMappingId>1"
        b"</addressMappingId><addresses><address><Firstname>A</Firstname><Address1>1 Rue"
        b"</Address1><Country>Canada</Country></address></addresses></addressList>"
    )
    created = requests.post(
        box.url + "/addressLists",
        data=body,
        auth=AUTH,
        timeout=5,
        headers={"Content-Type": "application/xml"},
    )
    list_id = parse(created.content).fields["id"]
    for _ in range(2):  # Uploaded -> Mapped -> CASS Standardized
        polled = parse(
            requests.get(f"{box.url}/addressLists/{list_id}", auth=AUTH, timeout=5).content
        )
    assert polled.int_field("status") == 3
    postcard = {**POSTCARD, "documentId": document_id, "addressId": list_id}
    assert post_job(box, postcard) == (200, 4, "Document Type cannot Mail Internationally")
    assert post_job(box, {**LETTER, "documentId": document_id, "addressId": list_id})[0] == 201


def test_credit_and_unknown_paths(box: Sandbox) -> None:
    credit = requests.get(box.url + "/credit", auth=AUTH, timeout=5)
    assert parse(credit.content).root == "credit"
    assert requests.get(box.url + "/nothing", auth=AUTH, timeout=5).status_code == 404


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault 'explode'"):
        SandboxConfig(fault="explode")
