"""``flask demo``: fill an empty database with the demo county. Each feature adds its steps."""

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from core.extensions import db


def register_demo_step(app, order: int, name: str, step) -> None:
    """``step(rng)`` adds demo records; steps run in ``order`` inside one transaction."""
    app.extensions.setdefault("right_support_demo", []).append((order, name, step))


def register_demo_note(app, text: str) -> None:
    """A line ``flask demo`` prints after loading, telling a developer how to use what a step added."""
    app.extensions.setdefault("right_support_demo_notes", []).append(text)


def register_seeded_tables(app, *names: str) -> None:
    """Tables a migration fills with reference rows (e.g. course types): they do not make a database 'loaded'."""
    app.extensions.setdefault("right_support_seeded_tables", set()).update(names)


def database_is_empty() -> bool:
    seeded = current_app.extensions.get("right_support_seeded_tables", set())
    for table in db.metadata.sorted_tables:
        if table.name in seeded:
            continue
        if db.session.scalar(select(func.count()).select_from(table)):
            return False
    return True


def load_demo(seed: int = 2020) -> list[str]:
    import random

    rng = random.Random(seed)
    done = []
    for _order, name, step in sorted(current_app.extensions.get("right_support_demo", []), key=lambda s: s[0]):
        step(rng)
        db.session.flush()
        done.append(name)
    return done


@click.command("demo")
@click.option("--seed", default=2020, show_default=True, help="Seed for the demo data, so every load is the same.")
@click.option("--skip-if-loaded", is_flag=True, help="Do nothing, successfully, when the database already holds data.")
@with_appcontext
def demo_command(seed, skip_if_loaded):
    """Fill an EMPTY database with the demo county."""
    if not database_is_empty():
        if skip_if_loaded:
            click.echo("The database already holds data; the demo county was not loaded again.")
            return
        raise click.ClickException("The database already holds data; the demo county loads only into an empty database.")
    try:
        steps = load_demo(seed)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    click.echo(f"Loaded the demo county ({', '.join(steps)}). Sign in as admin@demo.test, trainer@demo.test, "
               "evaluator@demo.test, dsl@demo.test or infoline@demo.test with the password demo-county-password.")
    for line in current_app.extensions.get("right_support_demo_notes", []):
        click.echo(line)
