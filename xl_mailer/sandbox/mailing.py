"""What a job yields: proofs (``POST /jobs/{id}/proof``, ``GET /jobs/{id}/proof/{proofId}``)
and, once mailed, IMB tracking scans (``GET /jobs/{id}/tracking?trackingType=IMB``)."""

from __future__ import annotations

import datetime as dt

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
from xl_mailer.sandbox.money import pieces
from xl_mailer.sandbox.pdf import proof_pdf
from xl_mailer.sandbox.state import mailed_at

SCANS = (
    (50, "Origin Acceptance"),
    (85, "Arrived at Recipient PO"),
    (100, "Out for Delivery"),
)
"""Scan steps after mailing, one per ``seconds_per_state``: (percent of the pieces that had a
scan by then, the status of that scan). The shape and texts of tracking answers are [U]."""
TRACKING_TYPES = frozenset({"IMB"})
PROOF_NOT_FOUND = (200, 1, "Proof ID not found")  # the sandbox's text [U]


def make_proof(request: Request) -> Answer:
    """POST /jobs/{id}/proof: 201 with the proof's id in ``<id>`` under ``<proof>``."""
    state = request.state
    with state.lock:
        job = the_job(request)
        if job is None:
            return job_not_found("proof", request.ids[0])
        proof_id = state.new_id()
        state.proofs[proof_id] = job.id
    return xml(201, "proof", {"id": proof_id, "status": 0, "description": "Success"})


def proof_file(request: Request) -> Answer:
    """GET /jobs/{id}/proof/{proofId}: the proof as ``application/pdf``."""
    state = request.state
    with state.lock:
        job = the_job(request)
        if job is None:
            return job_not_found("proof", request.ids[0])
        proof_id = int_id(request.ids[1])
        if proof_id is None or state.proofs.get(proof_id) != job.id:
            return refusal("proof", PROOF_NOT_FOUND, request.ids[1])
        count = pieces(job, state)
    params = job.params
    lines = [
        f"Click2Mail sandbox proof {proof_id} of job {job.id}",
        f"{params.get('documentClass', '')} - {params.get('layout', '')}",
        ", ".join(params.get(name, "") for name in ("color", "paperType", "printOption")),
        f"Document {params.get('documentId', '')}, address list {params.get('addressId', '')}"
        f" ({count} pieces)",
        "Practice only: nothing is printed or mailed.",
    ]
    return Answer(
        200,
        proof_pdf(lines),
        "application/pdf",
        {"Content-Disposition": f'inline; filename="proof-{job.id}-{proof_id}.pdf"'},
    )


def tracking(request: Request) -> Answer:
    """GET /jobs/{id}/tracking?trackingType=IMB: scans of the job's pieces, none before MAILED."""
    state, config = request.state, request.config
    kind = request.form.get("trackingType", "")
    with state.lock:
        job = the_job(request)
        if job is None:
            return job_not_found("tracking", request.ids[0])
        if not kind:
            return refusal("tracking", documented("One of the required parameters is missing."))
        if kind not in TRACKING_TYPES:
            return refusal("tracking", (400, 9, "Invalid trackingType."), job.id)
        total, now, mailed = (
            pieces(job, state),
            state.clock(),
            mailed_at(job, config.seconds_per_state),
        )
    scans = []
    if mailed is not None and now >= mailed:
        period = config.seconds_per_state
        done = len(SCANS) if period <= 0 else min(len(SCANS), int((now - mailed) // period) + 1)
        for step, (percent, scan_status) in enumerate(SCANS[:done]):
            when = dt.datetime.fromtimestamp(mailed + step * period, dt.UTC)
            scans.append(
                {
                    "status": scan_status,
                    "pieces": total * percent // 100,
                    "dateTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
    latest = scans[-1] if scans else {"status": "", "pieces": 0, "dateTime": ""}
    fields = {
        "id": job.id,
        "status": 0,
        "description": "Success",
        "trackingType": kind,
        "totalPieces": total,
        "scannedPieces": latest["pieces"],
        "latestStatus": latest["status"],
        "latestDateTime": latest["dateTime"],
    }
    return xml(200, "tracking", fields, items=scans, item_tag="scan")
