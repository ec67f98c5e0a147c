"""``flask import KIND FILE``, every kind of import file through the shared machinery; and the
option types every command reads days and windows of days with."""

import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from core.extensions import db
from core.imports import apply_plan, import_kinds, plan_import
from core.timefmt import DAY_EXAMPLE, parse_day


class DayType(click.ParamType):
    """A day written as docs/formats.md says dates are: 2020-09-17 or 17/09/2020."""

    name = "day"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        day = parse_day(value)
        if day is None:
            self.fail(f"{value!r} is not a real day; give it as {DAY_EXAMPLE}", param, ctx)
        return day


class WindowType(click.ParamType):
    """Two days as START:END, both included, the start on or before the end."""

    name = "window"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        parts = value.split(":")
        days = [parse_day(part) for part in parts]
        if len(parts) != 2 or None in days:
            self.fail(f"{value!r} is not two days as START:END, like 2020-09-01:2020-09-30 "
                      f"(each day as {DAY_EXAMPLE})", param, ctx)
        if days[0] > days[1]:
            self.fail("the start must be on or before the end", param, ctx)
        return days[0], days[1]


DAY = DayType()
WINDOW = WindowType()


@click.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(kind, file):
    """Import FILE (CSV or XLSX) of KIND: schools, dsls, attendance, contacts, early-help or infoline."""
    kinds = import_kinds()
    if kind not in kinds:
        raise click.UsageError(f"KIND must be one of: {', '.join(kinds)}")
    plan = plan_import(kinds[kind], file.read_bytes(), file.name)
    if not plan.ok:
        db.session.rollback()
        click.echo(f"Rejected {file.name}: nothing was imported. {len(plan.errors)} problem(s):", err=True)
        for error in plan.errors:
            click.echo(f"  {error}", err=True)
        sys.exit(1)
    try:
        batch = apply_plan(plan, user_id=None, source="cli")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if batch is None:
        click.echo(f"Nothing to import from {file.name}: all {plan.rows} rows are already stored unchanged "
                   f"(created 0, updated 0, unchanged {plan.unchanged}).")
        return
    click.echo(f"Imported {file.name} as {kind} (batch {batch.id}): {batch.rows} rows, created {batch.created}, "
               f"updated {batch.updated}, unchanged {batch.unchanged}.")
