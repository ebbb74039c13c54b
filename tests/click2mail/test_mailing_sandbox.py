"""The whole mailing's calls over real HTTP to the embedded sandbox: upload, address list,
create, cost, submit, state, proof and tracking, and the lost answers that must not repeat."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.mailing import Mailing
from xl_mailer.core.calls import CallOutcome
from xl_mailer.core.models import JobRequest, Outcome
from xl_mailer.sandbox import ManualClock, Sandbox, SandboxConfig

from ..conftest import LETTER

PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n"
ADDRESSES = [
    {"Firstname": "Zoë", "Lastname": "O'Brien & <Sons>", "Address1": "1 Main St",
     "City": "Boston", "State": "MA", "Postalcode": "02134"},
    {"Firstname": "שלום", "Lastname": "👩‍👩‍👧", "Address1": "2 Elm St",
     "City": "Austin", "State": "TX", "Postalcode": "73301"},
]  # fmt: skip


def calls_for(box: Sandbox, **options: object) -> Mailing:
    client = Click2MailClient(
        box.url,
        "sandbox",
        box.config.password,
        sleep=lambda s: None,
        **options,  # type: ignore[arg-type]
    )
    return Mailing(client)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def box(clock: ManualClock) -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seconds_per_state=10), clock=clock) as sandbox:
        yield sandbox


def test_the_whole_mailing_over_real_http(box: Sandbox, clock: ManualClock, tmp_path: Path) -> None:
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(PDF)
    calls = calls_for(box)
    document = calls.upload_document("April letter", "Letter 8.5 x 11", "PDF", pdf)
    assert (document.outcome, document.http_status, document.code) == (
        CallOutcome.CREATED, 201, 0,
    )  # fmt: skip
    listed = calls.create_address_list("april-renewals", ADDRESSES)
    assert listed.outcome is CallOutcome.CREATED and listed.id is not None
    seen: list[str] = []
    ready = calls.wait_for_address_list(
        listed.id, timeout=60, poll=1, progress=lambda s, _: seen.append(s.name)
    )
    assert ready.ready, seen
    assert seen[-1] == "CASS Standardized"
    params = dict(LETTER, documentId=document.id, addressId=listed.id)
    job = calls.client.create_job(JobRequest(2, tuple((k, str(v)) for k, v in params.items())))
    assert job.outcome is Outcome.CREATED and job.job_id is not None

    cost = calls.job_cost(job.job_id)
    assert cost.amount > 0 and cost.total >= cost.amount
    assert cost.state.editing is True
    assert calls.job_state(job.job_id).editing is True

    proof = calls.create_proof(job.job_id)
    assert proof.outcome is CallOutcome.CREATED and proof.id is not None
    assert calls.proof_pdf(job.job_id, proof.id).startswith(b"%PDF-")

    submitted = calls.submit_job(job.job_id, "User Credit")
    assert (submitted.outcome, submitted.description) == (CallOutcome.SUBMITTED, "Success")
    again = calls.submit_job(job.job_id, "User Credit")
    assert again.outcome is CallOutcome.SUBMITTED
    assert again.description.startswith("Already submitted")
    assert box.state.submits[job.job_id] == 2
    assert calls.job_state(job.job_id).editing is False
    assert calls.job_tracking(job.job_id).text.startswith("No pieces scanned yet")

    clock.advance(10_000)
    state = calls.job_state(job.job_id)
    assert state.name.replace("_", " ").lower() == "mailed"
    tracking = calls.job_tracking(job.job_id)
    assert tracking.total == 2 and tracking.scanned == 2
    assert tracking.text.startswith("2 of 2 pieces scanned; latest: ")
    assert calls.client.check_credentials().fields["balance"] == str(
        Decimal("1000.00") - cost.total
    )


def test_a_submit_whose_answer_is_lost_is_unknown_and_sent_once(clock: ManualClock) -> None:
    config = SandboxConfig(fault="drop", fault_on="submit", seconds_per_state=10)
    with Sandbox(config, clock=clock) as box:
        calls = calls_for(box)
        job = calls.client.create_job(JobRequest(2, tuple((k, str(v)) for k, v in LETTER.items())))
        assert job.job_id is not None
        result = calls.submit_job(job.job_id, "User Credit")
        assert result.outcome is CallOutcome.UNKNOWN
        assert box.state.requests["submit"] == 1
        # the job's state tells what the lost answer would have said
        assert calls.job_state(job.job_id).editing is False


def test_an_upload_whose_answer_is_lost_is_unknown_and_sent_once(tmp_path: Path) -> None:
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(PDF)
    with Sandbox(SandboxConfig(fault="drop", fault_on="upload")) as box:
        result = calls_for(box).upload_document("flyer", "Letter 8.5 x 11", "PDF", pdf)
        assert result.outcome is CallOutcome.UNKNOWN
        assert box.state.requests["upload"] == 1
        assert box.state.uploads["flyer"] == 1  # it was made: hence UNKNOWN, never sent again


def test_a_list_that_cannot_be_standardised_ends_in_error(box: Sandbox) -> None:
    calls = calls_for(box)
    listed = calls.create_address_list("sandbox-error list", ADDRESSES)
    assert listed.id is not None
    status = calls.wait_for_address_list(listed.id, timeout=60, poll=1)
    assert (status.failed, status.name) == (True, "Error")
