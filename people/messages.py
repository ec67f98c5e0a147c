"""Messages about accounts: the invitation to set a password."""

from core.mail import Message, from_templates, queue, register_message
from people.models import User

INVITATION = "people.invitation"


def invitation(context: dict) -> Message:
    return from_templates("people/mail/invitation", f"Set your password for {context['service_name']}", context)


def queue_invitation(user: User, link: str, days: int, council_name: str, service_name: str) -> None:
    """Email ``user`` their set-password link (the admin can still copy it from the page)."""
    queue(INVITATION, user.email, {"name": user.name, "email": user.email, "link": link, "days": days,
                                   "council_name": council_name, "service_name": service_name})


def init_app(app) -> None:
    register_message(app, INVITATION, invitation)
