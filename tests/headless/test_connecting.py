"""What the command line does with the account it is given: a password in any alphabet
works and is never shown, and an endpoint it cannot reach is named in a sentence."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from xl_mailer.click2mail import connection
from xl_mailer.click2mail.client import Click2MailClient
from xl_mailer.core.models import REQUIRED_PARAMS, RESULT_HEADERS
from xl_mailer.headless.cli import main
from xl_mailer.sandbox import Sandbox, SandboxConfig

from ..conftest import LETTER, write_book


def test_a_password_outside_latin_1_works_and_is_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = "pässwörd-€uro"
    with Sandbox(SandboxConfig(password=secret)) as box:
        monkeypatch.setenv("C2M_ENDPOINT", box.url)
        monkeypatch.setenv("C2M_USERNAME", "sandbox")
        monkeypatch.setenv("C2M_PASSWORD", secret)
        path = write_book(tmp_path / "jobs.xlsx", [LETTER])
        assert main(["run", str(path)], out=io.StringIO()) == 0
        monkeypatch.setenv("C2M_PASSWORD", secret + "x")
        another = write_book(tmp_path / "b.xlsx", [{**LETTER, "addressId": 2003}])
        assert main(["run", str(another)]) == 2
    captured = capfd.readouterr()
    assert secret not in captured.out + captured.err


class ClientWithoutPauses(Click2MailClient):
    """The command line's client, retrying as usual but without waiting between attempts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("sleep", lambda seconds: None)
        super().__init__(*args, **kwargs)


def test_reconcile_against_an_unreachable_endpoint_says_so_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = [*REQUIRED_PARAMS, "rtnName", *RESULT_HEADERS, "Request Key"]
    row = {**LETTER, "Description": "UNKNOWN: no answer"}  # a row reconcile has to look up
    path = write_book(tmp_path / "jobs.xlsx", [row], headers=headers)
    monkeypatch.setenv("C2M_USERNAME", "u")
    monkeypatch.setenv("C2M_PASSWORD", "p")
    monkeypatch.setattr(connection, "Click2MailClient", ClientWithoutPauses)
    assert main(["reconcile", str(path), "--endpoint", "http://127.0.0.1:9/molpro"]) == 2
    err = capsys.readouterr().err
    assert "Cannot reach http://127.0.0.1:9/molpro" in err and "Traceback" not in err
