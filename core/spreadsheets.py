"""Cells for every CSV and XLSX the service writes, made safe to open in a spreadsheet. Pure.

A spreadsheet runs a cell that starts with = + - or @ as a formula (and some also after a tab or a
carriage return), so text that starts that way, whether a person typed it (a DSL's name, a file
name) or the service composed it (an interval such as "-0.03 to 0.30"), gets a leading apostrophe
and stays text. A plain number such as -0.03, 1,234 or -3.5% is read as that number and nothing
else, so it is left as it is; in XLSX numbers are written as numbers and never touched.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?")


def neutralise(value):
    """``value`` itself, unless it is text a spreadsheet would run as a formula: then that text
    behind an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_cell(value):
    """A value as a CSV cell: blank when missing, a day or time in ISO 8601, numbers as they are,
    text neutralised."""
    if isinstance(value, str):
        return neutralise(value)
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
