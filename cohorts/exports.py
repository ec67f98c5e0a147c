"""The outcome report as JSON, CSV, XLSX and PDF. Pure: a report in, bytes out.

Every format is built from the same tables (cohorts/display.py). Exports carry pseudonymous ids,
never names or emails; in CSV and XLSX every text cell a spreadsheet would run as a formula is
neutralised (core.spreadsheets), the service's own composed text included.
"""

from __future__ import annotations

import io
import json

import pandas as pd
from reportlab.lib.enums import TA_CENTER

from cohorts import analyst_exports
from cohorts.charts import outcome_charts
from cohorts.display import outcome_tables
from core import pdf

CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def to_json(figures: dict) -> bytes:
    return (json.dumps(figures, indent=2, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def _title(figures: dict) -> str:
    return analyst_exports.title(figures)


def to_csv(figures: dict, per_dsl: pd.DataFrame | None = None) -> bytes:
    """The report as one long table (cohorts/analyst_exports.py); the per-DSL rows are a download
    of their own (:func:`to_dsl_csv`)."""
    return analyst_exports.figures_csv(figures)


def to_dsl_csv(per_dsl: pd.DataFrame) -> bytes:
    """The pseudonymous per-DSL rows of an unsuppressed report."""
    return analyst_exports.per_dsl_csv(per_dsl)


def to_xlsx(figures: dict, per_dsl: pd.DataFrame | None = None) -> bytes:
    """The report as an analyst's workbook (cohorts/analyst_exports.py)."""
    return analyst_exports.workbook(figures, per_dsl)


class ReportStyles(pdf.Styles):
    def __init__(self):
        super().__init__()
        self.title = self.make("report-title", 18, bold=True, align=TA_CENTER, after=6, leading=22)
        self.heading = self.make("report-heading", 13, bold=True, before=8, after=4)
        self.body = self.make("report-body", 10, after=4, leading=12)
        self.cell = self.make("report-cell", 8, leading=10)


def to_pdf(figures: dict, council: str = "") -> bytes:
    """An A4 report on the service's PDF foundation: the definition, every table, and the charts;
    the cohort's name at the head of every page and the page number at the foot."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table

    name = f"Outcome report: {figures['cohort']}"
    buffer = io.BytesIO()
    doc = pdf.document(buffer, A4, pdf.DocumentInfo(name, council or pdf.CREATOR, _title(figures)), 15 * mm)
    edges = pdf.Edges(footer=f"{council} \u00b7 {pdf.CREATOR}" if council else pdf.CREATOR, header=name,
                      number="Page {page}", size=8, colour=pdf.SECONDARY_INK)
    doc.addPageTemplates([pdf.page_template(doc, "report", edges)])
    styles = ReportStyles()
    story = [Paragraph(pdf.safe(name), styles.title), Paragraph(pdf.safe(_title(figures)), styles.body),
             Spacer(1, 4 * mm)]
    charts = {chart.key: chart for chart in outcome_charts(figures)}
    for table in outcome_tables(figures):
        story.append(Paragraph(pdf.safe(table.title), styles.heading))
        data = [[Paragraph(pdf.safe(h), styles.cell) for h in table.head]]
        data += [[Paragraph(pdf.safe(cell.text), styles.cell) for cell in row] for row in table.rows]
        widths = None
        if table.widths_mm:
            widths = [width * mm for width in table.widths_mm]
        elif len(table.head) == 2:
            widths = [120 * mm, 60 * mm]
        elif len(table.head) == 3:
            widths = [90 * mm, 45 * mm, 45 * mm]
        grid = pdf.styled(Table(data, colWidths=widths, repeatRows=1), [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")), ("VALIGN", (0, 0), (-1, -1), "TOP")])
        story += [grid, Spacer(1, 4 * mm)]
        if table.key == "outcomes":
            story += [charts[key].drawing for key in ("contacts-per-dsl", "contacts-and-referrals", "dsls-contacting")]
        if table.key == "early_help" and "early-help" in charts:
            story.append(charts["early-help"].drawing)
        if table.key == "overlap" and "overlap" in charts:
            story.append(charts["overlap"].drawing)
    return pdf.built(doc, buffer, story)
