"""The Documents sheet's rows and files, judged before anything is sent: each input beside
the problem it gives (None: it is uploaded)."""

from __future__ import annotations

import datetime as dt

import pytest

from xl_mailer.core.documents import (
    DOCUMENTS,
    MAX_BYTES,
    FileFacts,
    file_problem,
    name_key,
    plan_documents,
)
from xl_mailer.core.tables import find_table

HEADER = ["Document Name", "File", "documentClass", "documentFormat", "Document ID", "Description"]
LETTER = "Letter 8.5 x 11"


def plan(*lines: list[object]) -> list[tuple[str | None, str]]:
    rows = [HEADER, *lines]
    return [
        (p.problem, p.document_format)
        for p in plan_documents(rows, find_table(rows, DOCUMENTS, sheet="Documents"))
    ]


@pytest.mark.parametrize(
    ("row", "problem", "document_format"),
    [
        (["Renewal", "renewal.pdf", LETTER, None], None, "PDF"),
        (["Renewal", "Renewal.PDF", LETTER, None], None, "PDF"),
        (["Renewal", "renewal.docx", LETTER, None], None, "DOCX"),
        (["Renewal", "renewal", LETTER, "pdf"], None, "PDF"),
        (["Renewal", "renewal.pdf", LETTER, None, 4001], None, "PDF"),  # uploaded already
        ([None, "renewal.pdf", LETTER, None], "Not sent: Document Name is empty", "PDF"),
        (["Renewal", None, LETTER, None], "Not sent: File is empty", ""),
        (
            [None, None, " ", "pdf"],
            "Not sent: Document Name is empty; File is empty; documentClass is empty",
            "PDF",
        ),
        (["Renewal", "renewal.pdf", None, None], "Not sent: documentClass is empty", "PDF"),
        (
            ["Renewal", "renewal.png", LETTER, None],
            "Not sent: Click2Mail does not take .png files; use one of .doc, .docx, .odt, .pdf,"
            " .ppt, .pptx, .ps, .rtf (PDF is best)",
            "",
        ),
        (
            ["Renewal", "renewal", LETTER, None],
            "Not sent: Click2Mail does not take a file without an extension files; use one of"
            " .doc, .docx, .odt, .pdf, .ppt, .pptx, .ps, .rtf (PDF is best)",
            "",
        ),
        (
            ["Renewal", "renewal.pdf", LETTER, "JPG"],
            "Not sent: documentFormat 'JPG' is not one Click2Mail takes (DOC, DOCX, ODT, PDF,"
            " PPT, PPTX, PS, RTF)",
            "JPG",
        ),
        (
            ["Renewal", "renewal.pdf", dt.date(2026, 1, 1), None],
            "Not sent: documentClass must be text, not a date or time (2026-01-01)",
            "PDF",
        ),
    ],
)
def test_a_documents_row_gives_its_problem(
    row: list[object], problem: str | None, document_format: str
) -> None:
    line = row + [None] * (len(HEADER) - len(row))
    assert plan(line)[0] == (problem, document_format)


@pytest.mark.parametrize(
    ("names", "refused"),
    [
        (["April", "May"], [False, False]),
        (["April", "april"], [True, True]),
        (["April Renewal", "AprilRenewal"], [True, True]),
        (["April", " APRIL "], [True, True]),
    ],
)
def test_names_that_differ_only_in_case_or_spaces_are_one_name_and_refused(
    names: list[str], refused: list[bool]
) -> None:
    got = plan(*([name, "a.pdf", LETTER, None, None, None] for name in names))
    assert [p is not None and "is also on row" in p for p, _ in got] == refused


def test_a_name_key_drops_case_and_spaces() -> None:
    assert name_key("April  Renewal") == name_key("aprilrenewal") == "aprilrenewal"
    assert name_key(None) == name_key("") == ""


def test_an_unknown_upload_waits_for_a_person_and_is_not_uploaded_again() -> None:
    rows = [HEADER, ["Renewal", "a.pdf", LETTER, None, None, "UNKNOWN: sent 10:02"]]
    (found,) = plan_documents(rows, find_table(rows, DOCUMENTS, sheet="Documents"))
    assert found.waiting == "UNKNOWN: sent 10:02" and not found.to_upload


PDF_HEAD = b"%PDF-1.4\n"


@pytest.mark.parametrize(
    ("facts", "document_format", "problem"),
    [
        (FileFacts(True, size=100, head=PDF_HEAD), "PDF", None),
        (FileFacts(True, size=100, head=b"  \n" + PDF_HEAD), "PDF", None),
        (FileFacts(True, size=100, head=b"PK\x03\x04"), "DOCX", None),
        (FileFacts(False), "PDF", "Not sent: no file at F"),
        (FileFacts(True, is_folder=True), "PDF", "Not sent: F is a folder, not a file"),
        (FileFacts(True, size=0), "PDF", "Not sent: F is empty (0 bytes)"),
        (
            FileFacts(True, error="Permission denied"),
            "PDF",
            "Not sent: cannot read F: Permission denied",
        ),
        (
            FileFacts(True, size=100, head=b"<html>"),
            "PDF",
            "Not sent: F is not a PDF (it does not start with %PDF), whatever its name",
        ),
        (FileFacts(True, size=MAX_BYTES, head=PDF_HEAD), "PDF", None),
        (
            FileFacts(True, size=MAX_BYTES + 1, head=PDF_HEAD),
            "PDF",
            "Not sent: F is 100 MB; xl-mailer uploads at most 100 MB (its own limit): make the"
            " file smaller (print it to PDF again at a lower resolution)",
        ),
        (
            FileFacts(True, size=200 * 1_048_576, head=PDF_HEAD),
            "PDF",
            "Not sent: F is 200 MB; xl-mailer uploads at most 100 MB (its own limit): make the"
            " file smaller (print it to PDF again at a lower resolution)",
        ),
    ],
)
def test_a_file_gives_its_problem(
    facts: FileFacts, document_format: str, problem: str | None
) -> None:
    assert file_problem(facts, document_format, "F") == problem
