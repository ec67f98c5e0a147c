"""``flask import KIND FILE``: every kind of import file, through the shared machinery."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from core.extensions import db
from core.imports import apply_plan, import_kinds, plan_import


@click.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_command(kind, file):
    """Import FILE (CSV or XLSX) of KIND: schools, dsls, attendance, contacts or early-help."""
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
