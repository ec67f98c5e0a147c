"""Every request checks its session against the database, downloads included. Through a real gunicorn
server with four workers: once a session is ended by signing out, a new password, a new role or a
disabled account, the old cookie gets nothing from any worker, although every worker served it a
moment before. The home page is public, so there the old cookie gets the start page, never the
signed-in one."""

import pytest

from bench.http import Visitor
from tests.support import served_site, until_every_worker_answers

WORKERS = 4
PASSWORD = "a-long-password-for-tests"
NEW_PASSWORD = "another-long-password-1"
ADMIN = "admin@council.example.org"
ENDINGS = ("sign out", "change password", "change role", "disable")


def _email(ending: str) -> str:
    return ending.replace(" ", "-") + "@school.example.org"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    accounts = {ADMIN: "admin", **{_email(e): "dsl" for e in ENDINGS}}
    with served_site(tmp_path_factory.mktemp("ended-sessions"), "ended", accounts, PASSWORD, WORKERS) as site:
        admin = Visitor(site.base)
        admin.sign_in(ADMIN, PASSWORD)
        yield site, admin


def _everywhere(base: str, log, cookies: dict, path: str, tag: str) -> list:
    """Requests for ``path`` with these cookies until every worker has answered some."""
    return until_every_worker_answers(log, tag, WORKERS, lambda n: Visitor(base, cookies).get(f"{path}?probe={tag}-{n}"))


def _end(ending: str, visitor: Visitor, admin: Visitor, user_id: int) -> None:
    """End the session through the page a person would use."""
    edit = f"/admin/users/{user_id}/edit"
    if ending == "sign out":
        reply = visitor.submit("/logout", "/logout", {})
    elif ending == "change password":
        reply = visitor.submit("/account/password", "/account/password",
                               {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    elif ending == "change role":
        reply = admin.submit(edit, edit, {"name": "Moved On", "role": "trainer", "active": "y"})
    else:
        reply = admin.submit(edit, edit, {"name": "Left The School", "role": "dsl"})  # "active" unticked
    assert reply.status == 302, reply.text


def _refused(reply, email: str, path: str) -> bool:
    if path == "/":
        return reply.status == 200 and "You are signed in" not in reply.text and email not in reply.text
    return reply.status == 403 or (reply.status == 302 and "/login" in reply.headers["Location"])


@pytest.mark.parametrize("ending", ENDINGS)
def test_an_ended_session_gets_nothing_from_any_worker(site, ending):
    site, admin = site
    base, log, ids = site.base, site.log, site.ids
    email = _email(ending)
    visitor = Visitor(base)
    visitor.sign_in(email, PASSWORD)
    old = dict(visitor.cookies)
    tag = ending.replace(" ", "-")

    before = _everywhere(base, log, old, "/materials/poster.pdf", f"{tag}-before")
    assert all(r.status == 200 and r.body.startswith(b"%PDF") for r in before)

    _end(ending, visitor, admin, ids[email])

    for path in ("/materials/poster.pdf", "/materials/", "/"):
        label = f"{tag}-after-{path.strip('/').replace('/', '-') or 'home'}"
        replies = _everywhere(base, log, old, path, label)
        assert all(_refused(r, email, path) for r in replies), {r.status for r in replies}
    if ending == "change password":
        # The person who changed it carries on in their new session; only the old one has ended.
        assert visitor.get("/materials/poster.pdf").status == 200
