"""A busy morning's first minutes: many people sign in at the same moment and each opens their
training page for the first time, which makes their calendar feed. Through a real gunicorn server
with four workers, every one of them gets in, on SQLite (one writer at a time) as on PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, func, select

from bench.http import Visitor
from courses.models import CalendarFeed
from people.models import User
from tests.support import served_site

PEOPLE = 16
PASSWORD = "a-long-password-for-tests"


def test_people_signing_in_at_once_all_get_in(tmp_path):
    emails = [f"person{n}@school.example.org" for n in range(PEOPLE)]
    with served_site(tmp_path, "at_once", {email: "dsl" for email in emails}, PASSWORD) as site:
        def arrive(email):
            visitor = Visitor(site.base)
            visitor.sign_in(email, PASSWORD)  # fails unless the form answers with a redirect
            return visitor.get("/my-training")

        with ThreadPoolExecutor(PEOPLE) as pool:
            pages = list(pool.map(arrive, emails))
        assert [page.status for page in pages] == [200] * PEOPLE
        assert all("Your calendar feed" in page.text for page in pages)
        engine = create_engine(site.url)
        try:
            with engine.connect() as connection:
                signed_in = connection.scalar(select(func.count()).where(User.last_signed_in_at.is_not(None)))
                feeds = connection.scalar(select(func.count()).select_from(CalendarFeed))
        finally:
            engine.dispose()
    assert (signed_in, feeds) == (PEOPLE, PEOPLE)
