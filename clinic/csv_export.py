"""Every CSV Backstep writes goes through `csv_text`, so that no cell can run as a spreadsheet formula.

Excel, LibreOffice and Google Sheets read a cell that starts with =, +, -, @,
a tab or a carriage return as a formula, which can fetch URLs or run commands
(OWASP, "CSV Injection"). Following OWASP, such a text cell is prefixed with a
single quote: the spreadsheet shows the text as typed and treats it as text.

Only text is neutralised. Numbers Backstep computes (ids, counts, adherence,
mean pain: ints and Decimals) stay numbers: they cannot hold a formula, and a
quote would turn them into text a spreadsheet can no longer sum. Anything a
person typed (names, references, protocol names) reaches this module as text,
so a reference typed as "-12" or "=1+1" is prefixed like any other.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """A text cell that a spreadsheet would take for a formula, made plain text; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_text(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    """The CSV document of `header` and `rows` (None is an empty cell), every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([neutralise_cell(name) for name in header])
    writer.writerows([neutralise_cell(value) for value in row] for row in rows)
    return out.getvalue()
