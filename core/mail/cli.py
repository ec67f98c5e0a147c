"""``flask mail send-queued``: send every queued message that is due, including retries."""

import json

import click
from flask.cli import with_appcontext

from core.mail.sending import deliver


@click.group("mail", help="The outbox of messages to send.")
def mail_group():
    pass


@mail_group.command("send-queued")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send at most this many.")
@with_appcontext
def send_queued(limit):
    """Send queued messages that are due (new ones and failed ones whose wait is over). Safe to run
    from cron as often as you like, and beside the web app: no message is sent twice."""
    report = deliver(limit=limit)
    click.echo(json.dumps({"sent": report.sent, "failed": report.failed, "waiting": report.waiting}))
