"""Analysis plans: written as drafts, locked with their canonical JSON's SHA-256 and the MASH records
already in their outcome window, never changed once locked (by the form, the services or the
database), amended only as a new version that says why."""

import hashlib
import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from cohorts.models import MashRecord
from core.models import ImportBatch
from trials import plans, services
from trials.models import AnalysisPlan

FORM = {"name": "trial-2027 plan", "primary_outcome": "contacts", "secondary_outcomes": ["referrals", "early_help_consultations"],
        "outcome_start": "2027-01-01", "outcome_end": "31/03/2027", "pre_start": "2026-01-01", "pre_end": "2026-03-31",
        "model": "exposure-time", "covariates": ["phase", "pupils"], "min_dsls_per_arm": "30", "min_schools_per_arm": "5"}


@pytest.fixture
def allocation(make_school, runner):
    for n in range(6):
        make_school(urn=500000 + n, phase=("Primary", "Secondary")[n % 2])
    result = runner.invoke(args=["trials", "allocate", "trial-2027", "--strata", "phase", "--seed", "2027"])
    assert result.exit_code == 0, result.output
    return services.allocation_by_name("trial-2027")


@pytest.fixture
def draft(client, login_as, allocation):
    """A plan saved through the form by a signed-in evaluator; returns (plan, user)."""
    user = login_as("evaluator")
    response = client.post("/trials/plans/new", data={**FORM, "allocation_id": str(allocation.id)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return services.plan_versions("trial-2027 plan")[0], user


def add_record(db_session, received_at, contact_id):
    batch = db_session.scalar(select(ImportBatch)) or ImportBatch(kind="contacts", filename="mash.csv", checksum="c" * 64,
                                                                  source="cli", rows=1, created=1, updated=0, unchanged=0)
    db_session.add(batch)
    db_session.flush()
    db_session.add(MashRecord(contact_id=contact_id, received_at=received_at, source="School", method="Telephone",
                              classification="contact", import_batch_id=batch.id))
    db_session.commit()


def test_a_draft_keeps_the_choices_in_canonical_order(draft, allocation):
    plan, user = draft
    assert (plan.version, plan.locked, plan.allocation_id, plan.created_by_id) == (1, False, allocation.id, user.id)
    assert plan.content == {
        "primary_outcome": "contacts", "secondary_outcomes": ["referrals", "early_help_consultations"],
        "pre_window": ["2026-01-01", "2026-03-31"], "outcome_window": ["2027-01-01", "2027-03-31"],
        "model": "exposure-time", "covariates": ["pupils", "phase"], "min_dsls_per_arm": 30, "min_schools_per_arm": 5}


def test_locking_stores_the_canonical_json_its_hash_the_time_the_user_and_no_records(client, draft, allocation,
                                                                                     db_session):
    plan, user = draft
    page = client.get(f"/trials/plans/{plan.id}").get_data(as_text=True)
    assert "No MASH records in the outcome window have been imported yet" in page
    assert client.post(f"/trials/plans/{plan.id}/lock").status_code == 302
    db_session.expire_all()
    plan = services.plan_versions("trial-2027 plan")[0]
    assert plan.locked and plan.locked_by_id == user.id and plan.mash_records_at_lock == 0
    document = json.loads(plan.canonical_json)
    assert plan.canonical_json == json.dumps(document, sort_keys=True, separators=(",", ":"))
    assert " " not in plan.canonical_json.replace("trial-2027 plan", "")
    assert plan.sha256 == hashlib.sha256(plan.canonical_json.encode()).hexdigest()
    assert document["allocation"] == {"name": "trial-2027", "seed": 2027, "register_sha256": allocation.register_sha256}
    assert (document["plan"], document["version"], document["amends"], document["primary_outcome"]) == (
        "trial-2027 plan", 1, None, "contacts")
    page = client.get(f"/trials/plans/{plan.id}").get_data(as_text=True)
    assert plan.sha256 in page and "0, as it should be" in page and user.name in page
    download = client.get(f"/trials/plans/{plan.id}/plan.json")
    assert download.get_data(as_text=True) == plan.canonical_json
    assert "trial-2027 plan-v1-plan.json" in download.headers["Content-Disposition"]


def test_a_plan_locked_after_outcome_data_exist_says_so(client, draft, db_session):
    plan, _user = draft
    # 22:30 UTC on 31 March 2027 is 23:30 in London, inside the window; an hour later is 1 April there.
    add_record(db_session, datetime(2027, 3, 31, 22, 30), "in-window")
    add_record(db_session, datetime(2027, 3, 31, 23, 30), "after-window")
    add_record(db_session, datetime(2026, 12, 31, 23, 59), "before-window")
    page = client.get(f"/trials/plans/{plan.id}").get_data(as_text=True)
    assert "1 MASH records in the outcome window have already been imported" in page
    client.post(f"/trials/plans/{plan.id}/lock")
    db_session.expire_all()
    assert db_session.get(AnalysisPlan, plan.id).mash_records_at_lock == 1
    page = client.get(f"/trials/plans/{plan.id}").get_data(as_text=True)
    assert "This should be 0: 1 MASH records in the outcome window had already been imported" in page


@pytest.fixture
def locked(client, draft, db_session):
    plan, user = draft
    client.post(f"/trials/plans/{plan.id}/lock")
    db_session.expire_all()
    return db_session.get(AnalysisPlan, plan.id)


def snapshot(db_session, plan_id):
    db_session.expire_all()
    plan = db_session.get(AnalysisPlan, plan_id)
    return (plan.content, plan.allocation_id, plan.canonical_json, plan.sha256, plan.locked_at, plan.locked_by_id,
            plan.mash_records_at_lock, plan.updated_at)


def test_the_form_refuses_to_change_a_locked_plan(client, locked, db_session):
    before = snapshot(db_session, locked.id)
    response = client.get(f"/trials/plans/{locked.id}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/trials/plans/{locked.id}")
    changed = {**FORM, "allocation_id": str(locked.allocation_id), "primary_outcome": "referrals",
               "secondary_outcomes": ["contacts"]}
    del changed["name"]
    page = client.post(f"/trials/plans/{locked.id}/edit", data=changed).get_data(as_text=True)
    assert "govuk-error-summary" in page and "Version 1 of trial-2027 plan is locked and never changes" in page
    relock = client.post(f"/trials/plans/{locked.id}/lock", follow_redirects=True).get_data(as_text=True)
    assert "is locked and never changes" in relock
    assert snapshot(db_session, locked.id) == before


def test_the_services_refuse_to_change_a_locked_plan(locked, db_session):
    before = snapshot(db_session, locked.id)
    fields = {"primary_outcome": "referrals", "secondary_outcomes": [], "pre_window": None,
              "outcome_window": (date(2027, 1, 1), date(2027, 2, 1)), "model": "weighted", "covariates": [],
              "min_dsls_per_arm": 1, "min_schools_per_arm": 1}
    with pytest.raises(services.TrialError, match="is locked and never changes"):
        services.update_plan(locked, locked.allocation_id, fields)
    with pytest.raises(services.TrialError, match="is locked and never changes"):
        services.lock_plan(locked)
    assert snapshot(db_session, locked.id) == before


@pytest.mark.parametrize("statement", [
    "UPDATE analysis_plans SET content = '{}' WHERE id = :id",
    "UPDATE analysis_plans SET sha256 = 'x' WHERE id = :id",
    "UPDATE analysis_plans SET locked_at = NULL WHERE id = :id",
    "UPDATE analysis_plans SET mash_records_at_lock = 0 WHERE id = :id",
    "DELETE FROM analysis_plans WHERE id = :id",
])
def test_the_database_refuses_to_change_a_locked_plan(locked, db_session, statement):
    before = snapshot(db_session, locked.id)
    with pytest.raises(IntegrityError, match="a locked analysis plan never changes"):
        with db_session.begin_nested():
            db_session.execute(text(statement), {"id": locked.id})
    assert snapshot(db_session, locked.id) == before


def test_the_database_refuses_an_orm_change_to_a_locked_plan_but_not_to_a_draft(locked, draft, db_session):
    with pytest.raises(IntegrityError, match="a locked analysis plan never changes"):
        with db_session.begin_nested():
            plan = db_session.get(AnalysisPlan, locked.id)
            plan.content = {**plan.content, "model": "weighted"}
            db_session.flush()
    db_session.expire_all()
    assert db_session.get(AnalysisPlan, locked.id).content["model"] == "exposure-time"
    # The trigger guards locked plans only: a draft is still a draft.
    amendment = services.amend_plan(db_session.get(AnalysisPlan, locked.id), "Weights as a sensitivity analysis")
    db_session.execute(text("UPDATE analysis_plans SET amendment_reason = 'changed' WHERE id = :id"),
                       {"id": amendment.id})


def test_an_amendment_is_a_new_version_referring_to_the_old_one(client, locked, db_session):
    assert client.get(f"/trials/plans/{locked.id}").get_data(as_text=True).count("Amend the plan") == 1
    blank = client.post(f"/trials/plans/{locked.id}/amend", data={"reason": "  "}).get_data(as_text=True)
    assert "govuk-error-summary" in blank and "Give the reason for the amendment" in blank
    response = client.post(f"/trials/plans/{locked.id}/amend", data={"reason": "Referrals <b>first</b>"})
    assert response.status_code == 302
    first, second = services.plan_versions("trial-2027 plan")
    assert (second.version, second.amends_id, second.locked) == (2, first.id, False)
    assert second.content == first.content and second.amendment_reason == "Referrals <b>first</b>"
    edited = {**FORM, "allocation_id": str(first.allocation_id), "primary_outcome": "referrals",
              "secondary_outcomes": ["contacts"]}
    del edited["name"]
    assert client.post(f"/trials/plans/{second.id}/edit", data=edited).status_code == 302
    client.post(f"/trials/plans/{second.id}/lock")
    db_session.expire_all()
    second = db_session.get(AnalysisPlan, second.id)
    document = json.loads(second.canonical_json)
    assert document["amends"] == {"version": 1, "sha256": first.sha256}
    assert document["amendment_reason"] == "Referrals <b>first</b>" and document["primary_outcome"] == "referrals"
    assert db_session.get(AnalysisPlan, first.id).content["primary_outcome"] == "contacts"
    page = client.get(f"/trials/plans/{second.id}").get_data(as_text=True)
    assert "Referrals &lt;b&gt;first&lt;/b&gt;" in page and "<b>first</b>" not in page
    again = client.post(f"/trials/plans/{first.id}/amend", data={"reason": "again"}).get_data(as_text=True)
    assert "has already been amended" in again
    assert len(services.plan_versions("trial-2027 plan")) == 2


def test_a_draft_cannot_be_amended_and_has_no_json(client, draft):
    plan, _user = draft
    page = client.post(f"/trials/plans/{plan.id}/amend", data={"reason": "why"}).get_data(as_text=True)
    assert "is a draft: edit it instead" in page
    assert client.get(f"/trials/plans/{plan.id}/plan.json").status_code == 404


@pytest.mark.parametrize("changes, message", [
    ({"secondary_outcomes": ["contacts"]}, "The primary outcome cannot also be a secondary outcome"),
    ({"pre_end": "2027-01-01"}, "The pre window must end before the outcome window starts"),
    ({"outcome_end": "2026-12-01"}, "The outcome window must end on or after its start"),
    ({"pre_start": "", "pre_end": "", "model": "pre-post"}, "A pre-post model needs a pre window"),
    ({"pre_end": ""}, "Give both days of the pre window"),
    ({"outcome_start": "31/02/2027"}, "must be a real date"),
    ({"min_dsls_per_arm": "0"}, "The minimum DSLs in each arm must be a whole number from 1"),
    ({"min_schools_per_arm": "some"}, "Enter the minimum schools in each arm as a whole number"),
    ({"primary_outcome": ""}, "Choose the primary outcome"),
    ({"name": ""}, "Enter a name for the plan"),
    ({"allocation_id": "999999"}, "Not a valid choice"),
])
def test_the_plan_form_refuses_bad_input(client, login_as, allocation, db_session, changes, message):
    login_as("admin")
    response = client.post("/trials/plans/new", data={**FORM, "allocation_id": str(allocation.id), **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page and message in page
    assert db_session.scalar(select(func.count()).select_from(AnalysisPlan)) == 0


def test_a_second_plan_under_the_same_name_is_refused(client, draft, allocation, db_session):
    page = client.post("/trials/plans/new", data={**FORM, "allocation_id": str(allocation.id)}).get_data(as_text=True)
    assert "There is already a plan called trial-2027 plan" in page
    assert db_session.scalar(select(func.count()).select_from(AnalysisPlan)) == 1


def test_canonical_json_and_its_hash():
    text_ = plans.canonical_json({"b": [1, "é"], "a": {"d": None, "c": True}})
    assert text_ == '{"a":{"c":true,"d":null},"b":[1,"\\u00e9"]}'
    assert plans.sha256(text_) == hashlib.sha256(text_.encode("ascii")).hexdigest()
