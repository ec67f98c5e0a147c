"""``flask courses ...``: the training clock from the command line."""

import csv
import json
import sys

import click
from flask.cli import with_appcontext

from core.cli import DAY
from core.extensions import db
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
    services.record_clock_export({"on": on, "format": fmt}, len(rows), source="cli")
    db.session.commit()
    if fmt == "json":
        json.dump(rows, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=DUE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in rows:
        writer.writerow({k: csv_cell(v) for k, v in record.items()})


@click.group(help="Reminders by email. Safe to run daily from cron: each is sent once.")
def reminders():
    pass


def _send(work, on, dry_run):
    """Run ``work(day, dry_run)``, then commit and send what it queued, or with ``dry_run`` undo it."""
    from core.extensions import db
    from core.mail import deliver
    from core.timefmt import today_london

    result = work(on or today_london(), dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
        deliver()
    return result


@reminders.command("send")
@click.option("--on", "on", type=DAY, help="The day to work out status on (2022-08-15 or 15/08/2022); today by default.")
@click.option("--dry-run", is_flag=True, help="Send nothing; print what would be sent.")
@with_appcontext
def send(on, dry_run):
    """Email each DSL whose training is due, has expired or has never been done, once per state and
    expiry date. Prints the counts as JSON."""
    from courses.reminders import send_training_reminders

    click.echo(json.dumps(_send(send_training_reminders, on, dry_run)))


@reminders.command("sessions")
@click.option("--on", "on", type=DAY, help="The day to count from (2022-08-15 or 15/08/2022); today by default.")
@click.option("--dry-run", is_flag=True, help="Send nothing; print what would be sent.")
@with_appcontext
def sessions(on, dry_run):
    """Email everyone booked on a session in the next two days, once per session. Prints the count as JSON."""
    from courses.reminders import send_session_reminders

    click.echo(json.dumps({"session": _send(send_session_reminders, on, dry_run)}))
