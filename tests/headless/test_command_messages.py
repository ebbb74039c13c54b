"""What the command line says about logging in, about a command that stops unexpectedly,
and about itself (-v anywhere, help without markup): each message about what the person
asked for, saying what happened and what to do."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from xl_mailer.headless.args import build_parser
from xl_mailer.headless.cli import COMMANDS, main

from ..conftest import letter, write_book

# -- login -------------------------------------------------------------------------------------


class MemoryKeyring(KeyringBackend):
    """A keyring in memory; with ``keeps`` False it takes passwords and keeps none."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, *, keeps: bool = True) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.keeps = keeps
        self.store: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.keeps:
            self.store[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@contextlib.contextmanager
def installed(backend: MemoryKeyring) -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with installed(MemoryKeyring()) as memory:
        yield memory


def test_login_without_a_keyring_says_so_before_asking_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "ann")
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "secret")
    assert main(["login", "--endpoint", "stage"]) == 2  # conftest: the null keyring
    assert asked == []
    err = capsys.readouterr().err
    assert err.startswith(
        "xl-mailer: Cannot keep a password: this computer has no OS keyring that xl-mailer can"
        " use. Nothing was asked or stored. Set C2M_PASSWORD in the environment"
    )
    assert "journal" not in err and "workbook" not in err


def test_login_with_no_input_says_no_username_was_given(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # as with: xl-mailer login </dev/null
    assert main(["login", "--endpoint", "stage"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "No username given; nothing stored. Type it when asked, or give it with --username NAME.\n"
    )
    assert memory_keyring.store == {}


def test_login_whose_password_input_ends_stores_nothing(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def ended(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr("getpass.getpass", ended)
    assert main(["login", "--username", "ann"]) == 2
    assert capsys.readouterr().err == "No password given; nothing stored.\n"
    assert memory_keyring.store == {}


def test_a_keyring_that_does_not_keep_the_password_is_not_reported_as_keeping_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt: "s3cret")
    with installed(MemoryKeyring(keeps=False)):
        assert main(["login", "--username", "ann"]) == 2
    shown = capsys.readouterr()
    assert "Password kept" not in shown.out
    assert "xl-mailer: The OS keyring did not keep the password. Set C2M_PASSWORD" in shown.err
    assert "s3cret" not in shown.out + shown.err


def test_login_to_the_sandbox_needs_no_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt: pytest.fail("asked for a password"))
    assert main(["login", "--endpoint", "sandbox"]) == 0
    assert "The sandbox needs no password" in capsys.readouterr().out


def test_an_unexpected_stop_of_login_says_nothing_about_workbooks_or_journals(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(prompt: str) -> str:
        raise RuntimeError("the terminal went away")

    monkeypatch.setattr("getpass.getpass", broken)
    assert main(["login", "--username", "ann"]) == 2
    assert capsys.readouterr().err == (
        "xl-mailer: login stopped by an unexpected RuntimeError; run the same command again"
        " with -v to see the details.\n"
    )


def test_an_unexpected_stop_of_a_run_says_where_the_job_ids_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from xl_mailer.headless import sending

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("unforeseen")

    monkeypatch.setattr(sending, "validate", broken)
    path = write_book(tmp_path / "jobs.xlsx", [letter()])
    assert main(["run", str(path), "--validate-only"], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert err.startswith("xl-mailer: run stopped by an unexpected RuntimeError;")
    assert "Any job id it received is in the workbook or in its journal" in err


# -- the command line itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "run", "BOOK", "--validate-only"],
        ["run", "BOOK", "--validate-only", "-v"],
        ["run", "-v", "BOOK", "--validate-only"],
        ["run", "BOOK", "--verbose", "--validate-only"],
    ],
)
def test_verbose_is_taken_before_or_after_the_command(tmp_path: Path, argv: list[str]) -> None:
    path = write_book(tmp_path / "jobs.xlsx", [letter()])
    args = build_parser().parse_args([str(path) if a == "BOOK" else a for a in argv])
    assert args.verbose is True
    assert build_parser().parse_args(["run", str(path)]).verbose is False


def test_help_has_no_markup(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in [[], *([name] for name in COMMANDS)]:
        with pytest.raises(SystemExit):
            build_parser().parse_args([*argv, "--help"])
        text = capsys.readouterr().out
        assert "``" not in text and "-v, --verbose" in text, argv
