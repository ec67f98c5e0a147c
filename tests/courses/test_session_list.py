"""The trainer's session list: a page at a time, filters kept in the page links, queries that do not grow."""

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import insert, select

from core.timefmt import today_london, utcnow
from courses.models import Booking, CourseSession, SessionPart


@pytest.fixture
def many_sessions(db_session, course_type, many_dsls):
    """``n`` sessions of ``course`` in ``district`` from ``start`` days away, one a day, each with a part and
    ``booked`` people booked (inserted in a few statements); returns their ids."""

    def make(n, course="refresher", district="Warwick", start=7, booked=3):
        type_id = course_type(course).id
        now = utcnow()
        first = today_london() + timedelta(days=start)
        days = [first + timedelta(days=i) for i in range(n)]
        db_session.execute(insert(CourseSession), [
            {"course_type_id": type_id, "first_day": day, "code": f"{district}-{start}-{i}", "mode": "online",
             "capacity": 20, "district": district, "cancelled": False, "created_at": now, "updated_at": now}
            for i, day in enumerate(days)])
        ids = list(db_session.scalars(select(CourseSession.id).where(
            CourseSession.code.like(f"{district}-{start}-%")).order_by(CourseSession.first_day)))
        db_session.execute(insert(SessionPart), [
            {"session_id": i, "starts_at": datetime.combine(day, time(9)), "ends_at": datetime.combine(day, time(12))}
            for i, day in zip(ids, days)])
        people = many_dsls(booked, prefix=f"{district.lower()}{start}") if booked else []
        if people:
            db_session.execute(insert(Booking), [{"session_id": s, "dsl_id": p, "status": "booked", "created_at": now,
                                                  "updated_at": now} for s in ids for p in people])
        db_session.commit()
        return ids

    return make


def _shown(page: str) -> list[str]:
    """The session ids linked from the table, in order."""
    return re.findall(r'href="/sessions/(\d+)"', page)


def _page_links(page: str) -> set[str]:
    return set(re.findall(r'href="(/sessions/\?[^"]*page=\d+[^"]*)"', page.replace("&amp;", "&")))


def test_the_list_is_shown_fifty_at_a_time_keeping_the_filters(client, login_as, course_type, many_sessions):
    login_as("trainer")
    warwick = many_sessions(120)
    many_sessions(5, district="Rugby", start=3)
    many_sessions(4, course="induction", start=2)
    refresher = course_type("refresher").id
    query = f"/sessions/?course={refresher}&district=Warwick"

    page = client.get(query).get_data(as_text=True)
    assert "120 sessions, showing 1 to 50" in page and "Page 1 of 3" in page
    assert _shown(page) == [str(i) for i in warwick[:50]]
    assert 'class="govuk-pagination' in page and 'aria-current="page"' in page
    links = _page_links(page)
    assert links and all(f"course={refresher}" in link and "district=Warwick" in link for link in links)
    assert any("page=2" in link for link in links) and any("page=3" in link for link in links)

    page = client.get(query + "&page=3").get_data(as_text=True)
    assert "showing 101 to 120" in page and _shown(page) == [str(i) for i in warwick[100:]]

    # Past sessions keep "when=past" in their page links.
    many_sessions(60, district="Stratford", start=-70)
    page = client.get("/sessions/?when=past").get_data(as_text=True)
    assert '<h1 class="govuk-heading-xl">Past sessions</h1>' in page and 'name="when" value="past"' in page
    assert "60 sessions, showing 1 to 50" in page
    assert any("page=2" in link and "when=past" in link for link in _page_links(page))


@pytest.mark.parametrize("value, shown", [("0", "1 to 50"), ("-4", "1 to 50"), ("two", "1 to 50"), ("", "1 to 50"),
                                          ("4", "101 to 120"), ("99999999999999999999999", "101 to 120")])
def test_a_page_number_out_of_range_shows_the_first_or_last_page(client, login_as, many_sessions, value, shown):
    login_as("trainer")
    many_sessions(120, booked=0)
    response = client.get(f"/sessions/?page={value}")
    assert response.status_code == 200
    assert f"showing {shown}" in response.get_data(as_text=True)


def test_an_empty_list_says_so(client, login_as):
    login_as("trainer")
    page = client.get("/sessions/?district=Nowhere&page=3").get_data(as_text=True)
    assert "No sessions match." in page and "govuk-pagination" not in page


def test_the_list_runs_the_same_queries_for_10_or_120_sessions(login_as, course_type, many_sessions, queries_for):
    login_as("trainer")
    many_sessions(10, start=400, district="Leamington")
    filtered = f"/sessions/?course={course_type('refresher').id}&district=Leamington"
    few, few_filtered = queries_for("/sessions/"), queries_for(filtered)
    many_sessions(110, start=500, district="Leamington")
    many, many_filtered = queries_for("/sessions/"), queries_for(filtered)
    assert (few, few_filtered) == (many, many_filtered)
    assert many <= 10


def test_a_dsls_next_sessions_leave_out_full_cancelled_and_their_own(db_session, dsl_user, many_sessions, make_session,
                                                                   queries_for):
    from courses import services

    user, dsl = dsl_user()
    full = make_session(first_day=today_london() + timedelta(days=1), capacity=3, code="full")
    cancelled = make_session(first_day=today_london() + timedelta(days=2), code="off")
    cancelled.cancelled = True
    mine = make_session(first_day=today_london() + timedelta(days=3), code="mine")
    open_ids = many_sessions(12, start=10, booked=3)
    now = utcnow()
    db_session.execute(insert(Booking), [{"session_id": full.id, "dsl_id": d, "status": "booked", "created_at": now,
                                          "updated_at": now} for d in many_dsls_ids(db_session, 3)])
    db_session.execute(insert(Booking), [{"session_id": mine.id, "dsl_id": dsl.id, "status": "booked",
                                          "created_at": now, "updated_at": now}])
    db_session.commit()

    shown = services.open_sessions(excluding={mine.id})
    assert [s.id for s, _ in shown] == open_ids[:10]
    assert {free for _, free in shown} == {17}
    assert not {full.id, cancelled.id} & {s.id for s, _ in services.open_sessions(limit=50)}
    queries_for("/my-training")  # the first visit also makes the calendar feed's address
    page = queries_for("/my-training")
    many_sessions(120, start=40, booked=0)
    assert queries_for("/my-training") == page


def many_dsls_ids(db_session, n):
    from people.models import Dsl

    return list(db_session.scalars(select(Dsl.id).order_by(Dsl.id).limit(n)))
