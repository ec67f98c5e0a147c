"""The one formula neutraliser every CSV and XLSX writer uses (each writer is tested with a hostile
name beside its own tests: cohort exports, the training-clock CSV, ``courses due --format csv``)."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from core.spreadsheets import FORMULA_STARTS, csv_cell, neutralise


@pytest.mark.parametrize("text", ["=1+1", "+44 1926 412412", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A2)", "\t=1",
                                  "\r=1", "-0.03 to 0.30", "-", "=", "+1e5", "-1.2.3", "--5", "-5 ", "- 5"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Jo Bloggs", "", "'=already", "£-5", "< 0.001", "n/a", "1 to 2", "5", "1,234",
                                  "-0.03", "+7", "-3.5%", "-1,234.5", "12%"])
def test_other_text_and_plain_numbers_stay_as_they_are(text):
    assert neutralise(text) == text


@pytest.mark.parametrize("value", [-0.03, -7, 0, 3.5, None, True, date(2020, 9, 17)])
def test_values_that_are_not_text_are_never_touched(value):
    assert neutralise(value) is value


def test_csv_cells():
    assert [csv_cell(v) for v in (None, float("nan"), pd.NA, pd.NaT, np.nan)] == [""] * 5
    assert csv_cell(date(2020, 9, 17)) == "2020-09-17"
    assert csv_cell(datetime(2020, 9, 17, 10, 30)) == "2020-09-17T10:30:00"
    assert csv_cell(-4) == -4 and csv_cell(-0.5) == -0.5
    assert csv_cell("@evil") == "'@evil" and csv_cell("fine") == "fine"


def test_no_neutralised_cell_starts_like_a_formula():
    for text in ["=a", "+b", "-c", "@d", "\te", "\rf", "-0.03 to 0.30"]:
        assert not neutralise(text).startswith(FORMULA_STARTS)
