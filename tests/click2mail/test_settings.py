"""The Settings sheet's values as a run reads them: defaults, Excel's floats, the environment
over the sheet, and a clear ConfigurationError for every value that cannot be used."""

from __future__ import annotations

import math

import pytest

from xl_mailer.click2mail import endpoints
from xl_mailer.click2mail.settings import Settings, from_mapping, with_environment
from xl_mailer.core.errors import ConfigurationError, InsecureEndpoint


@pytest.mark.parametrize(
    ("sheet", "settings"),
    [
        ({}, Settings("stage", 60.0, 4, None)),
        ({"Endpoint": None, "Timeout": "", "Concurrency": None}, Settings("stage", 60.0, 4, None)),
        ({" ENDPOINT ": "Production"}, Settings(endpoint="production")),
        ({"endpoint": "Staging"}, Settings(endpoint="stage")),
        ({"endpoint": " sandbox "}, Settings(endpoint="sandbox")),
        (
            {"endpoint": "https://c2m.corp.example/molpro"},
            Settings("https://c2m.corp.example/molpro"),
        ),
        ({"endpoint": 7}, Settings(endpoint="stage")),  # not text: the default, staging
        ({"timeout": 30.0, "concurrency": 8.0}, Settings(timeout=30.0, concurrency=8)),
        ({"timeout": " 2.5 ", "concurrency": "2"}, Settings(timeout=2.5, concurrency=2)),
        ({"username": "  ann  ", "password": ""}, Settings(username="ann")),
        ({None: "ignored", "Notes": "anything"}, Settings()),
    ],
)
def test_the_sheet_gives_the_run_its_settings(
    sheet: dict[object, object], settings: Settings
) -> None:
    assert from_mapping(sheet) == settings  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sheet", "message"),
    [
        ({"timeout": "soon"}, "Settings: timeout must be a number, not 'soon'"),
        ({"timeout": True}, "Settings: timeout must be a number"),
        ({"timeout": 0}, "Settings: timeout must be a positive number, not 0"),
        ({"timeout": -5}, "Settings: timeout must be a positive number, not -5"),
        ({"timeout": math.inf}, "Settings: timeout must be a positive number, not inf"),
        ({"timeout": "nan"}, "Settings: timeout must be a positive number, not 'nan'"),
        ({"concurrency": 2.5}, "Settings: concurrency must be a positive whole number, not 2.5"),
        ({"concurrency": "four"}, "Settings: concurrency must be a number, not 'four'"),
        ({"concurrency": 0}, "Settings: concurrency must be a positive whole number, not 0"),
        ({"Password": "hunter2"}, "Settings: remove the password from the workbook"),
        ({"c2m_password": "hunter2"}, "Settings: remove the password from the workbook"),
    ],
)
def test_a_value_that_cannot_be_used_stops_the_run_naming_it(
    sheet: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        from_mapping(sheet)
    assert str(caught.value).startswith(message)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("endpoint", "error", "message"),
    [
        ("Stagingg", ConfigurationError, "is not stage, production, sandbox or an http(s) URL"),
        ("ftp://c2m.example/molpro", ConfigurationError, "is not stage, production, sandbox"),
        ("http://c2m.corp.example/molpro", InsecureEndpoint, "the password would cross"),
        ("https://ops:pw@c2m.example/molpro", ConfigurationError, "must not carry a username"),
        ("https://c2m.example/molpro?x=1", ConfigurationError, "must not have a query"),
    ],
)
def test_an_endpoint_on_the_sheet_that_is_no_endpoint_is_refused_before_any_call(
    endpoint: str, error: type[ConfigurationError], message: str
) -> None:
    settings = from_mapping({"endpoint": endpoint})
    assert settings.endpoint == endpoint  # the sheet keeps what was typed; resolving judges it
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        endpoints.resolve(settings.endpoint)


def test_the_environment_overrides_the_sheets_endpoint_and_username(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sheet = from_mapping({"endpoint": "Production", "username": "ann", "timeout": 9})
    assert with_environment(sheet) == sheet
    monkeypatch.setenv("C2M_ENDPOINT", "sandbox")
    monkeypatch.setenv("C2M_USERNAME", "bob")
    assert with_environment(sheet) == Settings("sandbox", 9.0, 4, "bob")
