"""MASH records and Early Help consultations from imports, and cohorts with frozen membership."""

import datetime as dt
import secrets

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import quoted
from core.timefmt import utcnow
from people.models import Dsl

CLASSIFICATIONS = ("contact", "referral")
GROUPS = ("comparison", "treatment")


def new_salt() -> str:
    return secrets.token_hex(32)


class MashRecord(db.Model):
    """A call or form the MASH received: a contact (non-urgent) or a referral (urgent)."""

    __tablename__ = "mash_records"
    # Only the indexes the reports and the import need: every index slows a million-row import.
    # Linkage and tracing queries scan the table, which costs a fraction of a second.
    __table_args__ = (CheckConstraint(f"classification IN ({quoted(CLASSIFICATIONS)})", name="classification_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(100), unique=True)  # the id in the MASH case system
    received_at: Mapped[dt.datetime] = mapped_column(index=True)  # UTC; files give Europe/London local time
    source: Mapped[str] = mapped_column(String(100))  # referring agency
    method: Mapped[str] = mapped_column(String(100))  # Telephone, Email, Online form, ...
    classification: Mapped[str] = mapped_column(String(10))
    referrer_email: Mapped[str | None] = mapped_column(String(254))  # trimmed, lower-case
    school_urn: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(200))
    # The DSL whose email matched referrer_email at import or at the last relinking.
    dsl_id: Mapped[int | None] = mapped_column(ForeignKey("dsls.id", ondelete="SET NULL"))
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="RESTRICT"))


class EarlyHelpConsultation(db.Model):
    """A consultation with the Early Help team."""

    __tablename__ = "early_help_consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[str] = mapped_column(String(100), unique=True)  # the id in the Early Help system
    date: Mapped[dt.date] = mapped_column(index=True)
    school_urn: Mapped[int | None] = mapped_column(Integer)
    referrer_email: Mapped[str | None] = mapped_column(String(254))  # trimmed, lower-case
    dsl_id: Mapped[int | None] = mapped_column(ForeignKey("dsls.id", ondelete="SET NULL"), index=True)
    import_batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="RESTRICT"), index=True)


class DslAlias(db.Model):
    """An email that is not on the register but belongs to a DSL who is: an evaluator mapped it, so
    records carrying it link to that DSL. The register always wins: an alias for an email the
    register holds is refused, and ignored if the register gains the email later."""

    __tablename__ = "dsl_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # trimmed, lower-case
    dsl_id: Mapped[int] = mapped_column(ForeignKey("dsls.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    dsl: Mapped[Dsl] = relationship()


class Cohort(db.Model):
    """A saved definition (courses, exposure and outcome windows) with a frozen membership."""

    __tablename__ = "cohorts"
    __table_args__ = (
        CheckConstraint("exposure_start <= exposure_end", name="exposure_in_order"),
        CheckConstraint("outcome_start <= outcome_end", name="outcome_in_order"),
        CheckConstraint("pre_start <= pre_end", name="pre_in_order"),
        CheckConstraint("(pre_start IS NULL) = (pre_end IS NULL)", name="pre_both_or_neither"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    courses: Mapped[list] = mapped_column(JSON)  # course codes whose attendance makes the treatment group
    exposure_start: Mapped[dt.date]
    exposure_end: Mapped[dt.date]
    outcome_start: Mapped[dt.date]
    outcome_end: Mapped[dt.date]
    # The optional pre-period: each DSL's calling before training, for the difference-in-differences.
    pre_start: Mapped[dt.date | None]
    pre_end: Mapped[dt.date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When the membership was last recomputed and replaced; null while it is as first frozen.
    recomputed_at: Mapped[dt.datetime | None]
    # Random, made with the cohort: the pseudonyms of its DSLs and schools in exports hash with it, so
    # no two cohorts' exports share a pseudonym.
    pseudonym_salt: Mapped[str | None] = mapped_column(String(64), default=new_salt)

    members: Mapped[list["CohortMember"]] = relationship(back_populates="cohort", cascade="all, delete-orphan",
                                                         passive_deletes=True)
    trial: Mapped["TrialCohort | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                        lazy="joined")

    @property
    def allocation_id(self) -> int | None:
        """The allocation a trial's intention-to-treat cohort analyses; None for other cohorts."""
        return self.trial.allocation_id if self.trial is not None else None

    @property
    def definition(self) -> dict:
        out = {"courses": list(self.courses), "exposure": [self.exposure_start.isoformat(), self.exposure_end.isoformat()],
               "outcome": [self.outcome_start.isoformat(), self.outcome_end.isoformat()], "pre": None}
        if self.pre_start is not None:
            out["pre"] = [self.pre_start.isoformat(), self.pre_end.isoformat()]
        return out


class TrialCohort(db.Model):
    """Ties a trial's intention-to-treat cohort to the allocation whose arms make its groups. The key
    is the schema's only tie to the trials package: cohorts reads trials through the provider that
    package registers (cohorts.services.trials_provider)."""

    __tablename__ = "trial_cohorts"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("trial_allocations.id", ondelete="RESTRICT"), index=True)


class CohortMember(db.Model):
    """A DSL's place in a cohort, with their school's figures as they were when the cohort was made."""

    __tablename__ = "cohort_members"
    __table_args__ = (
        UniqueConstraint("cohort_id", "dsl_id", name="one_place_per_dsl"),
        CheckConstraint("group_name IN ('comparison', 'treatment')", name="group_known"),
        CheckConstraint("protocol_group IS NULL OR protocol_group IN ('comparison', 'treatment')",
                        name="protocol_group_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    dsl_id: Mapped[int] = mapped_column(ForeignKey("dsls.id", ondelete="RESTRICT"), index=True)
    group_name: Mapped[str] = mapped_column(String(12))  # comparison or treatment
    # Why the DSL is in the treatment group (course and date attended); null for comparison.
    reason: Mapped[str | None] = mapped_column(String(300))
    school_urn: Mapped[int] = mapped_column(Integer)
    pupils: Mapped[int] = mapped_column(Integer)
    fsm_percent: Mapped[float] = mapped_column(Float)
    phase: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str | None] = mapped_column(String(20))  # DSL or Deputy DSL, from the register
    # Time zero, frozen with the member. Treatment: the last day of their first qualifying session in
    # the exposure window. Comparison: the first day of the first qualifying session they attended
    # on or after the exposure start (null if none), the day their comparison time ends.
    trained_on: Mapped[dt.date | None]
    next_session_on: Mapped[dt.date | None]
    # Their days at risk inside the outcome window (London dates, both included; null when fewer
    # than one day), and the same as UTC instants [low, high) for counting MASH records in SQL.
    at_risk_from: Mapped[dt.date | None]
    at_risk_to: Mapped[dt.date | None]
    at_risk_low: Mapped[dt.datetime | None]
    at_risk_high: Mapped[dt.datetime | None]
    days_at_risk: Mapped[int | None] = mapped_column(Integer)  # to - from + 1; 0 when there are none
    # Trial cohorts only (null otherwise). ``arm``: the arm their school was allocated to, which
    # makes group_name (intention to treat). ``protocol_group``: their group in the per-protocol
    # analysis (an intervention school's DSL who attended, a control school's DSL who did not),
    # null when it leaves them out; with their per-protocol days at risk, as above.
    arm: Mapped[str | None] = mapped_column(String(40))
    protocol_group: Mapped[str | None] = mapped_column(String(12))
    protocol_at_risk_from: Mapped[dt.date | None]
    protocol_at_risk_to: Mapped[dt.date | None]
    protocol_at_risk_low: Mapped[dt.datetime | None]
    protocol_at_risk_high: Mapped[dt.datetime | None]
    protocol_days_at_risk: Mapped[int | None] = mapped_column(Integer)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
