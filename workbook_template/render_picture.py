"""Render the Jobs sheet as users see it, for the README: sample rows, a sandbox run, a PNG.

    python workbook_template/render_picture.py [OUTPUT_PNG]   (default: docs/jobs-sheet.png)

Needs LibreOffice (Debian: libreoffice-calc), pdftoppm (poppler-utils) and Pillow
(``pip install -e '.[template]'``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from xl_mailer.headless.cli import main
from xl_mailer.headless.demo import demo_rows

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "xl-mailer.xlsm"
DEFAULT_OUTPUT = HERE.parent / "docs" / "jobs-sheet.png"
SAMPLE_ROWS = (0, 1, 11, 3, 4, 5, 6, 7)
# the demo rows that name a document and list it uploads first: here the sandbox's own ids
SANDBOX_IDS = {0: (1001, 2001), 1: (1002, 2001)}
HIDDEN = "EFGJKLMNOPQRS"  # color to printOption, mailClass to appSignature


def sample_workbook(folder: Path) -> Path:
    """The template with a few demo rows, run against the sandbox, saved as .xlsx for rendering."""
    run_copy = folder / "sample.xlsm"
    shutil.copy(TEMPLATE, run_copy)
    book = load_workbook(run_copy, keep_vba=True)
    sheet = book["Jobs"]
    rows = demo_rows(dt.date.today())
    for r, index in enumerate(SAMPLE_ROWS, start=5):
        values = rows[index][:7] + SANDBOX_IDS.get(index, rows[index][7:9])
        for c, value in enumerate(values, start=1):
            sheet.cell(r, c, value)
        sheet.cell(r, 11, rows[index][9])  # rtnName
    book.save(run_copy)
    code = main(["run", str(run_copy), "--endpoint", "sandbox", "--quiet"])
    if code == 2:
        raise SystemExit("the sample run could not start")
    book = load_workbook(run_copy)
    sheet = book["Jobs"]
    for name in [n for n in book.sheetnames if n != "Jobs"]:
        del book[name]
    # some input columns hidden to keep the picture readable (the README's caption names them)
    for letter in HIDDEN:
        sheet.column_dimensions[letter].hidden = True
    sheet.print_area = "A1:Y14"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = True
    out = folder / "sample.xlsx"
    book.save(out)
    return out


def trim(source: Path, target: Path, margin: int = 16) -> None:
    """Cut the page's white margins away, keeping a small border."""
    from PIL import Image, ImageChops

    page = Image.open(source).convert("RGB")
    box = ImageChops.difference(page, Image.new("RGB", page.size, "white")).getbbox()
    if box:
        left, top, right, bottom = box
        page = page.crop(
            (
                max(left - margin, 0),
                max(top - margin, 0),
                min(right + margin, page.width),
                min(bottom + margin, page.height),
            )
        )
    page.save(target, optimize=True)


def render(target: Path) -> Path:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sample = sample_workbook(folder)
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(sample)],
            check=True,
            capture_output=True,
            timeout=180,
        )
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "300",
                "-singlefile",
                str(folder / "sample.pdf"),
                str(folder / "page"),
            ],
            check=True,
            timeout=60,
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        trim(folder / "page.png", target)
    return target


if __name__ == "__main__":
    print(render(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT))
