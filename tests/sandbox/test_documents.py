"""POST /documents over real HTTP: the upload, its refusals, and the document's use."""

from __future__ import annotations

import pytest
import requests

from xl_mailer.click2mail.xmlanswers import parse
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER
from .calls import AUTH, PDF, answer, upload


def test_an_upload_answers_201_success_and_the_id_makes_jobs(sandbox: Sandbox) -> None:
    response = upload(sandbox)
    assert answer(response) == (201, 0, "Success")
    document = parse(response.content)
    assert document.root == "document"
    new_id = int(document.fields["id"])
    assert sandbox.state.documents[new_id].pages == 2
    assert sandbox.state.uploads["flyer"] == 1
    job = requests.post(
        sandbox.url + "/jobs", data={**LETTER, "documentId": new_id}, auth=AUTH, timeout=5
    )
    assert job.status_code == 201


def test_each_upload_makes_a_document_so_duplicates_are_counted(sandbox: Sandbox) -> None:
    first, second = upload(sandbox), upload(sandbox)
    assert parse(first.content).fields["id"] != parse(second.content).fields["id"]
    assert sandbox.state.uploads["flyer"] == 2


@pytest.mark.parametrize(
    ("content", "fields", "expected"),
    [
        (PDF, {"documentName": ""}, "One of the required parameters is missing."),
        (PDF, {"documentClass": ""}, "One of the required parameters is missing."),
        (PDF, {"documentFormat": ""}, "One of the required parameters is missing."),
        (PDF, {"documentFormat": "GIF"}, "Document format not supported."),
        (b"", {}, "Document is empty."),
        (b"PK\x03\x04 a zip", {}, "Document is not a valid PDF."),
    ],
)
def test_a_bad_upload_is_refused_400_9_and_makes_nothing(
    sandbox: Sandbox, content: bytes, fields: dict[str, str], expected: str
) -> None:
    before = dict(sandbox.state.documents)
    assert answer(upload(sandbox, content, fields=fields)) == (400, 9, expected)
    assert sandbox.state.documents == before and not sandbox.state.uploads


def test_an_upload_without_a_file_part_is_missing_a_parameter(sandbox: Sandbox) -> None:
    response = requests.post(
        sandbox.url + "/documents",
        auth=AUTH,
        timeout=5,
        files={"documentName": (None, "x"), "documentClass": (None, "Letter 8.5 x 11")},
    )
    assert answer(response) == (400, 9, "One of the required parameters is missing.")


def test_a_word_document_is_taken_as_one_page(sandbox: Sandbox) -> None:
    response = upload(sandbox, b"PK\x03\x04 docx", fields={"documentFormat": "DOCX"})
    assert answer(response) == (201, 0, "Success")
    document = sandbox.state.documents[int(parse(response.content).fields["id"])]
    assert (document.format, document.pages) == ("DOCX", 1)


def test_an_upload_needs_the_password(sandbox: Sandbox) -> None:
    response = requests.post(
        sandbox.url + "/documents",
        auth=("sandbox", "wrong"),
        timeout=5,
        data={"documentName": "x", "documentFormat": "PDF", "documentClass": "Letter 8.5 x 11"},
        files={"file": ("x.pdf", PDF, "application/pdf")},
    )
    assert response.status_code == 401 and not sandbox.state.uploads
