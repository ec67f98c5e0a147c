"""The call-entry page: who may use it, finding the caller, saving a call (and coming back to an
empty form), unknown callers recorded with their school, errors shown the GOV.UK way, and no place
for anything about the child. The topics list an admin manages."""

import re

import pytest
from sqlalchemy import func, select

from core.extensions import db
from infoline.models import InfolineCall, InfolineTopic

URL = "/infoline/calls/new"


@pytest.fixture
def topics(db_session):
    db_session.add_all([InfolineTopic(name="Neglect", active=True), InfolineTopic(name="Online safety", active=True),
                        InfolineTopic(name="Retired topic", active=False)])
    db_session.commit()


def _calls():
    return db.session.scalars(select(InfolineCall)).all()


@pytest.mark.parametrize("role,status", [("infoline", 200), ("admin", 200), ("evaluator", 403), ("trainer", 403),
                                         ("dsl", 403)])
def test_only_advisers_and_admins_record_calls(client, login_as, role, status):
    login_as(role)
    assert client.get(URL).status_code == status
    assert client.post(URL, data={"q": "x", "advice": "handled"}).status_code == status
    assert not _calls()


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_says_no_child_details_and_has_no_box_for_them(client, login_as, make_dsl):
    login_as("infoline")
    make_dsl(name="Priya Shah")
    page = client.get(URL + "?q=priya").get_data(as_text=True)
    assert "Do not record anything that could identify a child" in page
    assert "<textarea" not in page
    # The only typed fields: the search box and the duration.
    inputs = re.findall(r"<input[^>]*>", page)
    typed = [re.search(r'name="(\w+)"', tag).group(1) for tag in inputs if re.search(r'type="(?:text|search)"', tag)]
    assert sorted(typed) == ["duration", "q"]


def test_finding_by_name_email_or_school_and_saving(client, login_as, make_dsl, make_school, topics):
    adviser = login_as("infoline")
    school = make_school(name="Riverside Primary School")
    dsl = make_dsl(school=school, name="Ewa Kowalska", email="e.kowalska@riverside.example.org")
    for query in ("kowalska", "E.KOWALSKA@", "riverside"):
        page = client.get(URL, query_string={"q": query}).get_data(as_text=True)
        assert f'value="dsl-{dsl.id}"' in page, query
    page = client.get(URL, query_string={"q": "riverside"}).get_data(as_text=True)
    assert f'value="school-{school.urn}"' in page and "Someone else at Riverside Primary School" in page
    assert "Retired topic" not in page and "Online safety" in page
    response = client.post(URL, data={"q": "kowalska", "caller": f"dsl-{dsl.id}", "advice": "mash",
                                      "topic": "Neglect", "duration": "7"})
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)  # back to an empty form
    (call,) = _calls()
    assert (call.dsl_id, call.caller_email, call.school_urn, call.advice, call.topic, call.duration_minutes,
            call.recorded_by_id) == (dsl.id, dsl.email, school.urn, "mash", "Neglect", 7, adviser.id)
    empty = client.get(URL).get_data(as_text=True)
    assert "Call from Ewa Kowalska saved" in empty and 'name="caller"' not in empty
    assert "Calls you recorded most recently" in empty


def test_an_unknown_caller_is_recorded_with_their_school(client, login_as, make_school):
    login_as("infoline")
    school = make_school(name="Millbrook Academy")
    response = client.post(URL, data={"q": str(school.urn), "caller": f"school-{school.urn}", "advice": "handled"})
    assert response.status_code == 302
    (call,) = _calls()
    assert (call.dsl_id, call.caller_email, call.school_urn, call.topic, call.duration_minutes) == (
        None, None, school.urn, None, None)


def test_mistakes_are_shown_in_an_error_summary_and_nothing_is_saved(client, login_as, make_dsl, topics):
    login_as("infoline")
    dsl = make_dsl(name="Sam Otter")
    response = client.post(URL, data={"q": "otter", "caller": f"dsl-{dsl.id}", "duration": "ten",
                                      "topic": "Retired topic"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert "Choose the advice given" in page and "Enter the duration as a whole number of minutes" in page
    assert "Not a valid choice" in page or "topic" in page
    # A caller the search did not offer (another id typed into the form) is refused too.
    response = client.post(URL, data={"q": "otter", "caller": "dsl-999999", "advice": "handled"})
    assert response.status_code == 200 and "govuk-error-summary" in response.get_data(as_text=True)
    assert not _calls()


def test_a_search_with_no_match_says_so(client, login_as):
    login_as("infoline")
    page = client.get(URL, query_string={"q": "zzzz"}).get_data(as_text=True)
    assert "Nobody on the register and no school matches" in page


def test_admins_manage_the_topics(client, login_as):
    login_as("admin")
    assert client.post("/infoline/topics", data={"name": "  Online   safety "}).status_code == 302
    topic = db.session.scalar(select(InfolineTopic))
    assert topic.name == "Online safety" and topic.active
    page = client.post("/infoline/topics", data={"name": "online safety"}).get_data(as_text=True)
    assert "There is already a topic called online safety" in page and "govuk-error-summary" in page
    assert client.post(f"/infoline/topics/{topic.id}/active", data={}).status_code == 302
    db.session.refresh(topic)
    assert not topic.active
    assert db.session.scalar(select(func.count()).select_from(InfolineTopic)) == 1


def test_an_adviser_removes_their_own_mistaken_call_only(client, login_as, make_school, make_user, db_session):
    from core.models import AuditEvent

    adviser = login_as("infoline")
    school = make_school(name="Oak School")
    client.post(URL, data={"q": "oak", "caller": f"school-{school.urn}", "advice": "mash"})
    (call,) = _calls()
    other = make_user("infoline")
    theirs = InfolineCall(received_at=call.received_at, advice="handled", school_urn=school.urn,
                          recorded_by_id=other.id)
    db_session.add(theirs)
    db_session.commit()
    assert "Remove<span" in client.get(URL).get_data(as_text=True)
    assert client.post(f"/infoline/calls/{theirs.id}/remove", data={}).status_code == 404
    response = client.post(f"/infoline/calls/{call.id}/remove", data={})
    assert response.status_code == 302
    assert [c.id for c in _calls()] == [theirs.id]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.event == "infoline.call.removed"))
    assert event.user_id == adviser.id and event.old_values["advice"] == "mash"
