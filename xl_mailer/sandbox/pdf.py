"""Small PDFs for the sandbox: a one-page proof it writes, and the page count of a PDF it is
sent (good enough for PDFs that keep their page objects uncompressed, as most do)."""

from __future__ import annotations

import re

_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def page_count(body: bytes) -> int:
    """The number of page objects in a PDF, at least 1."""
    return max(1, len(_PAGE.findall(body)))


def _escape(text: str) -> bytes:
    ascii_text = text.encode("ascii", "replace")
    return ascii_text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def proof_pdf(lines: list[str]) -> bytes:
    """A valid one-page US Letter PDF showing ``lines`` in Helvetica, with a correct xref."""
    text = b"BT /F1 12 Tf 72 720 Td 16 TL " + b" ".join(
        b"(" + _escape(line) + b") Tj T*" for line in lines
    )
    content = text + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\n"
    out += b"startxref\n" + str(xref).encode() + b"\n%%EOF\n"
    return bytes(out)
