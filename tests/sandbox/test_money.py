"""GET /jobs/{id}/cost, POST /jobs/{id}/submit and GET /credit over real HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from xl_mailer.sandbox import Sandbox, SandboxConfig

from .calls import AUTH, answer, create_job, get, get_xml, parse_id, ready_list, submit, upload


def balance(box: Sandbox) -> Decimal:
    return Decimal(get_xml(box, "/credit").fields["balance"])


def test_cost_is_pieces_times_the_price_and_status_is_the_job_state(sandbox: Sandbox) -> None:
    job = create_job(sandbox)  # Letter, one page, list 2001: 120 pieces at 0.87
    cost = get_xml(sandbox, f"/jobs/{job}/cost")
    assert cost.root == "job"
    assert dict(cost.fields) == {
        "id": job,
        "status": "9",
        "description": "EDITING",
        "cost": "104.40",
        "totalTax": "0.00",
    }


def test_cost_counts_pages_colour_and_the_list(sandbox: Sandbox) -> None:
    document = parse_id(upload(sandbox))  # two pages
    job = create_job(
        sandbox, documentId=document, addressId=ready_list(sandbox, 3), color="Full Color"
    )
    # 0.87 + 0.15 for the second page + 0.15 x 2 pages in colour = 1.32, x 3 pieces
    assert get_xml(sandbox, f"/jobs/{job}/cost").fields["cost"] == "3.96"


def test_tax_is_given_apart_from_the_cost() -> None:
    with Sandbox(SandboxConfig(tax_rate=Decimal("0.1"))) as box:
        fields = get_xml(box, f"/jobs/{create_job(box)}/cost").fields
        assert (fields["cost"], fields["totalTax"]) == ("104.40", "10.44")


def test_cost_of_an_unknown_job(sandbox: Sandbox) -> None:
    assert answer(get(sandbox, "/jobs/7/cost")) == (200, 1, "Job ID not found")


def test_user_credit_pays_from_the_balance_and_a_second_submit_is_impermissible(
    sandbox: Sandbox,
) -> None:
    job = create_job(sandbox)
    assert balance(sandbox) == Decimal("1000.00")
    assert answer(submit(sandbox, job)) == (200, 0, "Success")
    assert balance(sandbox) == Decimal("895.60")
    assert answer(submit(sandbox, job)) == (400, 9, f"Job with Id {job} is in impermissible state")
    assert balance(sandbox) == Decimal("895.60")
    assert sandbox.state.submits[int(job)] == 2
    assert get_xml(sandbox, f"/jobs/{job}").fields["description"] == "AWAITING_PRODUCTION"


def test_insufficient_credit_is_payment_not_authorized() -> None:
    with Sandbox(SandboxConfig(credit=Decimal("104.39"))) as box:
        job = create_job(box)
        assert answer(submit(box, job)) == (
            200,
            2,
            "Payment not authorized: insufficient credit",
        )
        assert balance(box) == Decimal("104.39")
        assert get_xml(box, f"/jobs/{job}").fields["description"] == "EDITING"
    with Sandbox(SandboxConfig(credit=Decimal("104.40"))) as box:
        assert answer(submit(box, create_job(box)))[1] == 0
        assert balance(box) == Decimal("0.00")


def test_a_credit_card_is_not_authorized_for_the_practice_account(sandbox: Sandbox) -> None:
    job = create_job(sandbox)
    assert answer(submit(sandbox, job, "Credit Card")) == (200, 2, "Payment not authorized")
    assert answer(submit(sandbox, job, "Invoice")) == (200, 0, "Success")


@pytest.mark.parametrize("billing", ["Invoice", "ACH"])
def test_invoice_and_ach_do_not_touch_the_credit(sandbox: Sandbox, billing: str) -> None:
    assert answer(submit(sandbox, create_job(sandbox), billing))[1] == 0
    assert balance(sandbox) == Decimal("1000.00")


def test_submit_refusals(sandbox: Sandbox) -> None:
    job = create_job(sandbox)
    assert answer(submit(sandbox, 1)) == (200, 1, "Job ID not found")
    assert answer(submit(sandbox, job, "")) == (
        400,
        9,
        "One of the required parameters is missing.",
    )
    assert answer(submit(sandbox, job, "Barter")) == (400, 9, "Invalid billingType.")
    assert sandbox.state.submits[int(job)] == 2 and sandbox.state.submits[1] == 0
    assert get_xml(sandbox, f"/jobs/{job}").fields["description"] == "EDITING"


def test_billing_type_may_come_in_the_query_string(sandbox: Sandbox) -> None:
    job = create_job(sandbox)
    response = requests.post(
        f"{sandbox.url}/jobs/{job}/submit",
        params={"billingType": "Invoice"},
        auth=AUTH,
        timeout=5,
    )
    assert answer(response) == (200, 0, "Success")
