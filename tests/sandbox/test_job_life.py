"""The job life on the sandbox clock, tracking scans once mailed, and proofs as PDFs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from xl_mailer.sandbox import ManualClock, Sandbox, SandboxConfig

from .calls import AUTH, answer, create_job, get, get_xml, parse_id, ready_list, submit


def state_of(box: Sandbox, job: str) -> tuple[str, str]:
    fields = get_xml(box, f"/jobs/{job}").fields
    return fields["status"], fields["description"]


def test_a_submitted_job_moves_one_state_per_period(timed: Sandbox, clock: ManualClock) -> None:
    job = create_job(timed)
    clock.advance(1000)
    assert state_of(timed, job) == ("9", "EDITING")  # nothing happens until it is submitted
    assert answer(submit(timed, job))[1] == 0
    assert state_of(timed, job) == ("4", "AWAITING_PRODUCTION")
    clock.advance(9.9)
    assert state_of(timed, job) == ("4", "AWAITING_PRODUCTION")
    clock.advance(0.1)
    assert state_of(timed, job) == ("5", "IN_PRODUCTION")
    clock.advance(10)
    assert state_of(timed, job) == ("6", "MAILED")
    clock.advance(10_000)
    assert state_of(timed, job) == ("6", "MAILED")
    assert get_xml(timed, f"/jobs/{job}/cost").fields["description"] == "MAILED"
    listed = get_xml(timed, "/jobs", startDate="2026-11-01")
    assert [(i["id"], i["description"]) for i in listed.items] == [(job, "MAILED")]


def test_zero_seconds_per_state_mails_at_once() -> None:
    with Sandbox(SandboxConfig(seconds_per_state=0)) as box:
        job = create_job(box)
        submit(box, job)
        assert state_of(box, job) == ("6", "MAILED")
        assert (
            get_xml(box, f"/jobs/{job}/tracking", trackingType="IMB").fields["scannedPieces"]
            == "120"
        )


def test_an_unknown_job_has_no_state(timed: Sandbox) -> None:
    assert answer(get(timed, "/jobs/99")) == (200, 1, "Job ID not found")


def tracking(box: Sandbox, job: str) -> dict[str, object]:
    document = get_xml(box, f"/jobs/{job}/tracking", trackingType="IMB")
    assert document.root == "tracking"
    return {**document.fields, "scans": [dict(item) for item in document.items]}


def test_tracking_has_no_scans_before_mailed_then_scans_by_period(
    timed: Sandbox, clock: ManualClock
) -> None:
    job = create_job(timed, addressId=ready_list(timed, 250))
    empty = {
        "id": job,
        "status": "0",
        "description": "Success",
        "trackingType": "IMB",
        "totalPieces": "250",
        "scannedPieces": "0",
        "latestStatus": "",
        "latestDateTime": "",
        "scans": [],
    }
    assert tracking(timed, job) == empty
    submit(timed, job)
    clock.advance(19)
    assert tracking(timed, job) == empty  # in production
    clock.advance(1)
    mailed = tracking(timed, job)
    assert (mailed["scannedPieces"], mailed["latestStatus"]) == ("125", "Origin Acceptance")
    clock.advance(10)
    later = tracking(timed, job)
    assert (later["scannedPieces"], later["latestStatus"]) == ("212", "Arrived at Recipient PO")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(later["latestDateTime"]))
    clock.advance(1000)
    scans = tracking(timed, job)["scans"]
    assert [(s["status"], s["pieces"]) for s in scans] == [  # type: ignore[attr-defined]
        ("Origin Acceptance", "125"),
        ("Arrived at Recipient PO", "212"),
        ("Out for Delivery", "250"),
    ]


def test_tracking_refusals(timed: Sandbox) -> None:
    job = create_job(timed)
    assert answer(get(timed, "/jobs/5/tracking", trackingType="IMB")) == (
        200,
        1,
        "Job ID not found",
    )
    assert answer(get(timed, f"/jobs/{job}/tracking")) == (
        400,
        9,
        "One of the required parameters is missing.",
    )
    assert answer(get(timed, f"/jobs/{job}/tracking", trackingType="Fedex")) == (
        400,
        9,
        "Invalid trackingType.",
    )


def test_a_proof_is_a_real_one_page_pdf(timed: Sandbox, tmp_path: Path) -> None:
    job = create_job(timed)
    made = requests.post(f"{timed.url}/jobs/{job}/proof", auth=AUTH, timeout=5)
    assert answer(made) == (201, 0, "Success")
    proof_id = parse_id(made)
    assert timed.state.proofs == {int(proof_id): int(job)}
    pdf = get(timed, f"/jobs/{job}/proof/{proof_id}")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    body = pdf.content
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    xref = int(body.rsplit(b"startxref", 1)[1].split()[0])
    assert body[xref:].startswith(b"xref")
    offsets = re.findall(rb"(\d{10}) 00000 n", body)
    for number, offset in enumerate(offsets, start=1):
        assert body[int(offset) :].startswith(b"%d 0 obj" % number)
    pdfinfo = shutil.which("pdfinfo")  # poppler, where installed, reads it as a PDF reader would
    if pdfinfo:
        path = tmp_path / "proof.pdf"
        path.write_bytes(body)
        info = subprocess.run(
            [pdfinfo, str(path)], capture_output=True, text=True, check=True
        ).stdout
        assert re.search(r"Pages:\s+1\b", info)


def test_proof_refusals(timed: Sandbox) -> None:
    job = create_job(timed)
    missing = requests.post(f"{timed.url}/jobs/77/proof", auth=AUTH, timeout=5)
    assert answer(missing) == (200, 1, "Job ID not found")
    assert answer(get(timed, f"/jobs/{job}/proof/12")) == (200, 1, "Proof ID not found")
    other = parse_id(requests.post(f"{timed.url}/jobs/{job}/proof", auth=AUTH, timeout=5))
    second = create_job(timed)
    assert answer(get(timed, f"/jobs/{second}/proof/{other}"))[1:] == (1, "Proof ID not found")


@pytest.mark.parametrize("path", ["/jobs/1/proof/2/extra", "/jobs/1/costs", "/addressLists/1/x"])
def test_other_paths_are_404(timed: Sandbox, path: str) -> None:
    assert get(timed, path).status_code == 404
