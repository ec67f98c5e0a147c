import io

"""A trial's report: the intention-to-treat cohort of an allocation (every DSL of an intervention
school, whether or not they attended; control attendees kept in control and reported as
crossovers), the per-protocol analysis beside it, and the locked plan the report follows."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import insert, select

from cohorts import services as cohorts
from cohorts.models import CohortMember, MashRecord
from core.models import ImportBatch
from courses.models import Attendance
from people.models import Dsl
from trials import services
from trials.models import AnalysisPlan

EXPOSURE = (date(2027, 1, 4), date(2027, 3, 31))
OUTCOME = (date(2027, 1, 1), date(2027, 6, 30))
TRAINED = date(2027, 2, 1)
LONDON = ZoneInfo("Europe/London")


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=LONDON).astimezone(timezone.utc).replace(tzinfo=None)


@pytest.fixture
def trial(db_session, runner, make_school, make_dsl, make_session):
    """Twenty schools with three DSLs each, allocated to control and intervention. In the intervention
    arm the first DSL of each school attends on 1 February, the others never do; in the control arm
    the first DSL of two schools attends too (crossovers). No MASH records yet (_import_contacts)."""
    schools = [make_school(urn=610000 + n, district=("Rugby", "Warwick")[n % 2]) for n in range(20)]
    for school in schools:
        for k in range(3):
            make_dsl(school=school, email=f"t{k}.{school.urn}@school.example.org", name=f"Lead {k} of {school.urn}")
    result = runner.invoke(args=["trials", "allocate", "pilot", "--strata", "district", "--seed", "11"])
    assert result.exit_code == 0, result.output
    record = services.allocation_by_name("pilot")
    arms = dict(zip(services.school_arms(record)["school_urn"], services.school_arms(record)["arm"]))
    dsls = db_session.execute(select(Dsl.id, Dsl.email)).all()
    first = {dsl_id: email for dsl_id, email in dsls if email.startswith("t0.")}
    urn = {dsl_id: int(email.split(".")[1].split("@")[0]) for dsl_id, email in dsls}
    session = make_session("induction", first_day=TRAINED, capacity=100)
    control_first = sorted(d for d in first if arms[urn[d]] == "control")[:2]
    attended = [d for d in first if arms[urn[d]] == "intervention"] + control_first
    db_session.execute(insert(Attendance), [{"session_id": session.id, "dsl_id": d, "status": "attended"}
                                            for d in attended])
    db_session.commit()
    return {"allocation": record, "arms": {d: arms[urn[d]] for d, _ in dsls}, "attended": set(attended),
            "crossovers": set(control_first), "dsls": dsls}


def _import_contacts(db_session, trial) -> None:
    """Each DSL's contacts: one in January, one in May (after any plan was locked)."""
    batch = ImportBatch(kind="contacts", filename="trial.csv", checksum="t" * 64, source="cli", rows=1, created=1,
                        updated=0, unchanged=0)
    db_session.add(batch)
    db_session.flush()
    db_session.execute(insert(MashRecord), [
        {"contact_id": f"T-{dsl_id}-{day}", "received_at": _noon(day), "source": "School", "method": "Telephone",
         "classification": "contact", "dsl_id": dsl_id, "referrer_email": email, "import_batch_id": batch.id}
        for dsl_id, email in trial["dsls"] for day in (date(2027, 1, 20), date(2027, 5, 20))])
    db_session.commit()


def _create(runner, *extra):
    return runner.invoke(args=["cohorts", "create", "pilot-itt", "--trial", "pilot", "--outcome",
                               f"{OUTCOME[0]}:{OUTCOME[1]}", "--exposure", f"{EXPOSURE[0]}:{EXPOSURE[1]}", *extra])


def test_intention_to_treat_counts_every_dsl_of_an_intervention_school_and_keeps_crossovers_in_control(
        runner, trial, db_session):
    result = _create(runner)
    assert result.exit_code == 0, result.output
    assert "intention to treat" in result.output and "30 DSLs in treatment, 30 in comparison" in result.output
    cohort = cohorts.cohort_by_name("pilot-itt")
    assert cohort.allocation_id == trial["allocation"].id and cohort.courses == ["induction", "refresher"]
    members = {m.dsl_id: m for m in db_session.scalars(select(CohortMember).where(CohortMember.cohort_id == cohort.id))}
    assert set(members) == set(trial["arms"])
    for dsl_id, arm in trial["arms"].items():
        member = members[dsl_id]
        attended = dsl_id in trial["attended"]
        # Intention to treat: the school's arm decides, attendance does not.
        assert member.arm == arm
        assert member.group_name == ("treatment" if arm == "intervention" else "comparison")
        assert (member.days_at_risk, member.at_risk_from, member.at_risk_to) == (181, *OUTCOME)
        # Per protocol: intervention attendees against control DSLs who did not attend.
        if arm == "intervention":
            assert member.protocol_group == ("treatment" if attended else None)
            assert ("did not attend" in member.reason) != attended
        else:
            assert member.protocol_group == (None if attended else "comparison")
            assert (member.reason or "").startswith("crossover") == attended
    trained = next(members[d] for d in trial["attended"] if trial["arms"][d] == "intervention")
    assert trained.trained_on == TRAINED and trained.protocol_at_risk_from == TRAINED + timedelta(days=1)
    assert trained.protocol_days_at_risk == (OUTCOME[1] - TRAINED).days


def test_the_report_gives_itt_and_per_protocol_side_by_side(runner, trial, db_session):
    _import_contacts(db_session, trial)
    assert _create(runner).exit_code == 0
    figures = cohorts.cohort_report(cohorts.cohort_by_name("pilot-itt")).figures
    assert figures["groups"]["treatment"]["n"] == 30 and figures["groups"]["treatment"]["contacts"] == 60
    block = figures["trial"]
    assert block["allocation"]["name"] == "pilot" and block["allocation"]["comparison_arm"] == "control"
    sizes = block["membership"]
    assert sizes["crossovers"] == 2 and sizes["never_attended"] == 20
    assert {a["arm"]: (a["dsls"], a["attended"]) for a in sizes["arms"]} == {"control": (30, 2),
                                                                               "intervention": (30, 10)}
    pp = block["per_protocol"]
    assert pp["groups"]["treatment"]["n"] == 10 and pp["groups"]["comparison"]["n"] == 28
    # Per protocol, a trained DSL's January contact falls before their days at risk; under ITT it counts.
    assert pp["exposure_time"]["treatment"]["contacts"] == 10
    assert figures["exposure_time"]["treatment"]["contacts"] == 60
    assert "Per protocol" in pp["label"] and "Intention to treat" in block["analysis"]
    # No plan: contacts and referrals, said not to be pre-specified.
    assert block["plan"] is None and "not pre-specified" in block["plan_note"]
    assert [(r["outcome"], r["role"]) for r in block["outcomes"]] == [("contacts", "not pre-specified"),
                                                                      ("referrals", "not pre-specified")]
    contacts = block["outcomes"][0]
    assert contacts["intention_to_treat"]["ratio"] == figures["exposure_time"]["contacts_rate_ratio"]
    assert contacts["per_protocol"]["ratio"] == pp["exposure_time"]["contacts_rate_ratio"]


def test_the_csv_carries_the_trials_tables_and_each_dsls_arm(runner, trial, db_session):
    _import_contacts(db_session, trial)
    assert _create(runner).exit_code == 0
    result = runner.invoke(args=["cohorts", "report", "pilot-itt", "--format", "csv"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.output))
    trial_rows = table[table["section"] == "trial"]
    # The trial's own figures come first: each outcome by intention to treat and per protocol, then the arms.
    assert trial_rows.index.tolist() == list(range(len(trial_rows)))
    measures = trial_rows["measure"].tolist()
    assert measures[0].endswith("ratio, intention to treat") and measures[1].endswith("ratio, per protocol")
    assert "DSLs in the intervention arm" in measures and "DSLs in the control arm" in measures
    per_dsl = runner.invoke(args=["cohorts", "report", "pilot-itt", "--format", "csv", "--per-dsl"])
    assert per_dsl.exit_code == 0, per_dsl.output
    columns = pd.read_csv(io.StringIO(per_dsl.output)).columns.tolist()
    assert columns[-4:] == ["arm", "attended", "per_protocol_group", "per_protocol_days_at_risk"]


def _locked_plan(db_session, allocation, **changes) -> AnalysisPlan:
    fields = {"primary_outcome": "referrals", "secondary_outcomes": ["contacts", "dsls_with_contact"],
              "pre_window": None, "outcome_window": OUTCOME, "model": "exposure-time", "covariates": [],
              "min_dsls_per_arm": 20, "min_schools_per_arm": 5, **changes}
    plan = services.create_plan("pilot plan", allocation.id, fields)
    services.lock_plan(plan)
    db_session.commit()
    return plan


def test_the_report_follows_the_locked_plan_primary_outcome_first(runner, trial, db_session):
    plan = _locked_plan(db_session, trial["allocation"])
    _import_contacts(db_session, trial)
    assert _create(runner).exit_code == 0
    block = cohorts.cohort_report(cohorts.cohort_by_name("pilot-itt")).figures["trial"]
    assert block["plan"]["sha256"] == plan.sha256 and block["plan"]["version"] == 1
    assert block["plan"]["deviations"] == []
    assert [(r["outcome"], r["role"]) for r in block["outcomes"]] == [
        ("referrals", "primary"), ("contacts", "secondary"), ("dsls_with_contact", "secondary")]
    assert block["outcomes"][2]["model"] == "risk ratio"


def test_every_departure_from_the_plan_is_listed(runner, trial, db_session):
    _locked_plan(db_session, trial["allocation"], outcome_window=(date(2027, 1, 1), date(2027, 7, 31)),
                 model="weighted", covariates=["district", "pupils"], secondary_outcomes=["early_help_consultations"],
                 min_dsls_per_arm=40)
    _import_contacts(db_session, trial)
    assert _create(runner).exit_code == 0
    deviations = cohorts.cohort_report(cohorts.cohort_by_name("pilot-itt")).figures["trial"]["plan"]["deviations"]
    text = "\n".join(deviations)
    assert "The outcome window is 2027-01-01 to 2027-06-30; the plan's is 2027-01-01 to 2027-07-31." in deviations
    assert "does not adjust for District" in text and "also adjusts for FSM %, Phase" in text
    assert "Early Help consultations: the plan's weighted model does not estimate it" in text
    assert "The control arm has 30 DSLs; the plan asks for at least 40 in each arm." in deviations


def test_a_suppressed_report_keeps_the_arms_sizes_to_itself(runner, trial, db_session):
    _locked_plan(db_session, trial["allocation"], min_dsls_per_arm=40)
    _import_contacts(db_session, trial)
    assert _create(runner).exit_code == 0
    block = cohorts.cohort_report(cohorts.cohort_by_name("pilot-itt"), suppress=True).figures["trial"]
    assert block["membership"]["crossovers"] == "c"
    assert block["per_protocol"]["groups"]["treatment"]["n"] == 10
    assert "The control arm has fewer DSLs; the plan asks for at least 40 in each arm." in block["plan"]["deviations"]


@pytest.mark.parametrize("args, message", [
    (["--trial", "nothing", "--outcome", "2027-01-01:2027-06-30"], "There is no allocation called nothing"),
    (["--outcome", "2027-01-01:2027-06-30"], "give --courses and --exposure, or --trial ALLOCATION"),
    (["--trial", "wedge", "--outcome", "2027-01-01:2027-06-30"], "wedge is a stepped wedge"),
    (["--trial", "pilot", "--outcome", "2020-01-01:2020-06-30"], "The outcome window ends before pilot was drawn"),
])
def test_bad_trial_cohorts_are_refused_in_one_line(runner, trial, args, message):
    assert runner.invoke(args=["trials", "allocate", "wedge", "--seed", "1", "--waves", "2"]).exit_code == 0
    result = runner.invoke(args=["cohorts", "create", "bad", *args])
    assert result.exit_code != 0 and message in result.output
    assert cohorts.cohort_by_name("bad") is None


def test_attendance_counts_from_the_draw_by_default(runner, trial, db_session):
    result = runner.invoke(args=["cohorts", "create", "later", "--trial", "pilot", "--outcome",
                                 "2027-01-01:2027-06-30"])
    assert result.exit_code == 0, result.output
    cohort = cohorts.cohort_by_name("later")
    drawn = trial["allocation"].created_at.date()
    assert cohort.exposure_start in (drawn, drawn + timedelta(days=1)) and cohort.exposure_end == OUTCOME[1]


def test_a_dsl_who_moves_school_moves_arm_on_recompute(runner, trial, db_session, make_school):
    assert _create(runner).exit_code == 0
    cohort = cohorts.cohort_by_name("pilot-itt")
    mover = next(d for d, arm in trial["arms"].items() if arm == "control" and d not in trial["attended"])
    target = next(d for d, arm in trial["arms"].items() if arm == "intervention")
    db_session.get(Dsl, mover).school_id = db_session.get(Dsl, target).school_id
    db_session.commit()
    changes = cohorts.membership_changes(cohort)
    assert [(c["dsl_id"], c["from"], c["to"]) for c in changes] == [(mover, "comparison", "treatment")]
    assert "now at a school allocated to intervention (was control)" in changes[0]["why"]


def test_the_trial_cohort_page(client, login_as, trial, db_session):
    _import_contacts(db_session, trial)
    login_as("evaluator")
    page = client.get("/cohorts/new/trial").get_data(as_text=True)
    assert "pilot" in page and "intention to treat" in page
    empty = client.post("/cohorts/new/trial", data={"name": "", "trial": ""})
    assert empty.status_code == 200 and "govuk-error-summary" in empty.get_data(as_text=True)
    assert "Choose the allocation the cohort follows" in empty.get_data(as_text=True)
    response = client.post("/cohorts/new/trial", data={
        "name": "from-page", "trial": "pilot", "outcome_start": "01/01/2027", "outcome_end": "30/06/2027",
        "exposure_start": "2027-01-04", "exposure_end": "2027-03-31"})
    assert response.status_code == 302, response.get_data(as_text=True)
    cohort = cohorts.cohort_by_name("from-page")
    assert cohort.allocation_id == trial["allocation"].id
    report = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Intention to treat" in report and "Per protocol" in report and "Crossovers" in report


def test_a_plan_locked_after_outcome_data_existed_is_a_deviation(runner, trial, db_session):
    _import_contacts(db_session, trial)
    _locked_plan(db_session, trial["allocation"])
    assert _create(runner).exit_code == 0
    deviations = cohorts.cohort_report(cohorts.cohort_by_name("pilot-itt")).figures["trial"]["plan"]["deviations"]
    assert deviations == ["The plan was locked when 120 MASH records in its outcome window already existed: it was "
                          "not made before outcome data existed."]


def test_a_simulated_trial_finds_the_effect_per_protocol_and_a_diluted_one_by_intention_to_treat(
        runner, db_session, make_session):
    """Sixty schools of four DSLs, randomised. Training cuts a DSL's contacts to 40% from the day
    after it; 60% of intervention DSLs attend, and one control DSL in ten crosses over. The
    intention-to-treat ratio is diluted towards 1; the per-protocol one finds the true 0.4."""
    import numpy as np

    from people.models import School

    rng = np.random.default_rng(16)
    db_session.execute(insert(School), [{"urn": 630000 + s, "name": f"Trial school {s}", "pupils": 300,
                                         "fsm_percent": 15.0, "phase": "Primary"} for s in range(60)])
    schools = dict(db_session.execute(select(School.urn, School.id).where(School.urn >= 630000)).all())
    db_session.execute(insert(Dsl), [{"email": f"sim{i}@school.example.org", "name": f"Sim {i}",
                                      "school_id": schools[630000 + i // 4], "role": "DSL"} for i in range(240)])
    db_session.commit()
    assert runner.invoke(args=["trials", "allocate", "sim", "--seed", "3"]).exit_code == 0
    record = services.allocation_by_name("sim")
    arms = services.dsl_arms(record)
    session = make_session("induction", first_day=TRAINED, capacity=300)
    intervention = arms["arm"].eq("intervention").to_numpy()
    attends = np.where(intervention, rng.random(len(arms)) < 0.6, rng.random(len(arms)) < 0.1)
    attended = arms.loc[attends, "dsl_id"].tolist()
    db_session.execute(insert(Attendance), [{"session_id": session.id, "dsl_id": d, "status": "attended"}
                                            for d in attended])
    batch = ImportBatch(kind="contacts", filename="sim.csv", checksum="s" * 64, source="cli", rows=1, created=1,
                        updated=0, unchanged=0)
    db_session.add(batch)
    db_session.flush()
    days = np.array([OUTCOME[0] + timedelta(days=n) for n in range((OUTCOME[1] - OUTCOME[0]).days + 1)])
    rows = []
    for dsl_id, trained in zip(arms["dsl_id"], attends):
        rate = np.where(trained & (days > TRAINED), 0.4, 1.0) * 0.03
        counts = rng.poisson(rate)
        rows += [{"contact_id": f"SIM-{dsl_id}-{n}", "received_at": _noon(day), "source": "School",
                  "method": "Telephone", "classification": "contact", "dsl_id": int(dsl_id), "import_batch_id": batch.id}
                 for n, day in enumerate(days[counts > 0].repeat(counts[counts > 0]))]
    db_session.execute(insert(MashRecord), rows)
    db_session.commit()
    result = runner.invoke(args=["cohorts", "create", "sim-itt", "--trial", "sim", "--outcome", f"{OUTCOME[0]}:{OUTCOME[1]}",
                                 "--exposure", f"{EXPOSURE[0]}:{EXPOSURE[1]}"])
    assert result.exit_code == 0, result.output
    block = cohorts.cohort_report(cohorts.cohort_by_name("sim-itt")).figures["trial"]
    contacts = block["outcomes"][0]
    itt, pp = contacts["intention_to_treat"], contacts["per_protocol"]
    assert pp["ci95"][0] < 0.4 < pp["ci95"][1]
    assert pp["ratio"] < itt["ratio"] < 1
    assert itt["note"] is None and pp["note"] is None


def test_the_allocation_page_leads_evaluators_to_the_trials_report(client, login_as, runner, trial):
    login_as("evaluator")
    record = trial["allocation"]
    page = client.get(f"/trials/allocations/{record.id}").get_data(as_text=True)
    assert "Create a trial&#39;s cohort from pilot" in page and "/cohorts/new/trial?trial=pilot" in page
    form = client.get("/cohorts/new/trial?trial=pilot").get_data(as_text=True)
    assert '<option selected value="pilot">' in form or 'value="pilot" selected' in form
    assert _create(runner).exit_code == 0
    cohort = cohorts.cohort_by_name("pilot-itt")
    assert f"/cohorts/{cohort.id}" in client.get(f"/trials/allocations/{record.id}").get_data(as_text=True)
