"""The demo county's materials: version 1 of each, published by the demo admin."""

from flask import current_app
from sqlalchemy import select

from core.extensions import db
from materials import services
from people.models import User


def publish_first_versions(rng) -> None:
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.test"))
    for material in services.ensure_materials():
        if services.current_version(material) is None:
            services.publish_draft(material, current_app.config["COUNCIL_NAME"], admin)
