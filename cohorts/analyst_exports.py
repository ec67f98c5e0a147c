"""The outcome report for analysts: the long CSV, the XLSX workbook and the per-DSL CSV. Pure.

The CSV is one long table (cohorts/tidy.py) that ``pandas.read_csv`` reads in one call. The XLSX
has that table as its first sheet ("Figures", so ``pandas.read_excel`` reads it in one call), then
"About" (the cohort's definition and what every column and unit means), the pseudonymous per-DSL
rows when the report is not suppressed, and the import batches behind the figures. Numbers are
numbers with number formats, intervals are separate low and high columns, dates are dates; every
data sheet has its header in row 1, frozen, with filters. Text a spreadsheet would run as a
formula is neutralised (core.spreadsheets).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pandas as pd

from cohorts import tidy
from cohorts.disclosure import C
from core.spreadsheets import csv_cell, neutralise
from core.timefmt import to_london, uk_date

NUMBER_FORMATS = {
    "DSLs": "#,##0", "records": "#,##0", "contacts": "#,##0", "referrals": "#,##0", "days": "#,##0",
    "schools": "#,##0", "pupils": "#,##0", "consultations": "#,##0", "calls": "#,##0",
    "% of DSLs": "0.0", "%": "0.0", "per DSL": "0.000", "ratio": "0.00", "p": "0.0000", "t": "0.00", "df": "0.0",
    "g": "0.00", "SMD": "0.00", "SD": "0.00", "mean": "0.00", "£": "£#,##0.00",
    tidy.PER_THOUSAND: "0.00", "per 1,000 pupils": "0.00",
}
DATE_FORMAT = "d mmmm yyyy"
DATE_TIME_FORMAT = "d mmmm yyyy hh:mm"

UNITS = {
    "DSLs": "a number of DSLs", "records": "a number of MASH records (contacts and referrals)",
    "contacts": "a number of non-urgent contacts to the MASH", "referrals": "a number of urgent referrals to the MASH",
    "days": "a number of days (for days at risk, summed over DSLs)", "schools": "a number of schools",
    "pupils": "a number of pupils on roll", "consultations": "a number of Early Help consultations",
    "calls": "a number of calls a year", "% of DSLs": "a percentage of the group's DSLs (0 to 100)",
    "%": "a percentage (0 to 100)", "per DSL": "a mean per DSL", "ratio": "a ratio (1 is no difference)",
    "p": "a two-sided p-value", "t": "a t statistic", "df": "degrees of freedom", "g": "Hedges' g, a standardised difference",
    "SMD": "a standardised mean difference", "SD": "a standard deviation", "mean": "a mean over DSLs",
    "£": "pounds sterling", tidy.PER_THOUSAND: "a rate per 1,000 days at risk", "per 1,000 pupils": "a rate per 1,000 pupils",
}

PER_DSL_DEFINITIONS = {
    "dsl": "The DSL's pseudonym in this cohort (another cohort gives the same DSL another pseudonym)",
    "school": "The school's pseudonym in this cohort",
    "group": "comparison or treatment",
    "trained_on": "Treatment: the last day of the DSL's first qualifying session in the exposure window; empty for "
                  "comparison",
    "days_at_risk": "The DSL's days at risk in the outcome window (0: left out of the rates per day at risk)",
    "contacts": "Non-urgent contacts linked to the DSL in the outcome window",
    "referrals": "Urgent referrals linked to the DSL in the outcome window",
    "contacts_at_risk": "Non-urgent contacts on the DSL's days at risk",
    "referrals_at_risk": "Urgent referrals on the DSL's days at risk",
    "pupils_band": "Pupils on roll at the DSL's school, in bands",
    "fsm_band": "Pupils eligible for free school meals at the DSL's school, in bands",
    "phase": "The school's phase", "role": "DSL or Deputy DSL",
}


# -- CSV --------------------------------------------------------------------------------------


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(frame.columns))
    for row in frame.itertuples(index=False):
        writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def figures_csv(figures: dict) -> bytes:
    """The report as one long table: section, measure, group, value, low, high, unit."""
    return _csv(tidy.long_table(figures))


def per_dsl_csv(per_dsl: pd.DataFrame) -> bytes:
    """The pseudonymous per-DSL rows (unsuppressed reports only), one row per cohort member."""
    return _csv(per_dsl)


# -- XLSX -------------------------------------------------------------------------------------


def _header(sheet, names) -> None:
    from openpyxl.styles import Font

    sheet.append(list(names))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _finish(sheet, widths: dict[str, int]) -> None:
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _figures_sheet(sheet, figures: dict) -> None:
    _header(sheet, tidy.COLUMNS)
    for row in tidy.long_rows(figures):
        fmt = NUMBER_FORMATS.get(row["unit"], "General")
        cells = [neutralise(row["section"]), neutralise(row["measure"]), row["group"] or None]
        cells += [C if v == C else _number(v) for v in (row["value"], row["low"], row["high"])]
        sheet.append(cells + [neutralise(row["unit"]) or None])
        for cell in sheet[sheet.max_row][3:6]:
            if isinstance(cell.value, (int, float)):
                cell.number_format = fmt
    _finish(sheet, {"A": 16, "B": 80, "C": 12, "D": 14, "E": 14, "F": 14, "G": 22})


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _about_rows(figures: dict) -> list[tuple[str, object]]:
    d = figures["definition"]
    rows = [("Cohort", figures["cohort"]), ("Courses that count as the training", ", ".join(d["courses"])),
            ("Exposure window starts", _day(d["exposure"][0])), ("Exposure window ends", _day(d["exposure"][1])),
            ("Outcome window starts", _day(d["outcome"][0])), ("Outcome window ends", _day(d["outcome"][1]))]
    if d.get("pre"):
        rows += [("Pre-period starts", _day(d["pre"][0])), ("Pre-period ends", _day(d["pre"][1]))]
    rows.append(("Small numbers suppressed", "Yes: counts of 1 to 4 are shown as c and other counts are rounded to "
                 "the nearest 5; figures worked out from counts use the published counts; no per-DSL rows"
                 if figures.get("suppressed") else "No: this workbook is not for publication"))
    rows += [("Sheet: Figures", "Every figure of the report, one row each. Read it with pandas.read_excel(file) "
              "(the first sheet); a suppressed workbook's value column holds the text c, so add na_values=['c'] "
              "to read it as numbers."),
             ("Column: section", "The part of the report the figure belongs to"),
             ("Column: measure", "What the figure is"),
             ("Column: group", "comparison (DSLs not trained in the exposure window), treatment (DSLs trained in it), "
                               "or empty for a figure about both"),
             ("Column: value", "The figure; c where it is suppressed; empty where it is not defined"),
             ("Columns: low and high", "The 95% confidence interval, where the figure has one"),
             ("Column: unit", "What the value counts or measures (see the units below)")]
    rows += [(f"Unit: {unit}", meaning) for unit, meaning in UNITS.items()]
    if not figures.get("suppressed"):
        rows.append(("Sheet: Per DSL", "One row per DSL in the cohort, pseudonymous (never names or emails)"))
        rows += [(f"Column: {name}", meaning) for name, meaning in PER_DSL_DEFINITIONS.items()]
    rows.append(("Sheet: Import batches", "The files whose records these figures count, with their SHA-256 checksums "
                                          "(times in London time)"))
    return rows


def _about_sheet(sheet, figures: dict) -> None:
    _header(sheet, ("Item", "Detail"))
    for item, detail in _about_rows(figures):
        sheet.append([neutralise(item), detail if isinstance(detail, date) else neutralise(detail)])
        if isinstance(detail, date):
            sheet.cell(sheet.max_row, 2).number_format = DATE_FORMAT
    _finish(sheet, {"A": 36, "B": 110})


def _per_dsl_sheet(sheet, per_dsl: pd.DataFrame) -> None:
    _header(sheet, per_dsl.columns)
    frame = per_dsl.astype(object).where(per_dsl.notna(), None)
    day_column = list(per_dsl.columns).index("trained_on") + 1 if "trained_on" in per_dsl else None
    for row in frame.itertuples(index=False):
        sheet.append([neutralise(v) for v in row])
        if day_column and sheet.cell(sheet.max_row, day_column).value is not None:
            sheet.cell(sheet.max_row, day_column).number_format = DATE_FORMAT
    _finish(sheet, {"A": 14, "B": 14, "C": 12, "D": 18, "J": 16, "K": 16, "L": 22, "M": 12})


def _london(stamp: str) -> datetime:
    return to_london(datetime.fromisoformat(stamp.removesuffix("Z"))).replace(tzinfo=None)


def _batches_sheet(sheet, batches: list[dict]) -> None:
    _header(sheet, ("batch", "kind", "file", "imported", "rows", "sha256"))
    for b in batches:
        sheet.append([b["id"], neutralise(b["kind"]), neutralise(b["filename"]), _london(b["imported_at"]), b["rows"],
                      b["checksum"]])
        sheet.cell(sheet.max_row, 4).number_format = DATE_TIME_FORMAT
    _finish(sheet, {"C": 30, "D": 22, "F": 70})


def workbook(figures: dict, per_dsl: pd.DataFrame | None) -> bytes:
    """The report as an XLSX workbook (see the module's docstring)."""
    from openpyxl import Workbook

    book = Workbook()
    _figures_sheet(book.active, figures)
    book.active.title = "Figures"
    _about_sheet(book.create_sheet("About"), figures)
    if per_dsl is not None and len(per_dsl) and not figures.get("suppressed"):
        _per_dsl_sheet(book.create_sheet("Per DSL"), per_dsl)
    if figures.get("batches"):
        _batches_sheet(book.create_sheet("Import batches"), figures["batches"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def title(figures: dict) -> str:
    """The report's name and definition in words, dates the UK way."""
    d = figures["definition"]
    days = [uk_date(_day(day)) for day in d["exposure"] + d["outcome"]]
    return (f"Outcome report: {figures['cohort']}. Courses {', '.join(d['courses'])}; exposure {days[0]} to {days[1]}; "
            f"outcome {days[2]} to {days[3]}" + ("; small numbers suppressed" if figures.get("suppressed") else ""))
