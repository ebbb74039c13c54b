from __future__ import annotations

from pathlib import Path

from xl_mailer.core.catalog import Catalog, default_catalog

from ..conftest import LETTER


def test_a_catalog_file_extends_the_built_in_one(tmp_path: Path) -> None:
    extra = tmp_path / "mine.json"
    extra.write_text('{"documentClasses": {"Letter 8.5 x 11": {"color": ["Purple"]}}}')
    catalog = default_catalog().merged(Catalog.load(extra))
    assert "Purple" in catalog.allowed("color", "Letter 8.5 x 11")
    assert "Full Color" in catalog.allowed("color", "Letter 8.5 x 11")
    assert catalog.check({**{k: str(v) for k, v in LETTER.items()}, "color": "Purple"}) == []
