"""The outbox: messages queued with the change that causes them, sent after commit to a real SMTP
server on loopback, kept and retried with backoff when sending fails, never sent twice, and in
development written to a folder that an admin page lists."""

import json
from datetime import timedelta

from sqlalchemy import func, select

from core.extensions import db
from core.mail import deliver, queue
from core.mail.models import OutboxMessage
from core.mail.sending import retry_delay
from core.timefmt import utcnow
from people.models import User
from tests.support import free_port


def _invite(client, login_as, email="new.person@council.example.org"):
    login_as("admin")
    return client.post("/admin/users/new", data={"email": email, "name": "New Person", "role": "trainer"})


def test_an_invitation_is_emailed_after_the_page_commits(client, login_as, mailbox, db_session):
    response = _invite(client, login_as)
    assert response.status_code == 302
    stored = db_session.scalar(select(OutboxMessage))
    assert stored.status == "queued", "queued with the account, sent only once the response is done"
    assert mailbox.messages == []
    response.close()  # the server closes the response after sending it to the browser
    db_session.expire_all()
    assert db_session.scalar(select(OutboxMessage)).status == "sent"
    [message] = mailbox.to("new.person@council.example.org")
    assert message["Subject"] == "Set your password for Right Support"
    link = mailbox.text(message).split("Set your password here:\n")[1].split("\n")[0]
    assert "/set-password/" in link and link in mailbox.html(message)
    # The copy-the-link fallback still shows the same link.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'value="{link}"' in page
    assert 'data-copy="invitation-link"' in page, "a copy button (shown by the page's script)"
    assert "has been emailed to them" in page


def test_a_rolled_back_change_sends_nothing(client, login_as, mailbox, db_session):
    login_as("admin")
    # The same email twice: the second account is refused, and its transaction queued nothing.
    client.post("/admin/users/new", data={"email": "twice@council.example.org", "name": "A", "role": "trainer"},
                follow_redirects=True)
    client.post("/admin/users/new", data={"email": "twice@council.example.org", "name": "B", "role": "trainer"},
                follow_redirects=True)
    assert len(mailbox.to("twice@council.example.org")) == 1
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_failed_send_is_kept_retried_with_backoff_and_shown_to_admins(app, client, login_as, db_session,
                                                                        monkeypatch, mailbox):
    # Nothing listens on this port: the server is out of reach.
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    _invite(client, login_as, "first@council.example.org").close()
    _invite(client, login_as, "second@council.example.org").close()
    db_session.expire_all()
    messages = list(db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [m.status for m in messages] == ["queued", "queued"]
    assert [m.attempts for m in messages] == [1, 1]
    assert "ConnectionRefusedError" in messages[0].last_error
    wait = messages[0].next_attempt_at - utcnow()
    assert timedelta(seconds=50) < wait <= timedelta(seconds=60)

    page = client.get("/admin/mail/").get_data(as_text=True)
    assert "Messages that failed" in page and "first@council.example.org" in page and "ConnectionRefusedError" in page

    # Not due yet: cron sends nothing. Once due, a second failure waits twice as long.
    with app.app_context():
        assert deliver().sent == 0
    messages[0].next_attempt_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    with app.app_context():
        report = deliver()
    assert (report.sent, report.failed) == (0, 1)
    db_session.expire_all()
    assert messages[0].attempts == 2
    assert timedelta(seconds=110) < messages[0].next_attempt_at - utcnow() <= timedelta(seconds=120)

    # The server is back: "try again now" sends both, once each.
    monkeypatch.setitem(app.config, "MAIL_PORT", mailbox.port)
    response = client.post("/admin/mail/retry", follow_redirects=True)
    assert "2 sent, 0 failed" in response.get_data(as_text=True)
    assert len(mailbox.to("first@council.example.org")) == 1 and len(mailbox.to("second@council.example.org")) == 1
    with app.app_context():
        assert deliver().sent == 0, "nothing is sent twice"


def test_backoff_doubles_up_to_six_hours():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(30) == timedelta(hours=6)


def test_two_senders_never_send_one_message_twice(app, db_session, mailbox, make_user):
    user = make_user("trainer")
    with app.app_context():
        for n in range(5):
            queue("people.invitation", user.email, {"name": "N", "email": user.email, "link": f"http://x/{n}",
                                                    "days": 7, "council_name": "C", "service_name": "S"})
        db.session.commit()
        first = deliver(limit=3)
        second = deliver()
        third = deliver()
    assert (first.sent, second.sent, third.sent) == (3, 2, 0)
    assert len(mailbox.messages) == 5
    assert len({mailbox.text(m) for m in mailbox.messages}) == 5


def test_send_queued_command_sends_what_is_due(app, runner, db_session, mailbox, make_user):
    user = make_user("trainer")
    with app.app_context():
        queue("people.invitation", user.email, {"name": "N", "email": user.email, "link": "http://x/1", "days": 7,
                                                "council_name": "C", "service_name": "S"})
        db.session.commit()
    result = runner.invoke(args=["mail", "send-queued"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"sent": 1, "failed": 0, "waiting": 0}
    assert json.loads(runner.invoke(args=["mail", "send-queued"]).output)["sent"] == 0


def test_without_a_mail_server_production_keeps_messages_waiting(app, client, login_as, db_session):
    assert not app.config["MAIL_SERVER"] and not app.config["MAIL_FOLDER"]
    _invite(client, login_as).close()
    db_session.expire_all()
    message = db_session.scalar(select(OutboxMessage))
    assert (message.status, message.attempts) == ("queued", 0)
    page = client.get("/admin/mail/").get_data(as_text=True)
    assert "Mail is not set up" in page
    assert client.get("/admin/mail/development").status_code == 404


def test_development_writes_eml_files_an_admin_can_read(app, client, login_as, db_session, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path / "mail"))
    _invite(client, login_as, "dev.person@council.example.org").close()
    [eml] = list((tmp_path / "mail").glob("*.eml"))
    assert b"dev.person@council.example.org" in eml.read_bytes()
    page = client.get("/admin/mail/development").get_data(as_text=True)
    assert "Set your password for Right Support" in page
    message = client.get(f"/admin/mail/development/{eml.name}").get_data(as_text=True)
    assert "/set-password/" in message
    assert client.get("/admin/mail/development/..%2Fsecret.eml").status_code == 404
    login_as("trainer")
    assert client.get("/admin/mail/development").status_code == 403


def test_mail_settings_come_from_the_environment(tmp_path):
    from core.config import load_config

    production = load_config(str(tmp_path), {"SECRET_KEY": "x" * 32, "MAIL_SERVER": "smtp.example.gov.uk",
                                             "MAIL_PORT": "587", "MAIL_USE_TLS": "1", "MAIL_USERNAME": "rs",
                                             "MAIL_PASSWORD": "secret", "MAIL_DEFAULT_SENDER": "RS <rs@example.gov.uk>",
                                             "PUBLIC_URL": "https://rs.example.gov.uk/"})
    assert (production["MAIL_SERVER"], production["MAIL_PORT"], production["MAIL_USE_TLS"]) == (
        "smtp.example.gov.uk", 587, True)
    assert (production["MAIL_USERNAME"], production["MAIL_PASSWORD"]) == ("rs", "secret")
    assert production["MAIL_DEFAULT_SENDER"] == "RS <rs@example.gov.uk>"
    assert production["PUBLIC_URL"] == "https://rs.example.gov.uk" and production["MAIL_FOLDER"] == ""
    defaults = load_config(str(tmp_path), {"SECRET_KEY": "x" * 32, "PUBLIC_URL": "https://rs.example.gov.uk"})
    assert (defaults["MAIL_SERVER"], defaults["MAIL_PORT"], defaults["MAIL_USE_TLS"], defaults["MAIL_TIMEOUT"]) == (
        "", 25, False, 10)
    assert defaults["MAIL_DEFAULT_SENDER"] == "Right Support <no-reply@localhost>" and defaults["MAIL_FOLDER"] == ""
    development = load_config(str(tmp_path), {"RIGHT_SUPPORT_ENV": "development"})
    assert development["MAIL_FOLDER"] == str(tmp_path / "mail")


def test_links_in_messages_start_with_public_url(app, monkeypatch):
    from core.mail import external_url

    with app.app_context():
        monkeypatch.setitem(app.config, "PUBLIC_URL", "")
        assert external_url("courses.my_training") == "http://127.0.0.1:5000/my-training"
        monkeypatch.setitem(app.config, "PUBLIC_URL", "https://rs.example.gov.uk")
        assert external_url("courses.my_training") == "https://rs.example.gov.uk/my-training"
    # Never the Host a request names, which anyone can set.
    with app.test_request_context("/", headers={"Host": "evil.example.com"}):
        assert external_url("courses.my_training") == "https://rs.example.gov.uk/my-training"


def test_the_readme_cron_lines_run(tmp_path):
    """The crontab lines in the README, run as cron would (in a fresh database, from this folder)."""
    import os
    import re

    from tests.support import ROOT, flask_command, fresh_database

    block = (ROOT / "README.md").read_text().split("# m  h  dom mon dow  command\n")[1].split("```")[0]
    commands = [re.sub(r"^.*?&& ", "", line.split("    ", 5)[-1]) for line in block.strip().splitlines()]
    assert len(commands) == 2
    with fresh_database(tmp_path, "cron") as url:
        env = {**os.environ, "RIGHT_SUPPORT_ENV": "production", "SECRET_KEY": "cron-" + "x" * 32, "DATABASE_URL": url,
               "PUBLIC_URL": "https://rs.example.gov.uk"}
        flask_command(env, "db", "upgrade")
        for line in commands:
            for command in line.split(" && "):
                args = command.split()
                assert args[:3] == [".venv/bin/flask", "--app", "wsgi"], command
                output = flask_command(env, *args[3:]).stdout
                assert json.loads(output.strip().splitlines()[-1]) is not None


def test_a_new_link_is_emailed_and_the_earlier_one_stops(client, login_as, mailbox, db_session):
    _invite(client, login_as, "again@council.example.org").close()
    user = db_session.scalar(select(User).where(User.email == "again@council.example.org"))
    client.post(f"/admin/users/{user.id}/invite").close()
    first, second = mailbox.to("again@council.example.org")
    links = [mailbox.text(m).split("Set your password here:\n")[1].split("\n")[0] for m in (first, second)]
    assert links[0] != links[1]
    assert client.get(links[0].split("localhost")[1]).status_code == 404, "the earlier link no longer works"
    assert client.get(links[1].split("localhost")[1]).status_code == 200
