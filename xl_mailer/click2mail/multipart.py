"""A ``multipart/form-data`` body streamed from a file: ``POST /documents`` sends documents of
up to hundreds of megabytes, and none of them is read into memory.

The body knows its length before it is sent (so it goes with a Content-Length, not chunked),
and reads the file again each time it is iterated (so a 429 can be answered by sending it
again). ``requests``' own ``files=`` would build the whole body in memory first.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path

CHUNK_BYTES = 65_536


def _quoted(text: str) -> str:
    """A name or file name inside a quoted header parameter, escaped as browsers do
    (RFC 7578 section 2: CR, LF and the quote as percent escapes; UTF-8 as it is)."""
    return text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


class MultipartBody:
    """Text fields then one file part, as iterable chunks of bytes with a known length.

    Raises OSError when the file cannot be opened (at construction, before anything is
    sent) and, while it is sent, when it is no longer the size it had: the connection
    then breaks before the body is complete.
    """

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        file_field: str,
        path: Path,
        content_type: str = "application/octet-stream",
    ) -> None:
        self.path = path
        self.failure = ""  # why the last sending broke off, when the file did that
        self.boundary = secrets.token_hex(16)
        self.size = os.stat(path).st_size
        with open(path, "rb"):  # readable now, or refused before sending
            pass
        head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"'
            f"\r\n\r\n".encode()
            + value.encode("utf-8")
            + b"\r\n"
            for name, value in fields
        )
        head += (
            f"--{self.boundary}\r\nContent-Disposition: form-data;"
            f' name="{_quoted(file_field)}"; filename="{_quoted(path.name)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        self._head = head
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self.size + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        sent = 0
        with open(self.path, "rb") as file:
            while chunk := file.read(min(CHUNK_BYTES, self.size - sent + 1)):
                sent += len(chunk)
                if sent > self.size:
                    break
                yield chunk
        if sent != self.size:
            self.failure = (
                f"{self.path.name} changed while it was being sent ({sent:,} bytes where"
                f" {self.size:,} were announced); the upload broke off"
            )
            raise OSError(self.failure)
        yield self._tail
