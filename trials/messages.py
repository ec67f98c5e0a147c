"""The invitation to book training that trainers send to the DSLs of an intervention arm (or of a
stepped wedge's wave): queued (core.mail) with everything it says fixed at that moment, and worded
here when it is sent."""

from __future__ import annotations

from flask import current_app

from core.mail import Message, external_url, from_templates, queue, register_message

INVITATION = "trials.invitation"


def invitation_context(row, wave: int | None) -> dict:
    """What the invitation of the DSL ``row`` (name, role, school_name) says."""
    config = current_app.config
    return {"name": row.name, "school": row.school_name, "role_text": "DSL" if row.role == "DSL" else "deputy DSL",
            "wave": wave, "council_name": config["COUNCIL_NAME"], "service_name": config["SERVICE_NAME"],
            "my_training": external_url("courses.my_training")}


def queue_invitation(row, wave: int | None) -> None:
    queue(INVITATION, row.email, invitation_context(row, wave))


def invitation(context: dict) -> Message:
    return from_templates("trials/mail/invitation", f"Book your place on {context['council_name']}'s DSL training",
                          context)


def init_app(app) -> None:
    register_message(app, INVITATION, invitation)
