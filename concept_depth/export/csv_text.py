"""CSV text that a spreadsheet opens as data: a cell that would start a formula is written as text.

A dataset, model path or import can put any string into a table (a label, a noise name, a model
folder); Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula (CSV injection). OWASP's rule: prefix such a string with ``'``, which the spreadsheet
shows as text and does not run. Numbers are never touched (a negative number stays a number).
"""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

#: The first characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """``value``, with a leading ``'`` where it is a string a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def frame_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text (no index), every formula-like string cell written as text."""
    return frame.map(spreadsheet_safe).to_csv(index=False)


def rows_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Dict rows as CSV text with header ``columns``, every formula-like string cell written as text."""
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    return text.getvalue()


__all__ = ["FORMULA_STARTS", "frame_csv", "rows_csv", "spreadsheet_safe"]
