"""Trials: the power page's starting values, allocations of schools, analysis plans. Functions
flush, never commit.

A locked plan is refused by every function that would change it (and by the database's trigger).

Schools and DSLs come through people's services, cohorts and MASH records through cohorts'.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import audit, version
from core.bulk import bulk_insert
from core.extensions import db
from core.timefmt import to_london, uk_date, uk_datetime, utcnow
from people import services as people
from trials import allocation as algorithm
from trials import plans
from trials.models import AnalysisPlan, TrialAllocation, TrialAllocationSchool, TrialInvitation

NAME_LENGTH = 100
REGISTER_COLUMNS = ("urn", "name", "district", "phase", "pupils", "fsm_percent")
UNIT_COLUMNS = ("school_urn", "district", "phase", "pupils", "fsm_percent", "size_band", "stratum", "arm", "wave")
# What `trials show` and the allocation's CSV give for each school.
SHOW_COLUMNS = ("urn", "stratum", "arm", "wave", "district", "phase", "size_band", "pupils")
# The address list trainers download for an arm or wave.
ADDRESS_COLUMNS = ("name", "email", "role", "school_urn", "school_name", "arm", "wave")
ARM_PAGE_SIZE = 100
REASON_LENGTH = 2000
BASELINE_DECIMALS = 3
DISPERSION_DECIMALS = 2


def power_defaults() -> dict:
    """Starting values for the power page: the latest cohort's mean contacts per DSL in its
    comparison group and the dispersion (alpha) of its unadjusted negative binomial model, and the
    register's DSLs per school. A figure that is not known is None."""
    from cohorts import services as cohorts

    out = {"alpha": 0.05, "power": 0.8, "baseline": None, "dispersion": None, "cohort": None,
           "dsls_per_school": None}
    schools, dsls = people.register_counts()
    if schools:
        out["dsls_per_school"] = dsls / schools
    listed = cohorts.all_cohorts()
    if not listed:
        return out
    cohort = listed[0][0]
    figures = cohorts.cohort_report(cohort).figures
    mean = figures["groups"]["comparison"]["mean_contacts"]
    dispersion = figures["models"]["unadjusted"]["alpha"]
    out["cohort"] = cohort.name
    if mean is not None and mean > 0:
        out["baseline"] = round(mean, BASELINE_DECIMALS)
    if dispersion is not None and dispersion >= 0:
        out["dispersion"] = round(dispersion, DISPERSION_DECIMALS)
    return out


# -- allocations ------------------------------------------------------------------------------


class TrialError(ValueError):
    """A request about a trial that cannot be carried out, with a one-line message and the input
    it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def app_version() -> str:
    """The version in pyproject.toml, recorded with each allocation."""
    return version.app_version()


def register_frame() -> pd.DataFrame:
    """Every school on the register as the allocation reads it, in URN order."""
    rows = people.school_register()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=list(REGISTER_COLUMNS))
    return frame.astype({"urn": "int64", "pupils": "int64", "fsm_percent": "float64"})


def all_allocations() -> list[TrialAllocation]:
    return list(db.session.scalars(select(TrialAllocation).order_by(TrialAllocation.created_at.desc(),
                                                                   TrialAllocation.id.desc())))


def allocation_by_name(name: str) -> TrialAllocation | None:
    return db.session.scalar(select(TrialAllocation).where(TrialAllocation.name == name))


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise TrialError("Enter a name for the allocation", "name")
    if len(name) > NAME_LENGTH:
        raise TrialError(f"The name must be {NAME_LENGTH} characters or fewer", "name")
    if allocation_by_name(name) is not None:
        raise TrialError(f"There is already an allocation called {name}, and an allocation is never changed: "
                         "choose another name", "name")
    return name


def create_allocation(name: str, strata: list[str], arms: list[str], seed: int, *, design: str = "parallel",
                      user_id: int | None = None, source: str = "cli") -> TrialAllocation:
    """Randomise every school on the register to ``arms`` within ``strata`` and store the result
    for good, with what it takes to reproduce it."""
    name = _check_name(name)
    register = register_frame()
    if register.empty:
        raise TrialError("There are no schools on the register to allocate")
    try:
        drawn = algorithm.allocate(register, strata, arms, seed)
    except algorithm.AllocationError as error:
        raise TrialError(str(error), error.field) from error
    record = TrialAllocation(name=name, design=design, arms=list(arms), strata=list(strata), seed=seed,
                             algorithm=algorithm.ALGORITHM, algorithm_version=algorithm.ALGORITHM_VERSION,
                             app_version=app_version(), register_sha256=algorithm.register_checksum(register),
                             schools=len(drawn), source=source, created_by_id=user_id)
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError as error:  # another allocation took the name a moment ago
        raise TrialError(f"There is already an allocation called {name}: choose another name", "name") from error
    units = drawn.rename(columns={"urn": "school_urn"}).assign(
        allocation_id=record.id, wave=drawn["arm_index"] if design == "stepped-wedge" else None)
    bulk_insert(TrialAllocationSchool.__table__, units, ["allocation_id", *UNIT_COLUMNS])
    db.session.flush()
    return record


def allocation_frame(record: TrialAllocation) -> pd.DataFrame:
    """The allocation's schools as stored, in URN order."""
    # Read through the session's connection, without the ORM's work for each row: a national
    # register is 25,000 rows.
    db.session.flush()
    rows = db.session.connection().execute(select(*(getattr(TrialAllocationSchool, c) for c in UNIT_COLUMNS))
                                           .where(TrialAllocationSchool.allocation_id == record.id)
                                           .order_by(TrialAllocationSchool.school_urn)).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=list(UNIT_COLUMNS))
    return frame.rename(columns={"school_urn": "urn"})


def reproduces(record: TrialAllocation, frame: pd.DataFrame | None = None) -> bool:
    """Whether drawing again from the stored seed and the register as stored gives the stored arms."""
    if record.algorithm != algorithm.ALGORITHM or record.algorithm_version != algorithm.ALGORITHM_VERSION:
        return False
    frame = allocation_frame(record) if frame is None else frame
    again = algorithm.allocate(frame[["urn", "district", "phase", "pupils", "fsm_percent"]], record.strata,
                               record.arms, record.seed)
    return (algorithm.register_checksum(frame) == record.register_sha256
            and again["arm"].tolist() == frame["arm"].tolist() and again["stratum"].tolist() == frame["stratum"].tolist())


def allocation_summary(record: TrialAllocation) -> dict:
    """What the allocation page shows: arm sizes by stratum, the balance of the arms, whether the
    draw reproduces, and who made it."""
    frame = allocation_frame(record)
    return {"sizes": algorithm.arm_sizes(frame, record.arms), "balance": algorithm.arm_balance(frame, record.arms),
            "reproduces": reproduces(record, frame), "author": user_name(record.created_by_id)}


def allocation_rows(record: TrialAllocation) -> list[dict]:
    """One dict per school (SHOW_COLUMNS), in URN order: what ``trials show`` and the CSV give."""
    frame = allocation_frame(record)
    frame["wave"] = frame["wave"].astype(object).where(frame["wave"].notna(), None)
    return [{column: _plain(row[column]) for column in SHOW_COLUMNS} for row in frame.to_dict("records")]


def _plain(value):
    """A value as JSON wants it: numpy numbers become Python numbers, missing values None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


# -- from allocation to invitation and analysis -----------------------------------------------


def _urns_in(record: TrialAllocation, arm: str | None = None):
    """A SELECT of the URNs in ``record`` (in ``arm`` when given), for people's services to join on."""
    statement = select(TrialAllocationSchool.school_urn).where(TrialAllocationSchool.allocation_id == record.id)
    return statement.where(TrialAllocationSchool.arm == arm) if arm is not None else statement


def school_arms(record: TrialAllocation) -> pd.DataFrame:
    """Each school's arm (and wave, in a stepped wedge): ``school_urn``, ``arm``, ``wave``."""
    return allocation_frame(record).rename(columns={"urn": "school_urn"})[["school_urn", "arm", "wave"]]


def dsl_arms(record: TrialAllocation) -> pd.DataFrame:
    """Each DSL now on the register at an allocated school, in their school's arm (and wave):
    ``dsl_id``, ``school_urn``, ``arm``, ``wave``. The school is the unit randomised, so a DSL who
    moves school moves arm; a school added to the register after the draw has no arm."""
    rows = people.dsls_at_schools(_urns_in(record))
    dsls = pd.DataFrame([(row.dsl_id, row.school_urn) for row in rows], columns=["dsl_id", "school_urn"])
    dsls = dsls.astype({"dsl_id": "int64", "school_urn": "int64"})
    return dsls.merge(school_arms(record), on="school_urn", how="inner").sort_values("dsl_id").reset_index(drop=True)


def invitable_arms(record: TrialAllocation) -> list[str]:
    """The arms whose DSLs are to be trained: every wave of a stepped wedge; in a parallel trial every
    arm after the first (the comparison arm, whose DSLs are not invited)."""
    return list(record.arms) if record.design == "stepped-wedge" else list(record.arms[1:])


def arm_overview(record: TrialAllocation) -> list[dict]:
    """Each arm in order with its number (1 for the first), its schools and DSLs, and whether its
    DSLs are to be invited."""
    arms = school_arms(record)
    per_school = people.dsl_counts_at_schools(_urns_in(record))
    dsls = arms["school_urn"].map(per_school).fillna(0).groupby(arms["arm"]).sum()
    schools = arms["arm"].value_counts()
    invited = set(invitable_arms(record))
    return [{"number": number, "arm": arm, "schools": int(schools.get(arm, 0)), "dsls": int(dsls.get(arm, 0)),
             "invited": arm in invited} for number, arm in enumerate(record.arms, start=1)]


def invited_arm(record: TrialAllocation, number: int) -> str | None:
    """The arm numbered ``number`` (1 for the first) if its DSLs are to be invited, else None."""
    if not 1 <= number <= len(record.arms):
        return None
    arm = record.arms[number - 1]
    return arm if arm in invitable_arms(record) else None


def arm_dsl_page(record: TrialAllocation, arm: str, page: int = 1):
    """A page of the DSLs (with their schools) now on the register at the schools of ``arm``."""
    return people.dsl_page_at_schools(_urns_in(record, arm), page, ARM_PAGE_SIZE)


def arm_addresses(record: TrialAllocation, arm: str) -> list[dict]:
    """Who to invite from ``arm``: one row per DSL (ADDRESS_COLUMNS), by school then name."""
    wave = record.arms.index(arm) + 1 if record.design == "stepped-wedge" else None
    return [{"name": row.name, "email": row.email, "role": row.role, "school_urn": row.school_urn,
             "school_name": row.school_name, "arm": arm, "wave": wave}
            for row in people.dsls_at_schools(_urns_in(record, arm))]


# -- invitations to book ----------------------------------------------------------------------


def invited_dsl_ids(record: TrialAllocation) -> set[int]:
    """The DSLs already invited from ``record``."""
    return set(db.session.scalars(select(TrialInvitation.dsl_id).where(TrialInvitation.allocation_id == record.id)))


def invitation_counts(record: TrialAllocation) -> dict[str, dict]:
    """For each invited arm (or wave): its DSLs now on the register and how many were invited."""
    done = invited_dsl_ids(record)
    out = {}
    for arm in invitable_arms(record):
        ids = [row.dsl_id for row in people.dsls_at_schools(_urns_in(record, arm))]
        out[arm] = {"dsls": len(ids), "invited": sum(1 for dsl_id in ids if dsl_id in done)}
    return out


def invite_arm(record: TrialAllocation, arm: str, user_id: int | None = None) -> dict:
    """Queue an invitation to book for each DSL now on the register at a school of ``arm`` who has not
    had one from this allocation, recorded once per DSL (a second click sends nothing more) and in
    the audit trail. Returns how many were queued now and how many had been already."""
    from trials import messages

    if arm not in invitable_arms(record):
        raise TrialError(f"The DSLs of {arm} are not invited: it is the comparison arm")
    done = invited_dsl_ids(record)
    rows = people.dsls_at_schools(_urns_in(record, arm))
    new = [row for row in rows if row.dsl_id not in done]
    if not new:
        return {"queued": 0, "already": len(rows)}
    wave = record.arms.index(arm) + 1 if record.design == "stepped-wedge" else None
    try:
        with db.session.begin_nested():
            db.session.add_all([TrialInvitation(allocation_id=record.id, dsl_id=row.dsl_id, arm=arm, email=row.email,
                                                queued_by_id=user_id) for row in new])
            db.session.flush()
    except IntegrityError as error:  # someone else invited some of them a moment ago
        raise TrialError("Someone else has just sent invitations for this allocation: look again and send any "
                         "still to go") from error
    for row in new:
        messages.queue_invitation(row, wave)
    audit.record("trials.invitation.queued", object_type="trial_allocation", object_id=record.id,
                 new={"arm": arm, "wave": wave, "invited": len(new), "already_invited": len(rows) - len(new)},
                 user_id=user_id)
    return {"queued": len(new), "already": len(rows) - len(new)}


# -- what cohorts read of a trial ------------------------------------------------------------
#
# A trial's intention-to-treat cohort lives in cohorts, which reads allocations and plans through
# this provider (registered by trials.init_app as cohorts.services.TRIALS_PROVIDER).


def _cohort_error(message: str):
    from cohorts.services import CohortError

    return CohortError(message, "trial")


def cohort_assignment(name: str | None = None, allocation_id: int | None = None):
    """The allocation ``name`` (or ``allocation_id``) as a cohort follows it: each DSL now on the
    register at an allocated school, in their school's arm; the first arm is the control arm."""
    from cohorts.services import TrialAssignment

    record = allocation_by_name(name) if allocation_id is None else db.session.get(TrialAllocation, allocation_id)
    if record is None:
        raise _cohort_error(f"There is no allocation called {name}: see the trials page for the allocations"
                            if name else "Choose the allocation the cohort follows")
    if record.design != "parallel":
        raise _cohort_error(f"{record.name} is a stepped wedge: every school is trained in its turn, so there is no "
                            "control arm to compare an intention-to-treat group with")
    return TrialAssignment(allocation_id=record.id, name=record.name, comparison_arm=record.arms[0],
                           arms=list(record.arms), drawn_on=to_london(record.created_at).date(),
                           dsls=dsl_arms(record)[["dsl_id", "arm"]])


def locked_plan_for(allocation_id: int) -> dict | None:
    """The analysis plan in force for an allocation: the most recently locked version of any plan
    that analyses it (an amendment, once locked, replaces what it amends), as a dict; None if none."""
    plan = db.session.scalar(select(AnalysisPlan).where(AnalysisPlan.allocation_id == allocation_id,
                                                        AnalysisPlan.locked_at.is_not(None))
                             .order_by(AnalysisPlan.locked_at.desc(), AnalysisPlan.id.desc()).limit(1))
    if plan is None:
        return None
    return {"id": plan.id, "name": plan.name, "version": plan.version, "sha256": plan.sha256,
            "locked_at": plan.locked_at.isoformat(timespec="seconds") + "Z",
            "mash_records_at_lock": plan.mash_records_at_lock, "content": dict(plan.content)}


def plan_labels() -> dict:
    return {"outcomes": dict(plans.OUTCOMES), "models": dict(plans.MODELS), "covariates": dict(plans.COVARIATES)}


class CohortProvider:
    """What cohorts asks of trials (see cohorts.services.TRIALS_PROVIDER)."""

    assignment = staticmethod(cohort_assignment)
    locked_plan = staticmethod(locked_plan_for)
    labels = staticmethod(plan_labels)

    @staticmethod
    def allocation_names() -> list[str]:
        return [record.name for record in parallel_allocations()]


def trial_cohorts(record: TrialAllocation) -> list:
    """The intention-to-treat cohorts that follow ``record``, newest first (their reports are the trial's)."""
    from cohorts import services as cohorts

    return cohorts.cohorts_following(record.id)


def parallel_allocations() -> list[TrialAllocation]:
    """The allocations an intention-to-treat cohort can follow, newest first."""
    return [record for record in all_allocations() if record.design == "parallel"]


# -- analysis plans ---------------------------------------------------------------------------


def all_plans() -> list[AnalysisPlan]:
    """The latest version of every plan, newest first."""
    latest = (select(AnalysisPlan.name, func.max(AnalysisPlan.version).label("version"))
              .group_by(AnalysisPlan.name).subquery())
    return list(db.session.scalars(
        select(AnalysisPlan).join(latest, (AnalysisPlan.name == latest.c.name) & (AnalysisPlan.version == latest.c.version))
        .order_by(AnalysisPlan.updated_at.desc(), AnalysisPlan.id.desc())))


def plan_versions(name: str) -> list[AnalysisPlan]:
    return list(db.session.scalars(select(AnalysisPlan).where(AnalysisPlan.name == name)
                                   .order_by(AnalysisPlan.version)))


def latest_version(name: str) -> int:
    return db.session.scalar(select(func.max(AnalysisPlan.version)).where(AnalysisPlan.name == name)) or 0


def _allocation(allocation_id) -> TrialAllocation:
    record = db.session.get(TrialAllocation, allocation_id) if allocation_id else None
    if record is None:
        raise TrialError("Choose the allocation the plan analyses", "allocation_id")
    return record


def _choices(fields: dict) -> dict:
    try:
        return plans.content(**fields)
    except plans.PlanError as error:
        raise TrialError(str(error), error.field) from error


def _refuse_if_locked(plan: AnalysisPlan) -> None:
    if plan.locked:
        raise TrialError(f"Version {plan.version} of {plan.name} is locked and never changes: amend it to make a "
                         "new version", "name")


def create_plan(name: str, allocation_id: int, fields: dict, user_id: int | None = None) -> AnalysisPlan:
    """A new plan, version 1, as a draft. ``fields``: the keyword arguments of trials.plans.content."""
    name = (name or "").strip()
    if not name:
        raise TrialError("Enter a name for the plan", "name")
    if len(name) > NAME_LENGTH:
        raise TrialError(f"The name must be {NAME_LENGTH} characters or fewer", "name")
    if latest_version(name):
        raise TrialError(f"There is already a plan called {name}: open it to edit or amend it", "name")
    plan = AnalysisPlan(name=name, version=1, allocation_id=_allocation(allocation_id).id, content=_choices(fields),
                        created_by_id=user_id)
    db.session.add(plan)
    db.session.flush()
    return plan


def update_plan(plan: AnalysisPlan, allocation_id: int, fields: dict) -> AnalysisPlan:
    """Change a draft's choices; a locked plan is refused."""
    _refuse_if_locked(plan)
    plan.allocation_id = _allocation(allocation_id).id
    plan.content = _choices(fields)
    plan.updated_at = utcnow()
    db.session.flush()
    return plan


def plan_document(plan: AnalysisPlan) -> dict:
    """What locking ``plan`` fixes (trials.plans.document)."""
    allocation = plan.allocation
    amends = {"version": plan.amends.version, "sha256": plan.amends.sha256} if plan.amends_id else None
    return plans.document(name=plan.name, version=plan.version, choices=plan.content, amends=amends,
                          amendment_reason=plan.amendment_reason,
                          allocation={"name": allocation.name, "seed": allocation.seed,
                                      "register_sha256": allocation.register_sha256})


def user_name(user_id: int | None) -> str | None:
    """The name of the account ``user_id``; None for the command line or an unknown id."""
    user = people.user_by_id(user_id) if user_id else None
    return user.name if user else None


def mash_records_in_window(plan: AnalysisPlan) -> int:
    """MASH records already in the plan's outcome window (London dates, both ends included)."""
    from cohorts import services as cohorts

    counts = cohorts.record_counts(*plans.outcome_window(plan.content))
    return int((counts["contacts"] + counts["referrals"]).sum())


def lock_plan(plan: AnalysisPlan, user_id: int | None = None) -> AnalysisPlan:
    """Fix ``plan`` for good: its canonical JSON, that text's SHA-256, the time, the user, and how many
    MASH records in its outcome window existed at that moment (0 for a plan made in time)."""
    _refuse_if_locked(plan)
    text = plans.canonical_json(plan_document(plan))
    plan.canonical_json, plan.sha256 = text, plans.sha256(text)
    plan.mash_records_at_lock = mash_records_in_window(plan)
    plan.locked_at, plan.locked_by_id = utcnow(), user_id
    db.session.flush()
    return plan


def amend_plan(plan: AnalysisPlan, reason: str, user_id: int | None = None) -> AnalysisPlan:
    """A new draft version of a locked plan, starting from its choices and referring to it, with the
    reason for the amendment. Only the latest version can be amended, and only once it is locked."""
    reason = (reason or "").strip()
    if not plan.locked:
        raise TrialError(f"Version {plan.version} of {plan.name} is a draft: edit it instead", "reason")
    if latest_version(plan.name) != plan.version:
        raise TrialError(f"Version {plan.version} of {plan.name} has already been amended: amend the latest version",
                         "reason")
    if not reason:
        raise TrialError("Give the reason for the amendment", "reason")
    if len(reason) > REASON_LENGTH:
        raise TrialError(f"The reason must be {REASON_LENGTH:,} characters or fewer", "reason")
    amendment = AnalysisPlan(name=plan.name, version=plan.version + 1, allocation_id=plan.allocation_id,
                             content=dict(plan.content), amends_id=plan.id, amendment_reason=reason,
                             created_by_id=user_id)
    db.session.add(amendment)
    db.session.flush()
    return amendment


def plan_for_windows(outcome: tuple[date, date], pre: tuple[date, date] | None) -> dict | None:
    """The most recently locked plan whose outcome window is ``outcome`` and whose pre window is
    ``pre`` (a plan with no pre window matches an analysis with none), as plain text for a report."""
    wanted = {"outcome_window": [day.isoformat() for day in outcome],
              "pre_window": [day.isoformat() for day in pre] if pre else None}
    locked = db.session.scalars(select(AnalysisPlan).where(AnalysisPlan.locked_at.is_not(None))
                                .order_by(AnalysisPlan.locked_at.desc(), AnalysisPlan.id.desc()))
    for plan in locked:
        if all(plan.content.get(key) == value for key, value in wanted.items()):
            return plan_summary(plan)
    return None


def plan_summary(plan: AnalysisPlan) -> dict:
    """A locked plan's choices in words, as a report shows them."""
    choices = plan.content

    def span(window):
        return " to ".join(uk_date(date.fromisoformat(day)) for day in window) if window else "None"

    return {"name": plan.name, "version": plan.version, "locked": uk_datetime(plan.locked_at), "sha256": plan.sha256,
            "allocation": plan.allocation.name if plan.allocation else "",
            "primary_outcome": plans.OUTCOMES[choices["primary_outcome"]],
            "secondary_outcomes": ", ".join(plans.OUTCOMES[k] for k in choices["secondary_outcomes"]) or "None",
            "model": plans.MODELS[choices["model"]],
            "covariates": ", ".join(plans.COVARIATES[k] for k in choices["covariates"]) or "None",
            "outcome_window": span(choices["outcome_window"]), "pre_window": span(choices["pre_window"]),
            "minimums": f"{choices['min_dsls_per_arm']:,} DSLs and {choices['min_schools_per_arm']:,} schools in each arm",
            "amendment_reason": plan.amendment_reason or ""}
