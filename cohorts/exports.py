"""The outcome report as JSON, CSV, XLSX and PDF. Pure: a report in, bytes out.

Every format is built from the same tables (cohorts/display.py). Exports carry pseudonymous ids,
never names or emails; in CSV and XLSX every text cell a spreadsheet would run as a formula is
neutralised (core.spreadsheets), the service's own composed text included.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pandas as pd

from cohorts.display import outcome_tables
from core import version
from core.spreadsheets import csv_cell, neutralise
from core.timefmt import today_london

CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def to_json(figures: dict) -> bytes:
    return (json.dumps(figures, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def _title(figures: dict) -> str:
    d = figures["definition"]
    return (f"Outcome report: {figures['cohort']}. Courses {', '.join(d['courses'])}; exposure {d['exposure'][0]} to "
            f"{d['exposure'][1]}; outcome {d['outcome'][0]} to {d['outcome'][1]}"
            + ("; small numbers suppressed" if figures.get("suppressed") else ""))


def to_csv(figures: dict, per_dsl: pd.DataFrame) -> bytes:
    """Each table in turn (its title, its header, its rows, a blank line), then the per-DSL rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(_title(figures))])
    writer.writerow([])
    for table in outcome_tables(figures):
        writer.writerow([neutralise(table.title)])
        writer.writerow([neutralise(h) for h in table.head])
        for row in table.rows:
            writer.writerow([neutralise(cell.text) for cell in row])
        writer.writerow([])
    if len(per_dsl):
        writer.writerow(["Per DSL (pseudonymous)"])
        writer.writerow(list(per_dsl.columns))
        for row in per_dsl.itertuples(index=False):
            writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(figures: dict, per_dsl: pd.DataFrame) -> bytes:
    """One sheet per table, numbers as numbers; a definition sheet first and the per-DSL rows last."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Definition"
    d = figures["definition"]
    for row in (["Cohort", figures["cohort"]], ["Courses", ", ".join(d["courses"])],
                ["Exposure from", d["exposure"][0]], ["Exposure to", d["exposure"][1]],
                ["Outcome from", d["outcome"][0]], ["Outcome to", d["outcome"][1]],
                ["Small numbers suppressed", "yes" if figures.get("suppressed") else "no"]):
        sheet.append([neutralise(v) for v in row])
    for table in outcome_tables(figures):
        sheet = workbook.create_sheet(table.key)
        sheet.append([neutralise(table.title)])
        sheet["A1"].font = Font(bold=True)
        sheet.append([neutralise(h) for h in table.head])
        for row in table.rows:
            sheet.append([cell.value if cell.numeric else neutralise(cell.text) for cell in row])
        sheet.column_dimensions["A"].width = 60
    if len(per_dsl):
        sheet = workbook.create_sheet("dsls")
        sheet.append(list(per_dsl.columns))
        frame = per_dsl.astype(object).where(per_dsl.notna(), None)
        for row in frame.itertuples(index=False):
            sheet.append([neutralise(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_pdf(figures: dict, council: str = "", plan: dict | None = None, generated: date | None = None) -> bytes:
    """The report as an A4 PDF (cohorts.report_pdf), saying which version of the service and of its
    analysis libraries made it, and the locked analysis plan behind it if there is one."""
    from cohorts import report_pdf

    context = report_pdf.Context(council=council, generated=generated or today_london(),
                                 app_version=version.app_version(), software=version.software_versions(), plan=plan)
    return report_pdf.build(figures, context)
