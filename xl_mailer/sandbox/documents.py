"""``POST /documents``: read a multipart upload and decide what Click2Mail would answer."""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass

from xl_mailer.core.returncodes import documented
from xl_mailer.sandbox.answers import Answer, Request, refusal, xml
from xl_mailer.sandbox.pdf import page_count
from xl_mailer.sandbox.state import Document

FORMATS = frozenset({"PDF", "DOC", "DOCX", "PPT", "PPTX", "RTF", "ODT", "PS"})
"""Formats the sandbox takes [U]: Click2Mail converts office documents; it says PDF is best."""

MISSING = documented("One of the required parameters is missing.")
# The texts of these three refusals are the sandbox's, in Click2Mail's style [U]
UNSUPPORTED = (400, 9, "Document format not supported.")
NOT_A_PDF = (400, 9, "Document is not a valid PDF.")
EMPTY = (400, 9, "Document is empty.")


@dataclass(frozen=True)
class Upload:
    """What a multipart body carried: its text fields and its ``file`` part (None if absent)."""

    fields: dict[str, str]
    file: bytes | None


def read_multipart(content_type: str, body: bytes) -> Upload:
    """The fields and file of a ``multipart/form-data`` body; anything else carries none."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    file: bytes | None = None
    if message.is_multipart():
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "file":
                payload = part.get_payload(decode=True)
                file = payload if isinstance(payload, bytes) else b""
            elif isinstance(name, str):
                fields[name] = str(part.get_content()).strip()
    return Upload(fields, file)


def check_upload(upload: Upload) -> tuple[int, int, str] | None:
    """The refusal for an upload, as (HTTP, status, description), or None to keep it."""
    fields = upload.fields
    if upload.file is None or not all(
        fields.get(name) for name in ("documentName", "documentClass", "documentFormat")
    ):
        return MISSING
    kind = fields["documentFormat"].upper()
    if kind not in FORMATS:
        return UNSUPPORTED
    if not upload.file:
        return EMPTY
    if kind == "PDF" and upload.file.lstrip()[:5] != b"%PDF-":
        return NOT_A_PDF
    return None


def pages(upload: Upload) -> int:
    """Pages of an accepted upload: counted for a PDF, 1 for anything else."""
    if upload.fields["documentFormat"].upper() == "PDF" and upload.file:
        return page_count(upload.file)
    return 1


def upload(request: Request) -> Answer:
    """POST /documents (multipart; parameters may also come in the query string)."""
    sent = read_multipart(request.content_type, request.body)
    sent = Upload({**sent.fields, **request.form}, sent.file)
    refused = check_upload(sent)
    if refused is not None:
        return refusal("document", refused)
    state = request.state
    with state.lock:
        document = Document(
            state.new_id(),
            sent.fields["documentName"],
            sent.fields["documentClass"],
            sent.fields["documentFormat"].upper(),
            pages(sent),
        )
        state.documents[document.id] = document
        state.uploads[document.name] += 1
    return xml(201, "document", {"id": document.id, "status": 0, "description": "Success"})
