"""``flask courses ...``: the training clock from the command line."""

import csv
import json
import sys

import click
from flask.cli import with_appcontext

from core.cli import DAY
from core.spreadsheets import csv_cell
from courses import services
from courses.clock import as_dates

DUE_COLUMNS = ["email", "name", "school_urn", "last_trained", "expires", "status", "role", "school_name", "district",
               "last_updated", "update_expires", "update_status"]


@click.group(help="Courses and the training clock.")
def courses():
    pass


@courses.command("due")
@click.option("--on", "on", type=DAY, help="The day to work out status on (2022-08-15 or 15/08/2022); today by default.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@with_appcontext
def due(on, fmt):
    """Every DSL on the register with their last training, its expiry and their status."""
    frame = as_dates(services.clock_for(on))
    rows = []
    for record in frame[DUE_COLUMNS].to_dict("records"):
        for name in ("last_trained", "expires", "last_updated", "update_expires"):
            record[name] = record[name].isoformat() if record[name] else None
        record["school_urn"] = int(record["school_urn"])
        rows.append(record)
    if fmt == "json":
        json.dump(rows, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=DUE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in rows:
        writer.writerow({k: csv_cell(v) for k, v in record.items()})
