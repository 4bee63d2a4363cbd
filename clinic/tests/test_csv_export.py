"""clinic.csv_export: cells a spreadsheet would run as formulas are written as text (OWASP, CSV Injection)."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from clinic.csv_export import csv_text, neutralise_cell

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3+cmd|' /C calc'!A0",
                                  "@SUM(1+1)", "\t=1", "\r=1", "-12"])
def test_text_that_starts_like_a_formula_is_prefixed_with_a_quote(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Ashby", "2026-03-04", "2.5 km/h · 5 % · 20 min", "", " =1", "a=b", None, 7, -3,
                                   Decimal("-1.5"), Decimal("97.6")])
def test_other_text_and_computed_numbers_are_unchanged(value):
    assert neutralise_cell(value) == value


def test_csv_text_neutralises_header_and_every_cell_and_reads_back():
    text = csv_text(["ref", "=n"], [["=cmd", 3], ["plain, with comma", None]])
    assert list(csv.reader(io.StringIO(text))) == [["ref", "'=n"], ["'=cmd", "3"], ["plain, with comma", ""]]


def test_every_csv_backstep_writes_goes_through_csv_text():
    """A new csv.writer elsewhere would skip the neutralising: this module is the only writer."""
    writers = re.compile(r"\bcsv\.(writer|DictWriter)\b")
    offenders = [str(path.relative_to(ROOT)) for folder in ("clinic", "patients", "protocols", "bench")
                 for path in (ROOT / folder).rglob("*.py")
                 if "tests" not in path.parts and path.name != "csv_export.py" and writers.search(path.read_text())]
    assert offenders == []
