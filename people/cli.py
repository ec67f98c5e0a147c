"""``flask users ...``: accounts from the command line."""

import click
from flask.cli import with_appcontext

from core.auth import ROLES
from core.extensions import db
from people import services


@click.group(help="Manage user accounts.")
def users():
    pass


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@click.option("--name", default="", help="The person's name (defaults to the part of the email before @).")
@click.password_option(help="Asked for when not given.")
@with_appcontext
def create(email, role, name, password):
    """Create an account that can sign in at once."""
    try:
        user = services.create_user(email, role, name, password)
    except services.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error))
    db.session.commit()
    click.echo(f"Created {user.role} account {user.email}.")
