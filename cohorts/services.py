"""Cohorts, linkage and the outcome report. Functions flush, never commit.

Treatment comes from attendance recorded by the courses package.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property

import pandas as pd
import sqlalchemy as sa
from flask import current_app
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from cohorts import analysis, disclosure, importers, timezero, trial
from cohorts.importers import EMAIL_LENGTH
from cohorts.models import Cohort, CohortMember, DslAlias, EarlyHelpConsultation, MashRecord, TrialCohort
from core import audit
from core.bulk import bulk_insert
from core.database import is_sqlite, one_of
from core.extensions import db
from core.frames import query_frame as _frame
from core.imports import EMAIL_PATTERN
from core.models import AuditEvent, ImportBatch
from core.replica import read_connection, replica_configured
from core.timefmt import london_to_utc, uk_date, utcnow
from courses.models import Attendance, CourseSession, CourseType, SessionPart
from people.models import Dsl, School, User
from people.services import normalise_email, search_dsls

NAME_LENGTH = 100
UNLINKED_SHOWN = 200
REGISTER_SEARCH_SHOWN = 20


class CohortError(ValueError):
    """A cohort request that cannot be carried out, with a message for the person and the form
    field it is about."""

    def __init__(self, message: str, field: str = "name") -> None:
        super().__init__(message)
        self.field = field


# -- linkage ----------------------------------------------------------------------------------
#
# A record links to the DSL on the register whose email is its referrer email; failing that, to
# the DSL an alias maps that email to. The stored dsl_id is that link as it was worked out at
# import or at the last relinking. The register announces every change (core.events), and the
# records carrying a changed email are relinked in the same transaction.


class LinkageError(ValueError):
    """A linkage request that cannot be carried out, with a message for the person and the form
    field it concerns."""

    def __init__(self, message: str, field: str = "email"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class LinkageFilter:
    """Which records the linkage figures cover: all, or those of one MASH source and/or one import
    batch. Early Help consultations carry no source, so a source leaves them out altogether."""

    source: str | None = None
    batch_id: int | None = None

    def conditions(self, model) -> list | None:
        """The WHERE conditions for ``model``'s table, or None when the filter excludes it."""
        conditions = []
        if self.source is not None:
            if model is not MashRecord:
                return None
            conditions.append(MashRecord.source == self.source)
        if self.batch_id is not None:
            conditions.append(model.import_batch_id == self.batch_id)
        return conditions


EVERYTHING = LinkageFilter()


def _current_link(model):
    """``model`` left-joined to the register and to the aliases by referrer email, and the DSL
    each record should link to now: the register's, else the alias's."""
    register, alias = aliased(Dsl), aliased(DslAlias)
    joined = (sa.outerjoin(model, register, register.email == model.referrer_email)
              .outerjoin(alias, alias.email == model.referrer_email))
    return joined, func.coalesce(register.id, alias.dsl_id)


def _count_stale(model, conditions: list) -> int:
    """How many of ``model``'s records meeting ``conditions`` have a stale link.

    The conditions filter inside the count, as in :func:`record_counts`, so that both databases
    read the table in one sequential pass rather than row by row through an index."""
    joined, link = _current_link(model)
    return db.session.scalar(select(func.count().filter(model.dsl_id.is_distinct_from(link), *conditions))
                             .select_from(joined))


def _relink_table(model, emails=None) -> int:
    """Set the link of each of ``model``'s stale records (only those carrying one of ``emails``,
    when given) in one UPDATE; returns how many changed.

    The stale records are found in one pass over the table, hash-joined to the register and the
    aliases, and only they are written. (UPDATE ... FROM that pass reads as well on PostgreSQL, but
    SQLite turns it inside out and looks a row up for every record of the table.)"""
    inner = aliased(model)
    joined, link = _current_link(inner)
    conditions = [] if emails is None else [one_of(db.session, inner.referrer_email, emails)]
    stale = select(inner.id).select_from(joined).where(inner.dsl_id.is_distinct_from(link), *conditions)
    register = select(Dsl.id).where(Dsl.email == model.referrer_email).scalar_subquery()
    alias = select(DslAlias.dsl_id).where(DslAlias.email == model.referrer_email).scalar_subquery()
    result = db.session.execute(update(model).where(model.id.in_(stale)).values(dsl_id=func.coalesce(register, alias))
                                .execution_options(synchronize_session=False))
    return result.rowcount


def relink_emails(emails) -> dict:
    """Relink the MASH records and Early Help consultations carrying any of ``emails`` (trimmed,
    lower-case): after a register change or an alias. Returns how many of each changed."""
    emails = sorted({e.strip().lower() for e in emails if e and e.strip()})
    if not emails:
        return {"mash_records": 0, "early_help": 0}
    db.session.flush()
    counts = {"mash_records": _relink_table(MashRecord, emails), "early_help": _relink_table(EarlyHelpConsultation, emails)}
    for model in linked_tables():
        _relink_table(model, emails)
    return counts


def relink() -> dict:
    """Relink every record whose link is stale, as the register and the aliases stand now. Returns
    the linkage counts before and after, and how many records of each table changed."""
    before = linkage_counts()
    db.session.flush()
    changed = {"mash_records": _relink_table(MashRecord), "early_help": _relink_table(EarlyHelpConsultation)}
    for model in linked_tables():
        _relink_table(model)
    db.session.flush()
    return {"before": before, "after": linkage_counts(), "changed": changed}


def stale_links(where: LinkageFilter = EVERYTHING) -> dict:
    """How many records' stored links disagree with the register and the aliases now: MASH records
    and Early Help consultations (None when the filter leaves them out)."""
    db.session.flush()
    counts = {}
    for key, model in (("mash_records", MashRecord), ("early_help", EarlyHelpConsultation)):
        conditions = where.conditions(model)
        counts[key] = None if conditions is None else _count_stale(model, conditions)
    return counts


def stale_link_count(start: date, end: date) -> int:
    """MASH records received and Early Help consultations dated in [start, end] (London dates)
    whose stored link disagrees with the register and the aliases now: what an outcome report over
    that window would count differently after relinking."""
    db.session.flush()
    low, high = london_day_bounds(start, end)
    return (_count_stale(MashRecord, [MashRecord.received_at >= low, MashRecord.received_at < high])
            + _count_stale(EarlyHelpConsultation, [EarlyHelpConsultation.date >= start, EarlyHelpConsultation.date <= end]))


def linkage_counts(where: LinkageFilter = EVERYTHING, replica: bool = False) -> dict:
    """Linked and unlinked MASH records; unlinked split by whether they carry a referrer email.
    Early Help figures are None when the filter leaves consultations out. ``replica``: for the
    linkage page, which may read them from the replica (relinking reads the primary, where it has
    just written)."""
    conditions = where.conditions(MashRecord)
    eh_total = eh_linked = None
    eh_conditions = where.conditions(EarlyHelpConsultation)
    with read_connection(replica) as connection:
        total, linked, with_email, unlinked_with_email = connection.execute(select(
            func.count(MashRecord.id), func.count(MashRecord.dsl_id), func.count(MashRecord.referrer_email),
            func.count(MashRecord.referrer_email).filter(MashRecord.dsl_id.is_(None))).where(*conditions)).one()
        if eh_conditions is not None:
            eh_total, eh_linked = connection.execute(select(
                func.count(EarlyHelpConsultation.id),
                func.count(EarlyHelpConsultation.dsl_id)).where(*eh_conditions)).one()
    return {"records": total, "linked": linked, "unlinked": total - linked,
            "unlinked_with_email": unlinked_with_email, "without_email": total - with_email,
            "early_help": eh_total, "early_help_linked": eh_linked}


def unlinked_referrers(limit: int = UNLINKED_SHOWN, where: LinkageFilter = EVERYTHING,
                       replica: bool = False) -> list[dict]:
    """Referrer emails of MASH records that link to no DSL, most frequent first."""
    count = func.count(MashRecord.id).label("records")
    with read_connection(replica) as connection:
        rows = connection.execute(
            select(MashRecord.referrer_email, count, func.max(MashRecord.school_urn), func.max(MashRecord.received_at))
            .where(MashRecord.dsl_id.is_(None), MashRecord.referrer_email.is_not(None), *where.conditions(MashRecord))
            .group_by(MashRecord.referrer_email).order_by(count.desc(), MashRecord.referrer_email).limit(limit)).all()
    return [{"email": email, "records": n, "school_urn": urn, "last_received_at": last} for email, n, urn, last in rows]


def linkage_sources() -> list[str]:
    """The sources MASH records carry, for the linkage page's filter."""
    return list(db.session.scalars(select(MashRecord.source).distinct().order_by(MashRecord.source)))


def linkage_batches() -> list[ImportBatch]:
    """The import batches of MASH records and Early Help consultations, newest first."""
    return list(db.session.scalars(select(ImportBatch).where(ImportBatch.kind.in_(("contacts", "early-help")))
                                   .order_by(ImportBatch.imported_at.desc(), ImportBatch.id.desc())))


def linkage_overview(where: LinkageFilter = EVERYTHING, replica: bool = False) -> dict:
    """Everything the linkage page shows: the counts and the unlinked referrers under ``where``
    (from the replica, with ``replica``), and from the primary, where a relinking or an alias has
    just written them, the stale links (of every record), the aliases and their latest history."""
    return {"counts": linkage_counts(where, replica), "referrers": unlinked_referrers(where=where, replica=replica),
            "stale": stale_links(), "aliases": aliases(), "history": alias_history()}


# -- aliases ------------------------------------------------------------------------------------


def _alias_values(alias: DslAlias, dsl: Dsl) -> dict:
    return {"email": alias.email, "dsl_id": dsl.id, "dsl_email": dsl.email}


def check_alias_email(email: str) -> str:
    """``email`` trimmed and lower-cased, if it may be mapped: an email the register does not hold
    and no alias maps yet. Raises LinkageError saying why not."""
    email = normalise_email(email)
    if not email or len(email) > EMAIL_LENGTH or not re.match(EMAIL_PATTERN, email):
        raise LinkageError("Enter the referrer email to map, like name@school.example.org")
    on_register = db.session.scalar(select(Dsl).where(Dsl.email == email))
    if on_register is not None:
        raise LinkageError(f"{email} is on the DSL register ({on_register.name}), so its records already link "
                           "there. An alias is only for an email the register does not hold.")
    taken = db.session.scalar(select(DslAlias).where(DslAlias.email == email))
    if taken is not None:
        raise LinkageError(f"{email} is already mapped to {_dsl_label(taken.dsl)}. "
                           "Remove that alias first.")
    return email


def _checked(email: str, dsl_id) -> tuple[str, Dsl]:
    email = check_alias_email(email)
    dsl = db.session.get(Dsl, int(dsl_id)) if str(dsl_id or "").isdigit() else None
    if dsl is None:
        raise LinkageError("Choose the DSL this email belongs to from the register", field="dsl")
    return email, dsl


@dataclass
class AliasProposal:
    """What mapping an email to a DSL would do, for the person to confirm."""

    email: str
    dsl: Dsl
    mash_records: int  # records carrying the email
    early_help: int


def propose_alias(email: str, dsl_id) -> AliasProposal:
    """Check a mapping without making it, and count the records it would link."""
    email, dsl = _checked(email, dsl_id)
    mash = db.session.scalar(select(func.count()).where(MashRecord.referrer_email == email))
    early_help = db.session.scalar(select(func.count()).where(EarlyHelpConsultation.referrer_email == email))
    return AliasProposal(email, dsl, mash, early_help)


def create_alias(email: str, dsl_id, user_id=audit.SIGNED_IN_USER) -> tuple[DslAlias, dict]:
    """Map ``email`` (one the register does not hold) to the DSL ``dsl_id``, record it in the audit
    trail and relink the records carrying it. Returns the alias and how many records changed."""
    email, dsl = _checked(email, dsl_id)
    alias = DslAlias(email=email, dsl_id=dsl.id,
                     created_by_id=audit.signed_in_user_id() if user_id is audit.SIGNED_IN_USER else user_id)
    try:
        with db.session.begin_nested():
            db.session.add(alias)
    except IntegrityError:
        # Someone else mapped the same email a moment ago.
        raise LinkageError(f"{email} has just been mapped by someone else: see the linkage page.") from None
    audit.record("cohorts.alias.created", object_type="dsl_alias", object_id=alias.id,
                 new=_alias_values(alias, dsl), user_id=user_id)
    return alias, relink_emails([email])


def remove_alias(alias: DslAlias, user_id=audit.SIGNED_IN_USER) -> dict:
    """Remove ``alias``, record it in the audit trail and relink the records carrying its email.
    Returns how many records changed."""
    audit.record("cohorts.alias.removed", object_type="dsl_alias", object_id=alias.id,
                 old=_alias_values(alias, alias.dsl), user_id=user_id)
    email = alias.email
    db.session.delete(alias)
    db.session.flush()
    return relink_emails([email])


def alias_by_email(email: str) -> DslAlias | None:
    return db.session.scalar(select(DslAlias).where(DslAlias.email == normalise_email(email)))


def _dsl_label(dsl: Dsl) -> str:
    return f"{dsl.name} ({dsl.email})"


def aliases() -> list[dict]:
    """Every alias with its DSL, who made it, how many MASH records carry its email and whether the
    register has since gained the email (the register then wins and the alias is unused)."""
    rows = db.session.execute(
        select(DslAlias, Dsl, School, User.email)
        .join(Dsl, DslAlias.dsl_id == Dsl.id).join(School, Dsl.school_id == School.id)
        .outerjoin(User, DslAlias.created_by_id == User.id).order_by(DslAlias.email)).all()
    if not rows:
        return []
    emails = [row[0].email for row in rows]
    records = dict(db.session.execute(select(MashRecord.referrer_email, func.count())
                                      .where(one_of(db.session, MashRecord.referrer_email, emails))
                                      .group_by(MashRecord.referrer_email)).all())
    shadowed = set(db.session.scalars(select(Dsl.email).where(one_of(db.session, Dsl.email, emails))))
    return [{"alias": alias, "dsl": dsl, "school": school, "created_by": creator, "records": records.get(alias.email, 0),
             "shadowed": alias.email in shadowed} for alias, dsl, school, creator in rows]


def alias_history(limit: int = 20) -> list[dict]:
    """The latest alias events of the audit trail, newest first, with who did them."""
    rows = db.session.execute(
        select(AuditEvent, User.email).outerjoin(User, AuditEvent.user_id == User.id)
        .where(AuditEvent.event.in_(ALIAS_EVENTS)).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)).all()
    return [{"event": event, "by": by, "values": event.new_values or event.old_values or {}} for event, by in rows]


ALIAS_EVENTS = ("cohorts.alias.created", "cohorts.alias.removed")


def register_search(query: str, limit: int = REGISTER_SEARCH_SHOWN) -> tuple[list[Dsl], int]:
    """DSLs whose name, email or school matches ``query``, read-only (for mapping an alias), with
    how many match in all; nothing for a blank query."""
    if not (query or "").strip():
        return [], 0
    page = search_dsls(query.strip(), per_page=limit)
    return list(page.items), page.total


# -- membership -------------------------------------------------------------------------------


def course_codes() -> list[str]:
    """The course codes attendance can be recorded against."""
    return list(db.session.scalars(select(CourseType.code).order_by(CourseType.code)))


def population() -> pd.DataFrame:
    """Every DSL on the register with their role and their school's figures."""
    return _frame(select(Dsl.id, Dsl.role, School.urn, School.pupils, School.fsm_percent, School.phase)
                  .join(School, Dsl.school_id == School.id).order_by(Dsl.id),
                  ["dsl_id", "role", "school_urn", "pupils", "fsm_percent", "phase"])


def qualifying_sessions(courses: list[str], start: date) -> pd.DataFrame:
    """Sessions of ``courses`` whose first day is on or after ``start``, one row per DSL who
    attended, with the session's first and last days (London dates)."""
    statement = (
        select(Attendance.dsl_id, CourseType.code, CourseSession.first_day, func.max(SessionPart.starts_at))
        .join(CourseSession, Attendance.session_id == CourseSession.id)
        .join(CourseType, CourseSession.course_type_id == CourseType.id)
        .outerjoin(SessionPart, SessionPart.session_id == CourseSession.id)
        .where(Attendance.status == "attended", CourseType.code.in_(courses), CourseSession.first_day >= start)
        .group_by(Attendance.dsl_id, CourseSession.id, CourseType.code, CourseSession.first_day)
    )
    frame = _frame(statement, ["dsl_id", "code", "first_day", "last_part_starts_at"])
    # Worked out once per session (there are far fewer sessions than attendances).
    days = {(first, last): timezero.last_day(first, last) for first, last
            in set(zip(frame["first_day"], frame["last_part_starts_at"]))}
    frame["last_day"] = [days[key] for key in zip(frame["first_day"], frame["last_part_starts_at"])]
    return frame.drop(columns="last_part_starts_at").astype({"dsl_id": "int64"})


def treated(courses: list[str], start: date, end: date, sessions: pd.DataFrame | None = None) -> pd.DataFrame:
    """DSLs who attended a session of ``courses`` whose first day lies in [start, end], with the
    first such attendance as the reason and its last day as ``trained_on``."""
    sessions = qualifying_sessions(courses, start) if sessions is None else sessions
    frame = sessions[pd.to_datetime(sessions["first_day"]) <= pd.Timestamp(end)]
    if frame.empty:
        return pd.DataFrame({"dsl_id": pd.Series(dtype="int64"), "reason": pd.Series(dtype=object),
                             "trained_on": pd.Series(dtype=object)})
    first = frame.assign(first_day=pd.to_datetime(frame["first_day"])).sort_values(["first_day", "code"]) \
        .drop_duplicates("dsl_id")
    day = first["first_day"].dt.day.astype(str) + " " + first["first_day"].dt.strftime("%B %Y")  # 30 September 2020
    reason = "attended " + first["code"] + " on " + day
    return pd.DataFrame({"dsl_id": first["dsl_id"].astype("int64"), "reason": reason, "trained_on": first["last_day"]})


def compute_membership(courses: list[str], exposure: tuple[date, date], outcome: tuple[date, date]) -> pd.DataFrame:
    """Every DSL on the register in treatment or comparison, by the cohort definition, with their
    time zero and days at risk in ``outcome`` (cohorts/timezero.py)."""
    sessions = qualifying_sessions(courses, exposure[0])
    members = population().merge(treated(courses, *exposure, sessions=sessions), on="dsl_id", how="left")
    members["group_name"] = members["reason"].notna().map({True: "treatment", False: "comparison"})
    # A comparison DSL's own later training ends their time at risk (treatment DSLs trained in the
    # exposure window, so theirs is irrelevant and left null).
    later = sessions.groupby("dsl_id")["first_day"].min().rename("next_session_on")
    members = members.merge(later, left_on="dsl_id", right_index=True, how="left")
    members["next_session_on"] = members["next_session_on"].where(members["group_name"] == "comparison", None)
    members = timezero.days_at_risk(members, outcome)
    members["at_risk_low"], members["at_risk_high"] = timezero.utc_bounds(members["at_risk_from"], members["at_risk_to"])
    members["days_at_risk"] = timezero.person_days(members["at_risk_from"], members["at_risk_to"])
    return members


# -- a trial's intention-to-treat cohort ------------------------------------------------------
#
# The trials package owns allocations and analysis plans and uses cohorts; cohorts reads them back
# through the provider trials registers at start-up (app.extensions[TRIALS_PROVIDER]), so that the
# dependency keeps pointing one way. The provider offers ``assignment(name=..., allocation_id=...)``
# (a TrialAssignment, or CohortError), ``locked_plan(allocation_id)`` (the latest locked plan that
# analyses the allocation, as a dict, or None) and ``labels()`` (the names of outcomes and models).

TRIALS_PROVIDER = "right_support_trials"
# What counts as attending the trial's training when the cohort names no courses.
DEFAULT_TRIAL_COURSES = ("induction", "refresher")


@dataclass
class TrialAssignment:
    """An allocation as a cohort needs it: which arm each DSL now on the register is in."""

    allocation_id: int
    name: str
    comparison_arm: str  # the control arm; every other arm is an intervention arm
    arms: list[str]
    drawn_on: date  # the London date of the draw: the default start of the exposure window
    dsls: pd.DataFrame  # dsl_id, arm


def trials_provider():
    provider = current_app.extensions.get(TRIALS_PROVIDER)
    if provider is None:
        raise CohortError("Trials are not part of this service, so a cohort cannot follow an allocation", "trial")
    return provider


def trial_assignment(cohort: Cohort) -> TrialAssignment | None:
    """The allocation ``cohort`` follows, or None for a cohort defined by attendance."""
    if cohort.allocation_id is None:
        return None
    return trials_provider().assignment(allocation_id=cohort.allocation_id)


def cohorts_following(allocation_id: int) -> list[Cohort]:
    """The trial cohorts that follow the allocation ``allocation_id``, newest first."""
    return list(db.session.scalars(select(Cohort).join(TrialCohort, TrialCohort.cohort_id == Cohort.id)
                                   .where(TrialCohort.allocation_id == allocation_id)
                                   .order_by(Cohort.created_at.desc(), Cohort.id.desc())))


def trial_allocation_names() -> list[str]:
    """The allocations a trial's cohort can follow (parallel trials), newest first; none when trials
    are not part of the service."""
    provider = current_app.extensions.get(TRIALS_PROVIDER)
    return provider.allocation_names() if provider is not None else []


def compute_trial_membership(assignment: TrialAssignment, courses: list[str], exposure: tuple[date, date],
                             outcome: tuple[date, date]) -> pd.DataFrame:
    """Every DSL on the register at an allocated school, by intention to treat: treatment is every DSL
    of an intervention school, whether or not they attended, comparison every DSL of a control
    school, whether or not they attended (those who did are crossovers). Everyone is at risk for the
    whole outcome window. Attending means a session of ``courses`` with a first day in ``exposure``;
    the per-protocol group and days at risk follow from it (cohorts/trial.py)."""
    sessions = qualifying_sessions(courses, exposure[0])
    members = population().merge(assignment.dsls[["dsl_id", "arm"]], on="dsl_id", how="inner")
    members = members.merge(treated(courses, *exposure, sessions=sessions), on="dsl_id", how="left")
    members = trial.assign_groups(members, assignment.comparison_arm)
    members["next_session_on"] = None
    itt = timezero.days_at_risk(members.assign(group_name="comparison", next_session_on=pd.NaT), outcome)
    members["at_risk_from"], members["at_risk_to"] = itt["at_risk_from"], itt["at_risk_to"]
    members["at_risk_low"], members["at_risk_high"] = timezero.utc_bounds(members["at_risk_from"], members["at_risk_to"])
    members["days_at_risk"] = timezero.person_days(members["at_risk_from"], members["at_risk_to"])
    included = members["protocol_group"].notna()
    protocol = timezero.days_at_risk(members.assign(group_name=members["protocol_group"].fillna("comparison"),
                                                    next_session_on=pd.NaT), outcome)
    members["protocol_at_risk_from"] = protocol["at_risk_from"].where(included, None)
    members["protocol_at_risk_to"] = protocol["at_risk_to"].where(included, None)
    members["protocol_at_risk_low"], members["protocol_at_risk_high"] = timezero.utc_bounds(
        members["protocol_at_risk_from"], members["protocol_at_risk_to"])
    members["protocol_days_at_risk"] = timezero.person_days(members["protocol_at_risk_from"],
                                                            members["protocol_at_risk_to"])
    return members


@dataclass
class Definition:
    name: str
    courses: list[str]
    exposure: tuple[date, date] | None
    outcome: tuple[date, date]
    pre: tuple[date, date] | None = None
    # The name of the allocation a trial's intention-to-treat cohort follows; None for a cohort
    # defined by attendance. Its courses and exposure window then only say who attended (the
    # per-protocol analysis), and default to DEFAULT_TRIAL_COURSES and from the draw to the outcome end.
    trial: str | None = None


def check_definition(definition: Definition, known_courses: list[str] | None = None) -> None:
    _check_name((definition.name or "").strip())
    if definition.exposure is None:
        raise CohortError("Enter the exposure window", "exposure_start")
    if not definition.courses:
        raise CohortError("Choose at least one course", "courses")
    known = course_codes() if known_courses is None else known_courses
    unknown = [c for c in definition.courses if c not in known]
    if unknown:
        raise CohortError(f"Unknown course code: {', '.join(unknown)}. Known codes: {', '.join(known) or 'none'}",
                          "courses")
    _check_windows(definition)


def _check_name(name: str) -> None:
    if not name:
        raise CohortError("Enter a name for the cohort")
    if len(name) > NAME_LENGTH:
        raise CohortError(f"The name must be {NAME_LENGTH} characters or fewer")
    if db.session.scalar(select(Cohort.id).where(Cohort.name == name)) is not None:
        raise CohortError(f"There is already a cohort called {name}")


def _check_windows(definition: Definition) -> None:
    windows = [("exposure", definition.exposure), ("outcome", definition.outcome)]
    if definition.pre is not None:
        windows.append(("pre", definition.pre))
    for label, (start, end) in windows:
        if start > end:
            raise CohortError(f"The {label} window must start on or before its end", f"{label}_end")
    exposure_start, outcome_end = definition.exposure[0], definition.outcome[1]
    if outcome_end < exposure_start:
        raise CohortError(f"The outcome window ends ({uk_date(outcome_end)}) before the exposure window starts "
                          f"({uk_date(exposure_start)}): there would be no days after training to count",
                          "outcome_end")
    if definition.pre is not None and definition.pre[1] >= min(exposure_start, definition.outcome[0]):
        raise CohortError("The pre-period must end before both the exposure window and the outcome window start",
                          "pre_end")


def check_groups(members: pd.DataFrame, courses: list[str], assignment: TrialAssignment | None = None) -> None:
    """Refuse a membership with an empty group: there would be nothing to compare."""
    sizes = members["group_name"].value_counts()
    if assignment is not None:
        _check_arms(sizes, assignment)
        return
    if not sizes.get("treatment", 0):
        raise CohortError(f"No DSL attended {' or '.join(courses)} with a first day in the exposure window, so the "
                          "treatment group would be empty", "exposure_start")
    if not sizes.get("comparison", 0):
        raise CohortError("Every DSL on the register would be in the treatment group, so there would be no one "
                          "to compare them with", "exposure_start")


def _check_arms(sizes: pd.Series, assignment: TrialAssignment) -> None:
    intervention = [arm for arm in assignment.arms if arm != assignment.comparison_arm]
    if not sizes.get("treatment", 0):
        raise CohortError(f"No DSL on the register is at a school allocated to {' or '.join(intervention)} in "
                          f"{assignment.name}, so the treatment group would be empty", "trial")
    if not sizes.get("comparison", 0):
        raise CohortError(f"No DSL on the register is at a school allocated to {assignment.comparison_arm} in "
                          f"{assignment.name}, so there would be no one to compare with", "trial")


def _with_trial_defaults(definition: Definition) -> tuple[Definition, TrialAssignment | None]:
    """``definition`` with a trial cohort's defaults filled in, and the allocation it follows."""
    if not definition.trial:
        return definition, None
    assignment = trials_provider().assignment(name=definition.trial.strip())
    courses = list(definition.courses)
    if not courses:
        known = course_codes()
        courses = [code for code in DEFAULT_TRIAL_COURSES if code in known] or known
    exposure = definition.exposure
    if exposure is None:
        if definition.outcome[1] < assignment.drawn_on:
            raise CohortError(f"The outcome window ends before {assignment.name} was drawn "
                              f"({uk_date(assignment.drawn_on)}), so attendance cannot count from the draw: give the "
                              "days attendance counts between", "exposure_start")
        exposure = (assignment.drawn_on, definition.outcome[1])
    return replace(definition, courses=courses, exposure=exposure), assignment


def create_cohort(definition: Definition, user_id: int | None = None) -> Cohort:
    """Save the definition and freeze its membership as the register and attendance stand now (and,
    for a trial's cohort, as the allocation put the schools)."""
    definition, assignment = _with_trial_defaults(definition)
    check_definition(definition)
    if assignment is None:
        members = compute_membership(definition.courses, definition.exposure, definition.outcome)
    else:
        members = compute_trial_membership(assignment, definition.courses, definition.exposure, definition.outcome)
    check_groups(members, definition.courses, assignment)
    pre_start, pre_end = definition.pre or (None, None)
    cohort = Cohort(name=definition.name.strip(), courses=list(definition.courses),
                    exposure_start=definition.exposure[0], exposure_end=definition.exposure[1],
                    outcome_start=definition.outcome[0], outcome_end=definition.outcome[1],
                    pre_start=pre_start, pre_end=pre_end, created_by_id=user_id)
    if assignment is not None:
        cohort.trial = TrialCohort(allocation_id=assignment.allocation_id)
    db.session.add(cohort)
    db.session.flush()
    _freeze(cohort, members)
    return cohort


def _membership(cohort: Cohort) -> pd.DataFrame:
    windows = ((cohort.exposure_start, cohort.exposure_end), (cohort.outcome_start, cohort.outcome_end))
    assignment = trial_assignment(cohort)
    if assignment is not None:
        return compute_trial_membership(assignment, cohort.courses, *windows)
    return compute_membership(cohort.courses, *windows)


def _freeze(cohort: Cohort, members: pd.DataFrame) -> None:
    rows = members.assign(cohort_id=cohort.id, fsm_percent=members["fsm_percent"].astype(float))
    columns = FROZEN_COLUMNS + (TRIAL_COLUMNS if "arm" in members else ())
    bulk_insert(CohortMember.__table__, rows, list(columns))
    db.session.flush()


FROZEN_COLUMNS = ("cohort_id", "dsl_id", "group_name", "reason", "school_urn", "pupils", "fsm_percent", "phase", "role",
                  "trained_on", "next_session_on", "at_risk_from", "at_risk_to", "at_risk_low", "at_risk_high",
                  "days_at_risk")
TRIAL_COLUMNS = ("arm", "protocol_group", "protocol_at_risk_from", "protocol_at_risk_to", "protocol_at_risk_low",
                 "protocol_at_risk_high", "protocol_days_at_risk")
MEMBER_COLUMNS = ("dsl_id", "group_name", "reason", "school_urn", "pupils", "fsm_percent", "phase")
# What the outcome report needs of each member: the group, the school, the covariates and the days at risk.
REPORT_COLUMNS = ("dsl_id", "group_name", "school_urn", "pupils", "fsm_percent", "phase", "role", "days_at_risk",
                  "trained_on")


def frozen_members(cohort: Cohort, columns: tuple[str, ...] = MEMBER_COLUMNS) -> pd.DataFrame:
    return _frame(select(*(getattr(CohortMember, column) for column in columns))
                  .where(CohortMember.cohort_id == cohort.id).order_by(CohortMember.dsl_id), list(columns))


def membership_changes(cohort: Cohort) -> list[dict]:
    """Who would move if the membership were recomputed now, and why."""
    is_trial = cohort.allocation_id is not None
    frozen = frozen_members(cohort, MEMBER_COLUMNS + (("arm",) if is_trial else ()))
    fresh = _membership(cohort)
    merged = frozen.merge(fresh, on="dsl_id", how="outer", suffixes=("_frozen", "_now"), indicator=True)
    changed = merged[(merged["_merge"] != "both") | (merged["group_name_frozen"] != merged["group_name_now"])]
    if changed.empty:
        return []
    emails = dict(db.session.execute(select(Dsl.id, Dsl.email).where(Dsl.id.in_(changed["dsl_id"].tolist()))).all())
    out = []
    for row in changed.to_dict("records"):
        why = _why_moved(row, is_trial)
        out.append({"dsl_id": int(row["dsl_id"]), "email": emails.get(int(row["dsl_id"]), ""),
                    "from": row["group_name_frozen"] if isinstance(row["group_name_frozen"], str) else "not a member",
                    "to": row["group_name_now"] if isinstance(row["group_name_now"], str) else "not a member",
                    "why": why})
    return out


def _why_moved(row: dict, is_trial: bool) -> str:
    if row["_merge"] == "left_only":
        return "no longer on the DSL register (or no longer at an allocated school)" if is_trial \
            else "no longer on the DSL register"
    if row["_merge"] == "right_only":
        return "added to the DSL register since the cohort was created"
    if is_trial:
        return f"now at a school allocated to {row['arm_now']} (was {row['arm_frozen']})"
    if row["group_name_now"] == "treatment":
        return f"attendance now shows they {row['reason_now']}"
    return f"attendance no longer shows what put them in treatment ({row['reason_frozen']})"


def recompute(cohort: Cohort) -> list[dict]:
    """Replace the frozen membership with one computed now; returns who moved and why."""
    changes = membership_changes(cohort)
    members = _membership(cohort)
    check_groups(members, cohort.courses, trial_assignment(cohort))
    db.session.execute(delete(CohortMember).where(CohortMember.cohort_id == cohort.id))
    _freeze(cohort, members)
    cohort.recomputed_at = utcnow()
    db.session.flush()
    return changes


def cohort_by_name(name: str) -> Cohort | None:
    return db.session.scalar(select(Cohort).where(Cohort.name == name))


def all_cohorts() -> list[tuple[Cohort, int, int]]:
    """Each cohort with the size of its comparison and treatment groups."""
    counts = dict(((cohort_id, group), n) for cohort_id, group, n in db.session.execute(
        select(CohortMember.cohort_id, CohortMember.group_name, func.count()).group_by(
            CohortMember.cohort_id, CohortMember.group_name)).all())
    cohorts = db.session.scalars(select(Cohort).order_by(Cohort.created_at.desc(), Cohort.id.desc())).all()
    return [(c, counts.get((c.id, "comparison"), 0), counts.get((c.id, "treatment"), 0)) for c in cohorts]


# -- the report -------------------------------------------------------------------------------


def pseudonym(dsl_id: int) -> str:
    """A stable pseudonymous id for exports: no name or email leaves the service."""
    return pseudonyms([dsl_id])[0]


def pseudonyms(dsl_ids) -> list[str]:
    """:func:`pseudonym` of each of ``dsl_ids`` (one-shot HMACs: a whole cohort in a fraction of a second)."""
    key = current_app.config["SECRET_KEY"].encode()
    return ["P" + hmac.digest(key, f"dsl:{dsl_id}".encode(), "sha256").hex()[:10] for dsl_id in dsl_ids]


def london_day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants (naive, as stored) at which Europe/London's ``start`` begins and the day after
    ``end`` begins: a time stamp's London date lies in [start, end] exactly when it falls in [low, high)."""
    return london_to_utc(start, time(0)), london_to_utc(end + timedelta(days=1), time(0))


def record_counts(start: date, end: date, pre: tuple[date, date] | None = None,
                  cohort: Cohort | None = None, replica: bool = False) -> pd.DataFrame:
    """MASH records whose London date lies in [start, end], counted in the database: one row per
    DSL (dsl_id null for records linked to no one), school (null when the record names none) and
    import batch, with contacts and referrals. From the same pass: with ``pre``, ``pre_contacts``
    and ``pre_referrals`` in that window; with ``cohort``, ``contacts_at_risk`` and
    ``referrals_at_risk`` on each member's own days at risk (their frozen UTC bounds).

    The windows filter inside the counts rather than in a WHERE clause (or the join's ON) so that
    both databases read the table in one sequential pass: given the WHERE, SQLite walks the
    received_at index and fetches the rows one by one, several times slower when the window holds
    most of the table, and given a range in the ON it walks that index once for every member.
    """
    windows = {"": (start, end)} | ({"pre_": pre} if pre else {})
    conditions = {}
    for prefix, window in windows.items():
        low, high = london_day_bounds(*window)
        conditions[prefix] = and_(MashRecord.received_at >= low, MashRecord.received_at < high)
    source = MashRecord.__table__
    if cohort is not None:
        conditions["at_risk"] = and_(MashRecord.received_at >= CohortMember.at_risk_low,
                                     MashRecord.received_at < CohortMember.at_risk_high)
        if cohort.allocation_id is not None:
            conditions["protocol_at_risk"] = and_(MashRecord.received_at >= CohortMember.protocol_at_risk_low,
                                                  MashRecord.received_at < CohortMember.protocol_at_risk_high)
        source = source.outerjoin(CohortMember.__table__, and_(CohortMember.cohort_id == cohort.id,
                                                               CohortMember.dsl_id == MashRecord.dsl_id))
    counted, names = [], []
    for prefix, inside in conditions.items():
        for kind, name in ((analysis.CONTACT, "contacts"), (analysis.REFERRAL, "referrals")):
            counted.append(func.count().filter(inside, MashRecord.classification == kind))
            names.append(f"{name}_{prefix}" if prefix.endswith("at_risk") else prefix + name)
    keys = (MashRecord.dsl_id, MashRecord.school_urn, MashRecord.import_batch_id)
    frame = _frame(select(*keys, *counted).select_from(source).group_by(*keys),
                   ["dsl_id", "school_urn", "import_batch_id", *names], replica=replica)
    frame = frame.astype({"dsl_id": "Int64", "school_urn": "Int64", "import_batch_id": "int64",
                          **{name: "int64" for name in names}})
    return frame[frame[names].sum(axis=1) > 0].reset_index(drop=True)


def consultations_at_risk(cohort: Cohort, replica: bool = False) -> pd.DataFrame:
    """Each member's Early Help consultations on their own days at risk, counted in the database
    (days at risk lie inside the outcome window, so only its consultations are joined); for a
    trial's cohort also on their per-protocol days at risk (``consultations_protocol_at_risk``)."""
    at_risk = and_(EarlyHelpConsultation.date >= CohortMember.at_risk_from,
                   EarlyHelpConsultation.date <= CohortMember.at_risk_to)
    counted, names = [func.count().filter(at_risk)], ["dsl_id", "consultations_at_risk"]
    if cohort.allocation_id is not None:
        counted.append(func.count().filter(EarlyHelpConsultation.date >= CohortMember.protocol_at_risk_from,
                                           EarlyHelpConsultation.date <= CohortMember.protocol_at_risk_to))
        names.append("consultations_protocol_at_risk")
    return _frame(select(CohortMember.dsl_id, *counted)
                  .join(EarlyHelpConsultation, EarlyHelpConsultation.dsl_id == CohortMember.dsl_id)
                  .where(CohortMember.cohort_id == cohort.id, EarlyHelpConsultation.date >= cohort.outcome_start,
                         EarlyHelpConsultation.date <= cohort.outcome_end)
                  .group_by(CohortMember.dsl_id), names, replica=replica)


def consultation_counts(start: date, end: date, replica: bool = False) -> pd.DataFrame:
    """Early Help consultations dated in [start, end], counted by date and import batch."""
    consultations = func.count().label("consultations")
    frame = _frame(select(EarlyHelpConsultation.date, EarlyHelpConsultation.import_batch_id, consultations)
                   .where(EarlyHelpConsultation.date >= start, EarlyHelpConsultation.date <= end)
                   .group_by(EarlyHelpConsultation.date, EarlyHelpConsultation.import_batch_id),
                   ["date", "import_batch_id", "consultations"], replica=replica)
    return frame.astype({"import_batch_id": "int64", "consultations": "int64"})


def batches(ids, replica: bool = False) -> list[dict]:
    """The import batches behind counted records, read where the records were counted."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return []
    with read_connection(replica) as connection:
        rows = connection.execute(select(ImportBatch.id, ImportBatch.kind, ImportBatch.filename, ImportBatch.checksum,
                                         ImportBatch.imported_at, ImportBatch.rows)
                                  .where(ImportBatch.id.in_(ids)).order_by(ImportBatch.id)).all()
    return [{"id": b.id, "kind": b.kind, "filename": b.filename, "checksum": b.checksum,
             "imported_at": b.imported_at.isoformat(timespec="seconds") + "Z", "rows": b.rows} for b in rows]


def cohort_pseudonyms(salt: str, kind: str, ids) -> list[str]:
    """Pseudonyms of ``ids`` (DSL ids or school URNs, ``kind`` "dsl" or "school") that belong to one
    cohort: keyed on the service's secret and the cohort's own random salt, so one cohort's export
    cannot be joined to another's on them. A DSL's start with D, a school's with S."""
    key = (current_app.config["SECRET_KEY"] + ":" + (salt or "")).encode()
    prefix = "D" if kind == "dsl" else "S"
    return [prefix + hmac.digest(key, f"{kind}:{value}".encode(), "sha256").hex()[:10] for value in ids]


PUPIL_BANDS = ((0, "Under 200"), (200, "200 to 399"), (400, "400 to 799"), (800, "800 to 1,199"),
               (1200, "1,200 or more"))
FSM_BANDS = ((0, "Under 10%"), (10, "10% to 19.9%"), (20, "20% to 29.9%"), (30, "30% to 39.9%"), (40, "40% or more"))


def band(values: pd.Series, bands) -> pd.Series:
    """Each value's band: the label of the last band whose lower edge it reaches."""
    edges = [edge for edge, _label in bands]
    labels = [label for _edge, label in bands]
    index = pd.Series(pd.cut(values.astype(float), edges + [float("inf")], right=False, labels=False), index=values.index)
    return index.map(lambda i: labels[int(i)] if pd.notna(i) else None)


PER_DSL_COLUMNS = ("dsl", "school", "group", "trained_on", "days_at_risk", "contacts", "referrals", "contacts_at_risk",
                   "referrals_at_risk", "pupils_band", "fsm_band", "phase", "role")


@dataclass
class Report:
    figures: dict  # the JSON report
    rows: pd.DataFrame  # the per-DSL frame behind the figures (empty when suppressed)
    salt: str = ""  # the cohort's pseudonym salt

    @cached_property
    def per_dsl(self) -> pd.DataFrame:
        """One row per DSL, pseudonymous, for analysts (unsuppressed reports only): the cohort's own
        pseudonyms of the DSL and the school, the training date, days at risk and counts, and the
        school's size and FSM % in bands, so that no school is picked out by its figures. Made when
        first asked for: a pseudonym for each of 60,000 DSLs takes a noticeable part of a second."""
        rows = self.rows
        trained = rows["trained_on"] if "trained_on" in rows else pd.Series(None, index=rows.index)
        frame = pd.DataFrame({
            "dsl": cohort_pseudonyms(self.salt, "dsl", rows["dsl_id"].tolist()),
            "school": cohort_pseudonyms(self.salt, "school", rows["school_urn"].tolist()),
            "group": rows["group"], "trained_on": pd.to_datetime(trained).dt.date,
            "days_at_risk": rows["person_days"], "contacts": rows["contacts"], "referrals": rows["referrals"],
            "contacts_at_risk": rows["contacts_at_risk"], "referrals_at_risk": rows["referrals_at_risk"],
            "pupils_band": band(rows["pupils"], PUPIL_BANDS), "fsm_band": band(rows["fsm_percent"], FSM_BANDS),
            "phase": rows["phase"], "role": rows["role"] if "role" in rows else None}, columns=PER_DSL_COLUMNS)
        if "arm" in rows:  # a trial's cohort: the arm, and the per-protocol group and days at risk
            frame = frame.assign(arm=rows["arm"].to_numpy(), attended=rows["trained_on"].notna().to_numpy(),
                                 per_protocol_group=rows["protocol_group"].to_numpy(),
                                 per_protocol_days_at_risk=rows["protocol_days_at_risk"].to_numpy())
        return frame.sort_values("dsl").reset_index(drop=True)


def replica_holds(cohort: Cohort) -> bool:
    """Whether the read replica (REPORTS_DATABASE_URL) already holds ``cohort`` as the primary does:
    the same definition and the same number of frozen members. A replica lags the primary by
    moments, so a report asked for straight after a cohort is made or recomputed reads the primary."""
    if not replica_configured():
        return False
    primary = db.session.scalar(select(func.count()).where(CohortMember.cohort_id == cohort.id))
    with read_connection(True) as connection:
        held = connection.execute(select(Cohort.recomputed_at, Cohort.outcome_start, Cohort.outcome_end)
                                  .where(Cohort.id == cohort.id)).first()
        members = connection.scalar(select(func.count()).where(CohortMember.cohort_id == cohort.id))
    same = held is not None and tuple(held) == (cohort.recomputed_at, cohort.outcome_start, cohort.outcome_end)
    return same and members == primary


def cohort_report(cohort: Cohort, annual_calls: int | None = None, annual_cost: float | None = None,
                  suppress: bool = False, optimism_bias: float = 0) -> Report:
    """The outcome report of ``cohort``: every figure, traced to the import batches behind it.

    The cohort and its frozen members come from the primary. The counts over the MASH records and
    Early Help consultations, which read those tables whole, come from the read replica when one is
    configured and already holds the cohort (see :func:`replica_holds`)."""
    replica = replica_holds(cohort)
    columns = REPORT_COLUMNS + (TRIAL_REPORT_COLUMNS if cohort.allocation_id is not None else ())
    members = frozen_members(cohort, columns).rename(columns={"group_name": "group"})
    pre = (cohort.pre_start, cohort.pre_end) if cohort.pre_start else None
    records = record_counts(cohort.outcome_start, cohort.outcome_end, pre, cohort, replica=replica)
    per_dsl = analysis.with_days_at_risk(analysis.per_dsl_from_counts(members, records),
                                         consultations_at_risk(cohort, replica=replica))
    consultations = consultation_counts(cohort.outcome_start, cohort.outcome_end, replica=replica)
    figures = analysis.outcome_report(
        per_dsl, cohort=cohort.name, definition=cohort.definition,
        linkage_counts=analysis.linkage_from_counts(records, members["dsl_id"]),
        early_help_dates=consultations["date"], early_help_counts=consultations["consultations"],
        annual_calls=annual_calls, annual_cost=annual_cost, schools=analysis.schools_from_counts(members, records),
        optimism_bias_pct=optimism_bias)
    figures["membership"] = {"frozen_at": cohort.created_at.isoformat(timespec="seconds") + "Z",
                             "recomputed_at": cohort.recomputed_at.isoformat(timespec="seconds") + "Z"
                             if cohort.recomputed_at else None}
    figures["read_from"] = "replica" if replica else "primary"
    figures["batches"] = batches(list(records["import_batch_id"]) + list(consultations["import_batch_id"]),
                                 replica=replica)
    figures["linkage"]["stale_links"] = stale_link_count(cohort.outcome_start, cohort.outcome_end)
    sections = current_app.extensions.get(REPORT_SECTIONS, {})
    for key, (section, _suppress) in sections.items():
        figures[key] = section(cohort, per_dsl[["dsl_id", "group", "school_urn", "person_days"]], replica)
    figures["sections"] = list(sections)
    if cohort.allocation_id is not None:
        figures["trial"] = _trial_block(cohort, per_dsl, figures, suppress)
    if suppress:
        published = disclosure.published(figures)
        for key, (_section, suppress_block) in sections.items():
            suppress_block(published[key])
        return Report(published, per_dsl.iloc[0:0], cohort.pseudonym_salt or "")
    return Report(figures, per_dsl, cohort.pseudonym_salt or "")


TRIAL_REPORT_COLUMNS = ("arm", "trained_on", "protocol_group", "protocol_days_at_risk")


def _trial_block(cohort: Cohort, per_dsl: pd.DataFrame, figures: dict, suppress: bool) -> dict:
    """The trial's part of the report: the allocation, who attended in each arm, the per-protocol
    analysis and the locked plan the report follows (cohorts/trial.py)."""
    provider = trials_provider()
    assignment = provider.assignment(allocation_id=cohort.allocation_id)
    allocation = {"name": assignment.name, "arms": list(assignment.arms), "comparison_arm": assignment.comparison_arm,
                  "drawn_on": assignment.drawn_on.isoformat()}
    return trial.trial_report(per_dsl, figures, allocation=allocation, plan=provider.locked_plan(cohort.allocation_id),
                              labels=provider.labels(), suppress=suppress)


# -- demand -----------------------------------------------------------------------------------


def demand() -> dict:
    """Contacts and referrals by source and method, schools' share of telephone contacts and
    contacts per pupil by school, over every MASH record imported."""
    kinds = (MashRecord.source, MashRecord.method, MashRecord.classification)
    # Counted in the database: a few dozen rows by source and method, one row per school.
    by_kind = _frame(select(*kinds, func.count()).group_by(*kinds), ["source", "method", "classification", "records"],
                     replica=True)
    by_school = _frame(select(MashRecord.school_urn, func.count())
                       .where(MashRecord.classification == analysis.CONTACT, MashRecord.school_urn.is_not(None))
                       .group_by(MashRecord.school_urn), ["school_urn", "records"], replica=True)
    schools = _frame(select(School.urn, School.name, School.pupils), ["urn", "name", "pupils"], replica=True)
    with read_connection(replica=True) as connection:
        span = connection.execute(select(func.min(MashRecord.received_at), func.max(MashRecord.received_at))).one()
    return {"records": int(by_kind["records"].sum()), "first": span[0], "last": span[1],
            "by_month": demand_by_month(),
            **analysis.by_source_and_method(by_kind),
            "telephone": analysis.telephone_share(by_kind),
            "per_pupil": analysis.contacts_per_pupil(by_school.assign(classification=analysis.CONTACT), schools)}


# -- for other packages -----------------------------------------------------------------------


def latest_report() -> tuple[Cohort, dict] | None:
    """The most recently created cohort and its outcome report's figures, for the materials that
    quote them (read only); None before any cohort exists."""
    cohort = db.session.scalar(select(Cohort).order_by(Cohort.created_at.desc(), Cohort.id.desc()).limit(1))
    return (cohort, cohort_report(cohort).figures) if cohort else None


# -- what other features add ------------------------------------------------------------------
#
# Features built on cohorts (the Infoline) record events linked to DSLs by email. They register
# their table, a block of the outcome report and a monthly series of the demand page here, in
# their init_app, so cohorts never imports them.

LINKED_TABLES = "right_support_linked_tables"
REPORT_SECTIONS = "right_support_report_sections"
DEMAND_SERIES = "right_support_demand_series"


def register_linked_table(app, model) -> None:
    """Relink ``model`` (which has referrer_email and dsl_id) whenever the MASH records are relinked."""
    app.extensions.setdefault(LINKED_TABLES, []).append(model)


def dsl_ids_for_emails(emails: pd.Series) -> pd.Series:
    """The DSL each email links to (the register's, else an alias's), or missing: one hash lookup."""
    return importers.link_emails(emails)


def linked_tables() -> list:
    return list(current_app.extensions.get(LINKED_TABLES, []))


def register_report_section(app, key: str, section, suppress) -> None:
    """Add ``key`` to every outcome report: ``section(cohort, per_dsl, replica)`` gives its block from
    the members' frame (dsl_id, group, school_urn, person_days), and ``suppress(block)`` makes it
    fit for publication in place. The block names itself (``title``, ``events``), has per-group
    ``dsls``, ``person_days``, ``calls`` and ``mean_calls``, a ``rate_ratio`` with ``ci95`` and
    ``p_value``, an ``expectation`` and a ``note``, so the report's page and files show it."""
    app.extensions.setdefault(REPORT_SECTIONS, {})[key] = (section, suppress)


def register_demand_series(app, name: str, series) -> None:
    """Show ``series()`` (a frame of month "YYYY-MM" and count) beside the MASH on the demand page."""
    app.extensions.setdefault(DEMAND_SERIES, {})[name] = series


def counts_on_days_at_risk(cohort: Cohort, stamp, dsl_column, replica: bool = False) -> pd.DataFrame:
    """Each member's rows of another feature's table (``stamp``: its UTC time column, ``dsl_column``:
    its link to the register) on the member's own days at risk, counted in the database:
    dsl_id, events."""
    at_risk = and_(stamp >= CohortMember.at_risk_low, stamp < CohortMember.at_risk_high)
    low, high = london_day_bounds(cohort.outcome_start, cohort.outcome_end)
    frame = _frame(select(CohortMember.dsl_id, func.count().filter(at_risk))
                   .join(dsl_column.table, dsl_column == CohortMember.dsl_id)
                   .where(CohortMember.cohort_id == cohort.id, stamp >= low, stamp < high)
                   .group_by(CohortMember.dsl_id), ["dsl_id", "events"], replica=replica)
    return frame.astype({"dsl_id": "int64", "events": "int64"})


def hour_of(stamp):
    """``stamp`` (a UTC time column) cut to its hour, in SQL: time series counted by the hour come
    back a few thousand rows a year, and any time zone's days and months are whole hours of UTC."""
    if is_sqlite(db.session):
        return func.strftime("%Y-%m-%d %H:00:00", stamp)
    return func.date_trunc("hour", stamp)


def hourly_counts(stamp, *columns, replica: bool = True) -> pd.DataFrame:
    """Rows of ``stamp``'s table counted by UTC hour (and ``columns``): hour, *columns, count."""
    hour = hour_of(stamp)
    frame = _frame(select(hour, *columns, func.count()).group_by(hour, *columns),
                   ["hour", *(column.key for column in columns), "count"], replica=replica)
    return frame.assign(hour=pd.to_datetime(frame["hour"]), count=frame["count"].astype("int64"))


def mash_by_month() -> pd.DataFrame:
    """MASH records by London month: month ("YYYY-MM"), contacts, referrals."""
    counts = hourly_counts(MashRecord.received_at, MashRecord.classification)
    return analysis.records_by_month(counts.rename(columns={"hour": "received_at", "count": "records"}))


def demand_by_month() -> list[dict]:
    """The MASH's records by month, with every registered series (the Infoline's calls) beside them."""
    months = mash_by_month()
    for name, series in current_app.extensions.get(DEMAND_SERIES, {}).items():
        months = months.merge(series().rename(columns={"count": name}), on="month", how="outer")
    months = months.sort_values("month").fillna(0)
    return [{key: (value if key == "month" else int(value)) for key, value in row.items()}
            for row in months.to_dict("records")]


def mash_by_school(start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """MASH records naming each school, or made by one of its DSLs, received in [start, end] (London
    dates; either end may be open): school_urn, records."""
    school = func.coalesce(MashRecord.school_urn, School.urn)
    statement = (select(school, func.count()).select_from(MashRecord).outerjoin(Dsl, Dsl.id == MashRecord.dsl_id)
                 .outerjoin(School, School.id == Dsl.school_id).group_by(school))
    if start is not None:
        statement = statement.where(MashRecord.received_at >= london_to_utc(start, time(0)))
    if end is not None:
        statement = statement.where(MashRecord.received_at < london_to_utc(end + timedelta(days=1), time(0)))
    named = _frame(statement, ["school_urn", "records"], replica=True)
    return named.dropna().astype({"school_urn": "int64", "records": "int64"})

def record_report_export(cohort: Cohort, fmt: str, options: dict, source: str) -> None:
    """Note in the audit trail that the outcome report of ``cohort`` (per-DSL rows included) left the
    service, in which format and with which options. Flushes."""
    audit.record("cohorts.report.exported", object_type="cohort", object_id=cohort.id,
                 new={"cohort": cohort.name, "format": fmt, "source": source, **options})


# -- retention ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime  # UTC: records received (consultations held) before this were deleted
    mash_records: int
    early_help: int


def purge_old_records(months: int, now: datetime | None = None) -> RetentionResult:
    """Delete every MASH record received, and every Early Help consultation held, more than
    ``months`` months ago, in the caller's transaction, and record it in the audit trail.

    Nothing else refers to these rows: a cohort's frozen membership is its DSLs (and their days at
    risk), which stay; a report re-run after a purge counts only the records still held. Import
    batches stay too, with the counts they had, so the trail of what was imported is kept."""
    if months < 1:
        raise ValueError("records are kept for at least one month")
    from core.timefmt import months_before

    cutoff = months_before(now or utcnow(), months)
    cutoff_day = london_day(cutoff)
    mash = db.session.execute(delete(MashRecord).where(MashRecord.received_at < cutoff)).rowcount
    early_help = db.session.execute(delete(EarlyHelpConsultation).where(EarlyHelpConsultation.date < cutoff_day)).rowcount
    audit.record("cohorts.records.purged", object_type="retention", object_id=months,
                 new={"cutoff": cutoff, "months": months, "mash_records": mash, "early_help": early_help})
    return RetentionResult(cutoff, mash, early_help)


def london_day(moment: datetime) -> date:
    from core.timefmt import to_london

    return to_london(moment).date()


# -- analysis plans ---------------------------------------------------------------------------

PLAN_SOURCES = "cohorts.plan_sources"


def register_plan_source(app, source) -> None:
    """Let a package that keeps analysis plans (trials) say which plan registered a cohort's
    analysis: ``source(outcome, pre)`` gets the cohort's outcome window and pre-period (each a pair
    of days, or None) and gives the plan as a dict of plain text, or None. Registered this way so
    that cohorts need not know the package that calls on it."""
    app.extensions.setdefault(PLAN_SOURCES, []).append(source)


def analysis_plan(cohort: Cohort) -> dict | None:
    """The locked analysis plan with ``cohort``'s windows, from the first source that has one."""
    pre = (cohort.pre_start, cohort.pre_end) if cohort.pre_start else None
    for source in current_app.extensions.get(PLAN_SOURCES, ()):
        plan = source((cohort.outcome_start, cohort.outcome_end), pre)
        if plan:
            return plan
    return None
