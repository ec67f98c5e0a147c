"""Mail: a feature queues a message in the database with the change that causes it
(``queue(kind, recipient, context)``), and the message is sent after that change commits: at the end
of the request for a page, by ``deliver()`` for a command, and by ``flask mail send-queued`` (from
cron) for anything still waiting. Each feature words its own messages (courses/messages.py,
people/messages.py) and registers them with ``register_message``."""

from functools import partial

from core.mail.outbox import Message, committed_ids, external_url, from_templates, queue, queue_many, register_message
from core.mail.sending import Delivery, deliver

__all__ = ["Delivery", "Message", "deliver", "deliver_committed", "external_url", "from_templates", "queue",
           "queue_many", "register_message"]


def deliver_committed() -> Delivery:
    """Send what this app context has committed (for commands; pages do it after their response)."""
    ids = committed_ids()
    return deliver(ids) if ids else Delivery()


def _deliver_in_own_context(app, ids) -> None:
    # Runs once the response has gone to the browser, after the request's context has ended.
    with app.app_context():
        try:
            deliver(ids)
        except Exception:  # the messages stay queued; cron sends them
            app.logger.exception("Sending mail after a request failed")


def init_app(app) -> None:
    from flask import g

    from core.auth import ADMIN
    from core.mail import cli, views
    from core.mail.outbox import listen_for_commits
    from core.navigation import add_nav_item

    listen_for_commits()
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.mail_group)
    add_nav_item(app, "mail.outbox", "Mail", {ADMIN}, order=90, section="mail.")

    @app.after_request
    def _send_after_response(response):
        ids = g.pop("outbox_committed", None)
        if ids:
            response.call_on_close(partial(_deliver_in_own_context, app, ids))
        return response
