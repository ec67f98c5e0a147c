"""From allocation to invitation: trainers email the intervention arm's DSLs an invitation to book,
once per DSL and allocation (a second click sends nothing more), recorded in the audit trail."""

import pytest
from sqlalchemy import func, select

from core.mail.models import OutboxMessage
from core.models import AuditEvent
from trials import services
from trials.models import TrialInvitation


@pytest.fixture
def allocation(make_school, make_dsl, runner):
    schools = [make_school(urn=620000 + n) for n in range(8)]
    for school in schools:
        for k in range(2):
            make_dsl(school=school, email=f"i{k}.{school.urn}@school.example.org", name=f"Lead {k} of {school.urn}")
    assert runner.invoke(args=["trials", "allocate", "invite-me", "--seed", "5"]).exit_code == 0
    return services.allocation_by_name("invite-me")


def _intervention_emails(record) -> set[str]:
    return {row["email"] for row in services.arm_addresses(record, "intervention")}


def test_trainers_email_the_intervention_arm_once(client, login_as, allocation, db_session, mailbox, make_dsl):
    trainer = login_as("trainer")
    page = client.get(f"/trials/allocations/{allocation.id}").get_data(as_text=True)
    assert "0 of 8 DSLs invited" in page and "Email an invitation to the 8 DSLs of intervention not yet invited" in page
    response = client.post(f"/trials/allocations/{allocation.id}/arms/2/invite", data={})
    assert response.status_code == 302
    response.close()  # the mail goes once the response is closed
    emails = _intervention_emails(allocation)
    assert {m.envelope_recipients[0] for m in mailbox.messages} == emails and len(mailbox.messages) == 8
    message = mailbox.to(sorted(emails)[0])[0]
    assert "Book your place" in message["Subject"] and "/my-training" in mailbox.text(message)
    assert "8 of 8 DSLs invited" in client.get(f"/trials/allocations/{allocation.id}").get_data(as_text=True)
    # A second click sends nothing more.
    again = client.post(f"/trials/allocations/{allocation.id}/arms/2/invite", data={}, follow_redirects=True)
    assert "nothing more was sent" in again.get_data(as_text=True) and len(mailbox.messages) == 8
    # A DSL who joins an intervention school later is invited on the next click, alone.
    school = db_session.execute(select(services.TrialAllocationSchool.school_urn).where(
        services.TrialAllocationSchool.allocation_id == allocation.id,
        services.TrialAllocationSchool.arm == "intervention")).scalars().first()
    from people.models import School
    make_dsl(school=db_session.scalar(select(School).where(School.urn == school)), email="new.lead@school.example.org")
    client.post(f"/trials/allocations/{allocation.id}/arms/2/invite", data={}).close()
    assert len(mailbox.messages) == 9 and mailbox.to("new.lead@school.example.org")
    assert db_session.scalar(select(func.count()).select_from(TrialInvitation)) == 9
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.event == "trials.invitation.queued")
                                .order_by(AuditEvent.id)).all()
    assert [(e.user_id, e.object_id, e.new_values["invited"]) for e in events] == [
        (trainer.id, str(allocation.id), 8), (trainer.id, str(allocation.id), 1)]


def test_the_comparison_arm_is_never_invited(client, login_as, allocation, db_session):
    login_as("trainer")
    assert client.post(f"/trials/allocations/{allocation.id}/arms/1/invite", data={}).status_code == 404
    with pytest.raises(services.TrialError):
        services.invite_arm(allocation, "control")
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_evaluators_cannot_send_invitations(client, login_as, allocation, db_session):
    login_as("evaluator")
    assert client.post(f"/trials/allocations/{allocation.id}/arms/2/invite", data={}).status_code == 403
    assert "Invitations to book" not in client.get(f"/trials/allocations/{allocation.id}").get_data(as_text=True)


def test_the_service_records_one_invitation_per_dsl(allocation, db_session):
    first = services.invite_arm(allocation, "intervention")
    second = services.invite_arm(allocation, "intervention")
    assert first == {"queued": 8, "already": 0} and second == {"queued": 0, "already": 8}
    recipients = set(db_session.scalars(select(OutboxMessage.recipient)))
    assert recipients == _intervention_emails(allocation)
