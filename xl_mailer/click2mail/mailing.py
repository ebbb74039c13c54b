"""The calls of a whole mailing beyond ``POST /jobs``: upload a document, create an address
list and wait for it, cost, submit, state, tracking and proofs (API.md section 3).

Each goes through one client's keep-alive pool, shared 429 pause and login rule. A call that
may change something (a POST) is sent again only after a 429 or a failure that provably sent
nothing; once it may have left, a lost answer is UNKNOWN and never sent again. A read-only
call (a GET) is also asked again after a failure once sent and after a gateway's 5xx.

What a clean answer looks like for each call is one ``Made`` below, and what each read says is
one function of ``readings``: a likely [L] or uncertain [U] fact of API.md is corrected there.
Calls that may change something return a ``CallResult``; reads return a value and raise
``ApiError`` (an answer they cannot read; ``AuthenticationError`` stops everything),
``TransportError`` (nothing answered) when they cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from xl_mailer.click2mail.answer import Answer, Body, Lost
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.click2mail.multipart import MultipartBody
from xl_mailer.click2mail.readings import (
    AddressListStatus,
    JobCost,
    JobState,
    Tracking,
    money,
    read_tracking,
)
from xl_mailer.click2mail.verdicts import Verdict, judge
from xl_mailer.click2mail.xmlanswers import Document, list_records, snippet
from xl_mailer.click2mail.xmlbodies import MAPPINGS, address_list_xml
from xl_mailer.core.calls import (
    SUBMIT,
    CallOutcome,
    CallResult,
    Made,
    lost_call,
    made_outcome,
    submit_outcome,
)
from xl_mailer.core.errors import ApiError, NotADocument

DOCUMENT = Made("document", "document", http=(201, 200), codes=(0,))
"""``POST /documents``: 201 [C] (some of Click2Mail's pages say 200 [L]), status 0."""
ADDRESS_LIST = Made("address list", "addressList", http=(201, 200), codes=(0, 1, 3))
"""``POST /addressLists``: its HTTP status is not documented [U]; status 0 Uploaded (or
already 1 Mapped, 3 CASS Standardized) [C]; 9 Error with an id is made but unusable."""
PROOF = Made("proof", None, http=(201,), codes=(0, None))
"""``POST /jobs/{id}/proof``: 201 with the proof's ``<id>`` [C]; root and status [U]."""

PROOF_PATH = "/jobs/{job_id}/proof/{proof_id}"
"""Where a proof's PDF is read [L]."""
PROOF_ACCEPT = "application/pdf, application/xml;q=0.5"
"""What the proof's GET asks for [U]: the PDF, else an XML answer that says why not."""
PROOF_MAX_BYTES = 64 * 1_048_576
"""A proof larger than this is refused rather than held in memory."""

FORMAT_TYPES: Mapping[str, str] = {"PDF": "application/pdf"}
"""The file part's Content-Type by ``documentFormat`` (others: application/octet-stream)."""


class Mailing:
    """The whole mailing's calls over one ``Click2MailClient`` (its pool, pacing, sleep and
    clock); as safe to share between workers as the client."""

    def __init__(self, client: Click2MailClient) -> None:
        self.client = client

    # -- calls that make or change something: a CallResult each ----------------------------

    def upload_document(
        self, name: str, document_class: str, document_format: str, path: Path | str
    ) -> CallResult:
        """``POST /documents``, multipart, the file streamed from disk: CREATED with the
        document's id, FAILED (refused, or the file could not be read: nothing sent), or
        UNKNOWN (it may have been made)."""
        path = Path(path)
        try:
            body = MultipartBody(
                (
                    ("documentName", name),
                    ("documentFormat", document_format),
                    ("documentClass", document_class),
                ),
                "file",
                path,
                FORMAT_TYPES.get(document_format.strip().upper(), "application/octet-stream"),
            )
        except OSError as exc:
            return CallResult(
                CallOutcome.FAILED, f"Not sent: cannot read {path}: {exc.strerror or exc}"
            )
        headers = {"Content-Type": body.content_type}
        return self._make(DOCUMENT, "/documents", body, headers)

    def create_address_list(
        self, name: str, addresses: Iterable[Mapping[str, str | None]], mapping_id: int = 1
    ) -> CallResult:
        """``POST /addressLists`` with the list as XML: CREATED with the list's id (poll
        ``wait_for_address_list`` until it is ready), FAILED (refused, or a list that cannot be
        sent: no addresses, a value XML cannot carry; nothing sent), or UNKNOWN.

        ``addresses`` map the mapping's field names (``xmlbodies.MAPPINGS``) to text. Raises
        ValueError for a mapping id it has no fields for.
        """
        if mapping_id not in MAPPINGS:
            known = ", ".join(str(key) for key in MAPPINGS)
            raise ValueError(f"mapping_id {mapping_id} is not one of {known}")
        if not name.strip():
            return CallResult(CallOutcome.FAILED, "Not sent: the list has no name")
        try:
            xml, count = address_list_xml(name, addresses, mapping_id)
        except ValueError as exc:
            return CallResult(CallOutcome.FAILED, f"Not sent: {exc}")
        if not count:
            return CallResult(CallOutcome.FAILED, "Not sent: the list has no addresses")
        headers = {"Content-Type": "application/xml"}
        return self._make(ADDRESS_LIST, "/addressLists", xml, headers)

    def create_proof(self, job_id: int) -> CallResult:
        """``POST /jobs/{id}/proof``: CREATED with the proof's id, FAILED or UNKNOWN."""
        return self._make(PROOF, f"/jobs/{int(job_id)}/proof", None, None)

    def submit_job(self, job_id: int, billing_type: str) -> CallResult:
        """``POST /jobs/{id}/submit``: SUBMITTED (also for a job submitted before, "in
        impermissible state"), FAILED (job not found, payment not authorized, any refusal),
        or UNKNOWN: never sent again before ``job_state`` shows whether it left Editing."""
        answer = self.client.send(
            "POST", f"/jobs/{int(job_id)}/submit", data=(("billingType", billing_type),)
        )
        if isinstance(answer, Lost):
            return lost_call(SUBMIT, never_left=answer.never_left, words=answer.words)
        return submit_outcome(
            answer.http_status,
            root=answer.root,
            code=answer.code,
            description=answer.description,
            not_a_document=answer.problem,
        )

    def _make(
        self, made: Made, path: str, body: Body | None, headers: Mapping[str, str] | None
    ) -> CallResult:
        answer = self.client.send("POST", path, data=body, headers=headers)
        if isinstance(answer, Lost):
            words = getattr(body, "failure", "") or answer.words
            return lost_call(made.thing, never_left=answer.never_left, words=words)
        return made_outcome(
            made,
            answer.http_status,
            root=answer.root,
            code=answer.code,
            description=answer.description,
            made_id=answer.id,
            not_a_document=answer.problem,
        )

    # -- reads: a value each, or ApiError / TransportError ----------------------------------

    def address_list_status(self, list_id: int) -> AddressListStatus:
        """``GET /addressLists/{id}``: 0 Uploaded, 1 Mapped, 3 CASS Standardized (ready), 9
        Error."""
        document = self._read(f"/addressLists/{int(list_id)}")
        description = document.fields.get("description", "")
        return AddressListStatus(int(list_id), document.int_field("status"), description)

    def wait_for_address_list(
        self,
        list_id: int,
        *,
        timeout: float,
        poll: float,
        progress: Callable[[AddressListStatus, float], None] | None = None,
    ) -> AddressListStatus:
        """Poll ``address_list_status`` every ``poll`` seconds until the list is ready or
        failed, for at most ``timeout`` seconds (the client's clock and sleep); ``progress``
        hears each status and the seconds waited. Returns the last status: when it is
        neither ready nor failed, the wait ran out and Click2Mail is still at work on it.
        Raises ValueError for a timeout or poll that is not positive."""
        if timeout <= 0 or poll <= 0:
            raise ValueError(f"timeout ({timeout}) and poll ({poll}) must be positive seconds")
        clock, sleep = self.client.clock, self.client.sleep
        start = clock()
        while True:
            status = self.address_list_status(list_id)
            waited = clock() - start
            if progress is not None:
                progress(status, waited)
            if status.settled or waited >= timeout:
                return status
            sleep(min(poll, timeout - waited))

    def job_state(self, job_id: int) -> JobState:
        """``GET /jobs/{id}``: the state's code and name (Editing, Awaiting Production, ...).
        Raises ApiError for an answer that names no job ("Job ID not found"): that is no
        state, and must never read as one that left Editing."""
        path = f"/jobs/{int(job_id)}"
        state = _state(int(job_id), self._read(path))
        if "not found" in state.name.lower():
            raise ApiError(
                f"GET {path} answered {state.name!r}", code=state.code, description=state.name
            )
        return state

    def job_cost(self, job_id: int) -> JobCost:
        """``GET /jobs/{id}/cost``: the amount and tax; raises ApiError when the answer holds
        no amount (its status is a job state, so a missing amount is how a refusal shows)."""
        path = f"/jobs/{int(job_id)}/cost"
        document = self._read(path)
        amount = money(document.fields.get("cost", ""))
        tax = money(document.fields.get("totalTax", "") or "0")
        if amount is None or tax is None:
            said = document.fields.get("description", "") or f"a <{document.root}> answer"
            raise ApiError(
                f"GET {path} answered without a readable cost ({said})",
                code=document.int_field("status"),
                description=document.fields.get("description", ""),
            )
        return JobCost(int(job_id), amount, tax, _state(int(job_id), document))

    def job_tracking(self, job_id: int, tracking_type: str = "IMB") -> Tracking:
        """``GET /jobs/{id}/tracking?trackingType=IMB``: pieces scanned of all, the last scan
        (``readings.read_tracking`` reads the answer, whose shape is not documented)."""
        path = f"/jobs/{int(job_id)}/tracking"
        answer, document = self._answer(path, params={"trackingType": tracking_type})
        try:
            _, records = list_records(answer.body, None)
        except NotADocument as exc:  # parsed once already: only a body too deep gets here
            raise ApiError(f"GET {path} answered with {exc}") from exc
        return read_tracking(document.fields, records)

    def proof_pdf(self, job_id: int, proof_id: int) -> bytes:
        """``GET /jobs/{id}/proof/{proofId}``: the proof's PDF. Raises ApiError for any answer
        that is not a PDF (starting ``%PDF-``) or is larger than ``PROOF_MAX_BYTES``."""
        path = PROOF_PATH.format(job_id=int(job_id), proof_id=int(proof_id))
        answer = self.client.get(
            path, headers={"Accept": PROOF_ACCEPT}, limit=PROOF_MAX_BYTES, read_only=True
        )
        said = answer.description
        if answer.http_status != 200 or not answer.body.startswith(b"%PDF-"):
            what = f"Click2Mail said {said!r}" if said else f"{snippet(answer.body)!r}"
            raise judge(answer.http_status, answer.document).error(
                f"GET {path} answered HTTP {answer.http_status} with no PDF: {what}",
                http_status=answer.http_status,
                description=said,
                body_snippet=snippet(answer.body),
            )
        if len(answer.body) > PROOF_MAX_BYTES:
            raise ApiError(
                f"GET {path} sent a proof over {PROOF_MAX_BYTES:,} bytes; it was not kept",
                http_status=answer.http_status,
            )
        return answer.body

    def _answer(
        self, path: str, params: Mapping[str, str] | None = None
    ) -> tuple[Answer, Document]:
        """A GET answered with a document of a status below 400, else ApiError."""
        answer = self.client.get(path, params=params, read_only=True)
        rule = judge(answer.http_status, answer.document)
        document = answer.document
        if rule.verdict in (Verdict.OK, Verdict.OTHER) and document is not None:
            return answer, document
        said = answer.description
        raise rule.error(
            f"GET {path} answered HTTP {answer.http_status} with "
            + (f"{said!r}" if said else answer.problem or "an error"),
            http_status=answer.http_status,
            code=answer.code,
            description=said,
            body_snippet=snippet(answer.body),
        )

    def _read(self, path: str) -> Document:
        return self._answer(path)[1]


def _state(job_id: int, document: Document) -> JobState:
    """A job's state from a ``<job>`` answer: its status is a state code, not an error."""
    return JobState(job_id, document.int_field("status"), document.fields.get("description", ""))
