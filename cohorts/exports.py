"""The outcome report as JSON, CSV, XLSX and PDF. Pure: a report in, bytes out.

Every format is built from the same tables (cohorts/display.py). Exports carry pseudonymous ids,
never names or emails; in CSV and XLSX every text cell a spreadsheet would run as a formula is
neutralised (core.spreadsheets), the service's own composed text included.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from cohorts import analyst_exports
from core import version
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


def to_pdf(figures: dict, council: str = "", plan: dict | None = None, generated: date | None = None) -> bytes:
    """The report as an A4 PDF (cohorts.report_pdf), saying which version of the service and of its
    analysis libraries made it, and the locked analysis plan behind it if there is one."""
    from cohorts import report_pdf

    context = report_pdf.Context(council=council, generated=generated or today_london(),
                                 app_version=version.app_version(), software=version.software_versions(), plan=plan)
    return report_pdf.build(figures, context)
