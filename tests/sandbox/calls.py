"""Calls to a sandbox over real HTTP, as a client would make them, for the sandbox's tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import requests
from lxml import etree

from xl_mailer.click2mail.xmlanswers import Document, parse
from xl_mailer.sandbox import Sandbox

from ..conftest import LETTER

AUTH = ("sandbox", "sandbox-password")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n2 0 obj << /Type /Page >> endobj\n%%EOF\n"
"""A two-page PDF as far as the sandbox counts pages."""


def answer(response: requests.Response) -> tuple[int, int | None, str]:
    document = parse(response.content)
    return response.status_code, document.int_field("status"), document.fields["description"]


def upload(
    box: Sandbox,
    content: bytes = PDF,
    *,
    name: str = "flyer",
    fields: Mapping[str, str] | None = None,
    timeout: float = 5,
) -> requests.Response:
    data = {"documentName": name, "documentFormat": "PDF", "documentClass": "Letter 8.5 x 11"}
    data.update(fields or {})
    data = {k: v for k, v in data.items() if v is not None}
    return requests.post(
        box.url + "/documents",
        auth=AUTH,
        timeout=timeout,
        data=data,
        files={"file": ("flyer.pdf", content, "application/pdf")},
    )


def list_body(name: str, addresses: Sequence[Mapping[str, str]], mapping: str = "1") -> bytes:
    """An address list body built with lxml, as the client builds it."""
    root = etree.Element("addressList")
    etree.SubElement(root, "addressListName").text = name
    etree.SubElement(root, "addressMappingId").text = mapping
    block = etree.SubElement(root, "addresses")
    for address in addresses:
        element = etree.SubElement(block, "address")
        for key, value in address.items():
            etree.SubElement(element, key).text = value
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


HOME = {
    "Firstname": "Ann",
    "Lastname": "O'Neil & Sons <Ltd>",
    "Organization": "",
    "Address1": "1 Main St",
    "Address2": "",
    "Address3": "",
    "City": "Springfield",
    "State": "IL",
    "Postalcode": "62701",
    "Country": "",
}


def create_list(box: Sandbox, body: bytes, timeout: float = 5) -> requests.Response:
    return requests.post(
        box.url + "/addressLists",
        data=body,
        auth=AUTH,
        timeout=timeout,
        headers={"Content-Type": "application/xml"},
    )


def poll(box: Sandbox, list_id: object) -> tuple[int, int | None, str]:
    return answer(requests.get(f"{box.url}/addressLists/{list_id}", auth=AUTH, timeout=5))


def ready_list(box: Sandbox, count: int = 3, name: str = "april") -> str:
    """A list of ``count`` US addresses, polled until ready; its id."""
    list_id = parse(create_list(box, list_body(name, [HOME] * count)).content).fields["id"]
    while poll(box, list_id)[1] != 3:
        pass
    return list_id


def create_job(box: Sandbox, **changes: object) -> str:
    response = requests.post(box.url + "/jobs", data={**LETTER, **changes}, auth=AUTH, timeout=5)
    assert response.status_code == 201, response.text
    return parse(response.content).fields["id"]


def get(box: Sandbox, path: str, **params: str) -> requests.Response:
    return requests.get(box.url + path, params=params, auth=AUTH, timeout=5)


def get_xml(box: Sandbox, path: str, **params: str) -> Document:
    return parse(get(box, path, **params).content)


def submit(
    box: Sandbox, job: object, billing: str = "User Credit", timeout: float = 5
) -> requests.Response:
    return requests.post(
        f"{box.url}/jobs/{job}/submit", data={"billingType": billing}, auth=AUTH, timeout=timeout
    )


def parse_id(response: requests.Response) -> str:
    return parse(response.content).fields["id"]
