"""``flask infoline summary|add-topic``: the Infoline's figures and its topics list from the command
line (calls themselves come in through ``flask import infoline FILE``)."""

import json
import sys

import click
from flask.cli import with_appcontext

from core.cli import WINDOW
from core.extensions import db
from infoline import display, exports, services


@click.group(help="The DSL Infoline: its figures and its topics.")
def infoline():
    pass


@infoline.command("summary")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--period", type=WINDOW, help="Only calls (and MASH records) received in START:END")
@with_appcontext
def summary(fmt, period):
    """Every figure of the Infoline page, as JSON or as the page's tables in CSV."""
    figures = services.figures(*(period or (None, None)))
    if fmt == "csv":
        sys.stdout.buffer.write(exports.to_csv(display.tables(figures)))
        return
    click.echo(json.dumps(figures, indent=2, default=str))


@infoline.command("add-topic")
@click.argument("name")
@with_appcontext
def add_topic(name):
    """Offer advisers the topic NAME."""
    try:
        topic = services.add_topic(name)
    except services.InfolineError as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    db.session.commit()
    click.echo(f"Added the topic {topic.name}.")
