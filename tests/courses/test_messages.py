"""Each message about training: what triggers it, who gets it, what it carries, and that it goes once.
Every message is sent to a real SMTP server on loopback (the ``mailbox`` fixture)."""

import json
from datetime import date, timedelta

from icalendar import Calendar
from sqlalchemy import func, select

from core.mail import deliver
from core.mail.models import OutboxMessage
from core.timefmt import today_london
from courses.models import Attendance, Booking, Reminder


def _calendar(mailbox, message):
    [(name, (content_type, data))] = mailbox.attachments(message).items()
    assert name == "invite.ics"
    return content_type, Calendar.from_ical(data)


def _booking(db_session, session, dsl):
    db_session.expire_all()
    return db_session.scalar(select(Booking).where(Booking.session_id == session.id, Booking.dsl_id == dsl.id))


def test_booking_confirmation_carries_a_calendar_request(client, dsl_user, db_session, make_session, mailbox):
    _, dsl = dsl_user(name="Nia Jones")
    session = make_session(notes="Bring your school's safeguarding policy.")
    client.post(f"/my-training/sessions/{session.id}/book", follow_redirects=True)
    [message] = mailbox.to(dsl.email)
    assert message["Subject"] == f"You are booked on DSL refresher on {session.first_day.day} " \
                                 f"{session.first_day:%B %Y}"
    text, html = mailbox.text(message), mailbox.html(message)
    assert "Dear Nia Jones" in text and "https://meet.example.org/x" in text and "/my-training" in text
    assert "Dear Nia Jones" in html and 'href="https://meet.example.org/x"' in html
    content_type, calendar = _calendar(mailbox, message)
    assert content_type.startswith("text/calendar") and "method=" in content_type and "REQUEST" in content_type
    assert calendar["method"] == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert event["summary"] == "DSL refresher"
    assert "Online. Join at https://meet.example.org/x" in event["description"]
    assert "Bring your school's safeguarding policy." in event["description"]
    assert "Demo County Council" in event["description"]
    assert str(event["attendee"]) == f"mailto:{dsl.email}"
    # Booking again changes nothing and sends nothing.
    client.post(f"/my-training/sessions/{session.id}/book", data={"second": "yes"}, follow_redirects=True)
    assert len(mailbox.to(dsl.email)) == 1


def test_cancelling_sends_a_calendar_cancel_and_promotes_the_waiting_list(app, client, dsl_user, db_session, make_session,
                                                                         make_dsl, mailbox):
    from courses.services import book_place

    _, dsl = dsl_user()
    session = make_session(capacity=1)
    client.post(f"/my-training/sessions/{session.id}/book", follow_redirects=True)
    waiting = make_dsl(name="Next In Line")
    book_place(session, waiting)
    db_session.commit()
    deliver()  # what the test queued outside a page: cron would send it
    booking = _booking(db_session, session, dsl)
    # The DSL is asked first; the question changes nothing.
    page = client.get(f"/my-training/bookings/{booking.id}/cancel").get_data(as_text=True)
    assert "Are you sure you want to cancel your place?" in page
    assert _booking(db_session, session, dsl).status == "booked"
    client.post(f"/my-training/bookings/{booking.id}/cancel", follow_redirects=True)
    assert _booking(db_session, session, dsl).status == "cancelled"

    booked, cancelled = mailbox.to(dsl.email)
    assert cancelled["Subject"].startswith("Your place on DSL refresher on ")
    assert "You have cancelled your place" in mailbox.text(cancelled)
    _, request = _calendar(mailbox, booked)
    _, cancel = _calendar(mailbox, cancelled)
    assert cancel["method"] == "CANCEL"
    [requested], [withdrawn] = request.walk("VEVENT"), cancel.walk("VEVENT")
    assert withdrawn["uid"] == requested["uid"] and withdrawn["status"] == "CANCELLED"
    assert withdrawn["sequence"] > requested.get("sequence", 0)

    assert _booking(db_session, session, waiting).status == "booked"
    waitlisted, promoted = mailbox.to(waiting.email)
    assert "waiting list" in waitlisted["Subject"] and not mailbox.attachments(waitlisted)
    assert promoted["Subject"].startswith("A place has come up: you are booked on DSL refresher")
    _, calendar = _calendar(mailbox, promoted)
    assert calendar["method"] == "REQUEST"
    # Cancelling again changes nothing and sends nothing.
    client.post(f"/my-training/bookings/{booking.id}/cancel", follow_redirects=True)
    assert len(mailbox.to(dsl.email)) == 2 and len(mailbox.to(waiting.email)) == 2


def test_a_trainer_cancelling_a_session_tells_everyone_booked_once(client, login_as, db_session, make_session,
                                                                  make_dsl, mailbox):
    from courses.services import book_place, cancel_booking

    login_as("trainer")
    session = make_session(capacity=2)
    booked = [make_dsl() for _ in range(2)]
    waiting, gone = make_dsl(), make_dsl()
    for person in (*booked, waiting, gone):
        book_place(session, person)
    cancel_booking(_booking(db_session, session, gone))
    db_session.commit()
    mailbox.messages.clear()  # the sends so far are not under test here

    page = client.get(f"/sessions/{session.id}/cancel").get_data(as_text=True)
    assert "Are you sure you want to cancel this session?" in page
    assert "The 3 people booked or waiting will be emailed" in page
    db_session.expire_all()
    assert not session.cancelled, "asking changes nothing"
    page = client.post(f"/sessions/{session.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "3 people have been emailed" in page
    assert sorted(r for m in mailbox.messages for r in m.envelope_recipients) == sorted(
        p.email for p in (*booked, waiting))
    for message in mailbox.messages:
        assert message["Subject"].startswith("Cancelled: DSL refresher on ")
        assert "cancelled by the training team" in mailbox.text(message)
        assert _calendar(mailbox, message)[1]["method"] == "CANCEL"
    client.post(f"/sessions/{session.id}/cancel", follow_redirects=True)
    assert len(mailbox.messages) == 3, "cancelling again tells nobody again"


def test_a_trainer_cancelling_a_place_says_so(client, login_as, db_session, make_session, make_dsl, mailbox):
    from courses.services import book_place

    login_as("trainer")
    session = make_session()
    person = make_dsl()
    booking = book_place(session, person)
    db_session.commit()
    mailbox.messages.clear()
    page = client.get(f"/sessions/{session.id}/bookings/{booking.id}/cancel").get_data(as_text=True)
    assert f"Are you sure you want to cancel the place of {person.name}?" in page
    client.post(f"/sessions/{session.id}/bookings/{booking.id}/cancel", follow_redirects=True)
    [message] = mailbox.to(person.email)
    assert "The training team has cancelled your place" in mailbox.text(message)
    assert _calendar(mailbox, message)[1]["method"] == "CANCEL"


def test_trainer_books_several_people_from_one_search(client, login_as, db_session, make_session, make_dsl, mailbox):
    login_as("trainer")
    session = make_session(capacity=2)
    people = [make_dsl(name=f"Searchable {n}") for n in range(3)]
    page = client.get(f"/sessions/{session.id}?q=searchable").get_data(as_text=True)
    assert page.count('name="dsl_ids"') == 3
    page = client.post(f"/sessions/{session.id}/book", data={"dsl_ids": [str(p.id) for p in people], "q": "searchable"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Booked: Searchable 0, Searchable 1." in page
    assert "On the waiting list (the session is full): Searchable 2." in page
    assert [_booking(db_session, session, p).status for p in people] == ["booked", "booked", "waitlisted"]
    assert all(len(mailbox.to(p.email)) == 1 for p in people)
    # Nobody selected: a message, nothing booked.
    page = client.post(f"/sessions/{session.id}/book", data={"q": "x"}, follow_redirects=True).get_data(as_text=True)
    assert "Select at least one person to book" in page


def test_session_reminders_go_two_days_before_once(app, runner, db_session, make_session, make_dsl, mailbox):
    from courses.services import book_place, cancel_booking

    on = today_london()
    soon, later, today_ = make_session(first_day=on + timedelta(days=2)), make_session(
        first_day=on + timedelta(days=3)), make_session(first_day=on)
    keen, other, dropped = make_dsl(), make_dsl(), make_dsl()
    for session in (soon, later, today_):
        book_place(session, keen)
    book_place(soon, other)
    book_place(soon, dropped)
    cancel_booking(_booking(db_session, soon, dropped))
    db_session.commit()
    deliver()  # the booking emails, out of the way
    mailbox.messages.clear()

    dry = runner.invoke(args=["reminders", "sessions", "--dry-run"])
    assert json.loads(dry.output) == {"session": 2}
    assert mailbox.messages == [] and db_session.scalar(select(func.count()).select_from(Reminder)) == 0
    result = runner.invoke(args=["reminders", "sessions", "--on", on.isoformat()])
    assert json.loads(result.output) == {"session": 2}, result.output
    assert sorted(r for m in mailbox.messages for r in m.envelope_recipients) == sorted([keen.email, other.email])
    message = mailbox.to(other.email)[0]
    assert message["Subject"].startswith("Reminder: DSL refresher on ")
    assert "https://meet.example.org/x" in mailbox.text(message)
    assert json.loads(runner.invoke(args=["reminders", "sessions"]).output) == {"session": 0}
    # Tomorrow the session three days away is two days away.
    tomorrow = runner.invoke(args=["reminders", "sessions", "--on", (on + timedelta(days=1)).isoformat()])
    assert json.loads(tomorrow.output) == {"session": 1}


def test_training_reminders_once_per_state_and_expiry(app, runner, db_session, make_session, make_dsl, make_school,
                                                      mailbox):
    school = make_school(name="Reminder Primary")
    never = make_dsl(school=school, name="Never Trained")
    due = make_dsl(school=school, name="Due Soon")
    expired = make_dsl(school=school, name="Long Ago")
    fresh = make_dsl(school=school, name="In Date")
    on = date(2022, 8, 15)
    for person, day in ((due, date(2020, 9, 1)), (expired, date(2019, 5, 1)), (fresh, date(2022, 1, 10))):
        db_session.add(Attendance(session_id=make_session(first_day=day, code=person.name).id, dsl_id=person.id,
                                  status="attended"))
    db_session.commit()
    expected_before = db_session.scalar(select(func.count()).select_from(OutboxMessage))

    due_json = json.loads(runner.invoke(args=["courses", "due", "--on", on.isoformat()]).output)
    states = {r["email"]: r["status"] for r in due_json}
    expected = {s: sum(1 for v in states.values() if v == s) for s in ("due", "expired", "never")}

    dry = runner.invoke(args=["reminders", "send", "--on", on.isoformat(), "--dry-run"])
    assert json.loads(dry.output) == expected, "the counts match the training clock's"
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == expected_before
    result = runner.invoke(args=["reminders", "send", "--on", on.isoformat()])
    assert json.loads(result.output) == expected
    assert list(json.loads(result.output)) == ["due", "expired", "never"]
    assert mailbox.to(fresh.email) == []
    [to_due] = mailbox.to(due.email)
    assert to_due["Subject"] == "Your DSL training expires on 1 September 2022: book a refresher"
    [to_expired] = mailbox.to(expired.email)
    assert to_expired["Subject"] == "Your DSL training expired on 1 May 2021: book a refresher"
    [to_never] = mailbox.to(never.email)
    assert to_never["Subject"] == "Book your DSL induction training"
    assert "As DSL at Reminder Primary, book an induction" in mailbox.text(to_never)

    again = json.loads(runner.invoke(args=["reminders", "send", "--on", on.isoformat()]).output)
    assert again == {"due": 0, "expired": 0, "never": 0}
    # Once the due date passes, the same expiry is now "expired": one more reminder, once.
    later = json.loads(runner.invoke(args=["reminders", "send", "--on", "2022-09-02"]).output)
    assert later["expired"] >= 1 and later["never"] == 0
    assert len(mailbox.to(due.email)) == 2 and len(mailbox.to(expired.email)) == 1
    assert mailbox.to(due.email)[1]["Subject"] == "Your DSL training expired on 1 September 2022: book a refresher"
    assert json.loads(runner.invoke(args=["reminders", "send", "--on", "2022-09-02"]).output)["expired"] == 0


def test_nobody_is_emailed_about_a_session_that_has_started(client, login_as, db_session, make_session, make_dsl,
                                                            mailbox):
    from courses.services import book_place

    login_as("trainer")
    started = make_session(first_day=today_london())
    person = make_dsl()
    booking = book_place(started, person)
    started.parts[0].starts_at = started.parts[0].starts_at.replace(hour=0, minute=0)  # began at midnight
    db_session.commit()
    deliver()
    mailbox.messages.clear()
    page = client.get(f"/sessions/{started.id}/bookings/{booking.id}/cancel").get_data(as_text=True)
    assert "Nobody is emailed." in page
    client.post(f"/sessions/{started.id}/bookings/{booking.id}/cancel", follow_redirects=True)
    client.post(f"/sessions/{started.id}/cancel", follow_redirects=True)
    db_session.expire_all()
    assert _booking(db_session, started, person).status == "cancelled" and started.cancelled
    assert mailbox.messages == []


def test_every_message_is_plain_text_and_simple_html(app, db_session, make_session, make_dsl, make_user, mailbox):
    """Each kind of message goes out with a plain-text part and a simple HTML part (no images, scripts
    or style sheets); a name is written as typed in the text and escaped in the HTML."""
    from core.extensions import db
    from courses.reminders import send_session_reminders, send_training_reminders
    from courses.services import book_place, cancel_booking, cancel_session
    from people.messages import INVITATION, queue_invitation

    name = "Ann <b>O'Neill</b> & Co"
    first, second = make_dsl(name=name), make_dsl(name=name)
    session = make_session(first_day=today_london() + timedelta(days=2), capacity=1)
    book_place(session, first)
    book_place(session, second)  # on the waiting list
    cancel_booking(_booking(db_session, session, first))  # the second is promoted
    send_session_reminders(today_london())
    send_training_reminders(today_london())  # neither has trained yet
    cancel_session(session)
    queue_invitation(make_user("trainer", name=name), "https://rs.example.gov.uk/set-password/x", 7,
                     "Demo County Council", "Right Support")
    db.session.commit()
    deliver()

    db_session.expire_all()
    kinds = set(db_session.scalars(select(OutboxMessage.kind)))
    assert kinds == {INVITATION, "courses.booked", "courses.cancelled", "courses.promoted",
                     "courses.session_reminder", "courses.training_reminder", "courses.session_cancelled"}
    assert set(db_session.scalars(select(OutboxMessage.status))) == {"sent"}
    assert len(mailbox.messages) == db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 9
    for message in mailbox.messages:
        text, html = mailbox.text(message), mailbox.html(message)
        assert f"Dear {name}," in text, message["Subject"]
        assert "Dear Ann &lt;b&gt;O&#39;Neill&lt;/b&gt; &amp; Co," in html, message["Subject"]
        assert html.startswith("<!DOCTYPE html>") and "<b>" not in html
        for unwanted in ("<img", "<script", "<link", "<style"):
            assert unwanted not in html, (message["Subject"], unwanted)
