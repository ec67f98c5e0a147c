"""With CSRF on, as in production: a form post without its token is refused and changes nothing."""

import pytest
from sqlalchemy import func, select

from core.extensions import db
from people.models import School


@pytest.fixture
def csrf_client(app, db_session):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        from tests.conftest import RequestClient

        app.test_client_class = RequestClient
        yield app.test_client()
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_post_without_token_is_refused(csrf_client, make_user):
    user = make_user("admin", password="correct horse battery")
    response = csrf_client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert response.status_code == 400
    assert "The form had expired" in response.get_data(as_text=True)


def test_signed_in_post_without_token_changes_nothing(csrf_client, make_user):
    user = make_user("admin", password="correct horse battery")
    page = csrf_client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = csrf_client.post("/login", data={"email": user.email, "password": "correct horse battery",
                                                "csrf_token": token})
    assert response.status_code == 302
    response = csrf_client.post("/admin/schools/new", data={"urn": "1", "name": "A", "pupils": "1", "fsm_percent": "1"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(School)) == 0


def test_every_form_page_carries_a_token(csrf_client, make_user):
    make_user("admin", password="correct horse battery")
    page = csrf_client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page
