"""Every ribbon icon is an Excel control identifier that ribbon_images.json records as
looked up in Microsoft's published list (OfficeDev/office-fluent-ui-command-identifiers)."""

from __future__ import annotations

import json

from lxml import etree

from ..remote import TEMPLATE

CHECKED = json.loads((TEMPLATE.parent / "ribbon_images.json").read_text(encoding="utf-8"))
UI_NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}


def test_the_ribbon_uses_exactly_the_image_names_checked_against_excels_list(
    parts: dict[str, bytes],
) -> None:
    ui = etree.fromstring(parts["customUI/customUI.xml"])
    used = {element.get("imageMso") for element in ui.iterfind(".//*[@imageMso]")}
    assert used == set(CHECKED["imageMso"])


def test_the_record_says_which_list_and_commit_each_name_was_found_in() -> None:
    assert CHECKED["repository"].endswith("OfficeDev/office-fluent-ui-command-identifiers")
    assert len(CHECKED["commit"]) == 40
    assert all(path.endswith("excelcontrols.xlsx") for path in CHECKED["lists"])
    for name, found in CHECKED["imageMso"].items():
        assert found["Control Type"] in ("button", "toggleButton"), name
