import pytest

from materials import services
from materials.content import POSTER


@pytest.fixture
def published(db_session, make_user):
    """Every material seeded and version 1 published; returns the poster's version 1."""
    admin = make_user("admin")
    for material in services.ensure_materials():
        services.publish_draft(material, "Demo County Council", admin)
    db_session.commit()
    return services.current_version(services.material_by_kind(POSTER))
