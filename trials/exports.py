"""Allocations and address lists as CSV and JSON. Pure: rows in, bytes out."""

import csv
import io
import json

from core.spreadsheets import csv_cell


def to_csv(rows: list[dict], columns, bom: bool = False) -> bytes:
    """A header of ``columns`` and one line per row, each cell made safe to open in a spreadsheet.
    ``bom``: start with a byte-order mark, so that Excel reads the file as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row[column]) for column in columns])
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def to_json(rows: list[dict]) -> bytes:
    return (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
