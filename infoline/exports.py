"""The Infoline page's tables as CSV and XLSX. Pure: tables in, bytes out. No names or emails of
callers: the tables hold counts, and schools (which are public bodies) by URN and name. Every text
cell a spreadsheet would run as a formula is neutralised."""

from __future__ import annotations

import csv
import io

from cohorts.display import Table
from core.spreadsheets import neutralise

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def to_csv(tables: list[Table]) -> bytes:
    """Each table in turn: its title, its header, its rows, a blank line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for table in tables:
        writer.writerow([neutralise(table.title)])
        writer.writerow([neutralise(h) for h in table.head])
        for row in table.rows:
            writer.writerow([neutralise(cell.text) for cell in row])
        writer.writerow([])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(table.key)
        sheet.append([neutralise(table.title)])
        sheet["A1"].font = Font(bold=True)
        sheet.append([neutralise(h) for h in table.head])
        for row in table.rows:
            sheet.append([cell.value if cell.numeric else neutralise(cell.text) for cell in row])
        sheet.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
