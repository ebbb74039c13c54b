"""POST /addressLists and GET /addressLists/{id} over real HTTP: processing over polls,
errors, refusals, and when a list can be mailed to."""

from __future__ import annotations

import pytest
import requests

from xl_mailer.click2mail.xmlanswers import parse
from xl_mailer.sandbox import Sandbox, SandboxConfig

from ..conftest import LETTER
from .calls import AUTH, HOME, answer, create_list, list_body, poll


def post_job(box: Sandbox, list_id: object) -> tuple[int, int | None, str]:
    data = {**LETTER, "addressId": list_id}
    return answer(requests.post(box.url + "/jobs", data=data, auth=AUTH, timeout=5))


def test_a_list_moves_uploaded_mapped_standardized_over_polls(sandbox: Sandbox) -> None:
    created = create_list(sandbox, list_body("april", [HOME, HOME]))
    assert answer(created) == (201, 0, "Uploaded")
    list_id = parse(created.content).fields["id"]
    assert post_job(sandbox, list_id) == (200, 9, "Address list not valid for selected Product")
    assert poll(sandbox, list_id) == (200, 1, "Mapped")
    assert post_job(sandbox, list_id) == (200, 9, "Address list not valid for selected Product")
    assert poll(sandbox, list_id) == (200, 3, "CASS Standardized")
    assert poll(sandbox, list_id) == (200, 3, "CASS Standardized")
    assert post_job(sandbox, list_id) == (201, 0, "Created")
    made = sandbox.state.lists[int(list_id)]
    assert (made.name, made.count) == ("april", 2)
    assert sandbox.state.address_lists["april"] == 1


def test_the_number_of_polls_is_a_switch() -> None:
    with Sandbox(SandboxConfig(address_list_polls=1)) as box:
        list_id = parse(create_list(box, list_body("a", [HOME])).content).fields["id"]
        assert poll(box, list_id)[1] == 3
    with Sandbox(SandboxConfig(address_list_polls=10**9)) as box:
        list_id = parse(create_list(box, list_body("a", [HOME])).content).fields["id"]
        assert {poll(box, list_id)[1] for _ in range(5)} == {1}


@pytest.mark.parametrize(
    ("name", "addresses"),
    [
        ("no street", [{**HOME, "Address1": ""}, {**HOME, "Address1": " "}]),
        ("empty", []),
        ("my sandbox-error list", [HOME]),
    ],
)
def test_a_list_it_cannot_standardise_ends_in_9_error(
    sandbox: Sandbox, name: str, addresses: list[dict[str, str]]
) -> None:
    list_id = parse(create_list(sandbox, list_body(name, addresses)).content).fields["id"]
    assert [poll(sandbox, list_id)[1:] for _ in range(3)] == [
        (1, "Mapped"),
        (9, "Error"),
        (9, "Error"),
    ]
    assert post_job(sandbox, list_id) == (200, 9, "Address list not valid for selected Product")


def test_mapping_2_and_foreign_addresses(sandbox: Sandbox) -> None:
    abroad = {"First_name": "Jo", "Address1": "1 Rue", "City": "Paris", "Country_non-US": "France"}
    list_id = parse(create_list(sandbox, list_body("m2", [abroad], "2")).content).fields["id"]
    poll(sandbox, list_id)
    assert poll(sandbox, list_id)[1] == 3
    assert sandbox.state.lists[int(list_id)].international


def test_names_with_markup_and_non_ascii_survive(sandbox: Sandbox) -> None:
    name = 'Müller & <Söhne> "Q"'
    list_id = parse(create_list(sandbox, list_body(name, [HOME])).content).fields["id"]
    assert sandbox.state.lists[int(list_id)].name == name


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<addressList><addressMappingId>1</addressMappingId></addressList>", (400, 9)),
        (b"<addressList><addressListName>x</addressListName></addressList>", (400, 9)),
        (list_body("x", [HOME], mapping="7"), (400, 9)),
        (b"not xml at all", (400, 9)),
        (
            b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<addressList><addressListName>&e;</addressListName></addressList>",
            (400, 9),
        ),
    ],
)
def test_a_bad_body_is_refused_and_makes_no_list(
    sandbox: Sandbox, body: bytes, expected: tuple[int, int]
) -> None:
    before = set(sandbox.state.lists)
    assert answer(create_list(sandbox, body))[:2] == expected
    assert set(sandbox.state.lists) == before and not sandbox.state.address_lists


def test_missing_mapping_and_bad_mapping_say_so(sandbox: Sandbox) -> None:
    missing = b"<addressList><addressListName>x</addressListName></addressList>"
    assert answer(create_list(sandbox, missing))[2] == "One of the required parameters is missing."
    assert answer(create_list(sandbox, list_body("x", [HOME], "7")))[2] == (
        "Invalid addressMappingId."
    )


def test_an_unknown_list_is_not_found(sandbox: Sandbox) -> None:
    assert poll(sandbox, 42) == (200, 9, "Address List ID not found")


def test_the_seeded_lists_are_ready(sandbox: Sandbox) -> None:
    assert [poll(sandbox, n)[1] for n in (2001, 2002, 2003)] == [3, 3, 3]
