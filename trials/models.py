"""Trials: stored allocations of schools to arms or waves, and versioned analysis plans.

An allocation is written once and never changed; a locked plan never changes. The services never
change either, and in case any other path tries, triggers the migration adds
(migrations/versions/0008_trials.py) make the database refuse an UPDATE or DELETE of an
allocation's rows or of a locked plan.
"""

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.timefmt import utcnow

DESIGNS = ("parallel", "stepped-wedge")


class TrialAllocation(db.Model):
    """Schools randomised to arms (a parallel trial) or to waves (a stepped wedge), with all it takes
    to reproduce the draw: the seed, the algorithm and its version, and a checksum of the register."""

    __tablename__ = "trial_allocations"
    __table_args__ = (CheckConstraint("design IN ('parallel', 'stepped-wedge')", name="design_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    design: Mapped[str] = mapped_column(String(20))
    # Arm names in order; for a stepped wedge the waves, first trained first.
    arms: Mapped[list] = mapped_column(JSON)
    strata: Mapped[list] = mapped_column(JSON)  # the columns schools were stratified by, in canonical order
    seed: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str] = mapped_column(String(60))
    algorithm_version: Mapped[int] = mapped_column(Integer)
    app_version: Mapped[str] = mapped_column(String(40))  # pyproject.toml's version when it was drawn
    # SHA-256 of the register as the algorithm read it (see trials.allocation.register_checksum).
    register_sha256: Mapped[str] = mapped_column(String(64))
    schools: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))  # "web" or "cli"
    # Who drew it (null from the command line). RESTRICT: an allocation keeps its author.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    units: Mapped[list["TrialAllocationSchool"]] = relationship(back_populates="allocation",
                                                                order_by="TrialAllocationSchool.school_urn")


class TrialAllocationSchool(db.Model):
    """One school's place in an allocation, with the register's values the draw used."""

    __tablename__ = "trial_allocation_schools"
    __table_args__ = (UniqueConstraint("allocation_id", "school_urn", name="one_place_per_school"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint's index (allocation_id first) serves look-ups by allocation.
    allocation_id: Mapped[int] = mapped_column(ForeignKey("trial_allocations.id", ondelete="RESTRICT"))
    # The URN, not a key to the schools table: the allocation stays as drawn whatever the register does.
    school_urn: Mapped[int] = mapped_column(Integer)
    district: Mapped[str | None] = mapped_column(String(200))
    phase: Mapped[str | None] = mapped_column(String(40))
    pupils: Mapped[int] = mapped_column(Integer)
    fsm_percent: Mapped[float] = mapped_column(Float)
    size_band: Mapped[str] = mapped_column(String(20))
    stratum: Mapped[str] = mapped_column(String(500))
    arm: Mapped[str] = mapped_column(String(40))
    wave: Mapped[int | None] = mapped_column(Integer)  # 1, 2, ... in a stepped wedge; null in a parallel trial

    allocation: Mapped[TrialAllocation] = relationship(back_populates="units")


class AnalysisPlan(db.Model):
    """One version of a trial's analysis plan: a draft while ``locked_at`` is null, then fixed for good.

    An amendment is a new version of the same name pointing at the locked version it replaces.
    """

    __tablename__ = "analysis_plans"
    __table_args__ = (
        UniqueConstraint("name", "version", name="one_row_per_version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("trial_allocations.id", ondelete="RESTRICT"), index=True)
    content: Mapped[dict] = mapped_column(JSON)  # the plan's choices (trials.plans.PLAN_KEYS)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("analysis_plans.id", ondelete="RESTRICT"), index=True)
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set once, when the plan is locked.
    canonical_json: Mapped[str | None] = mapped_column(Text)  # sorted keys, no spaces: what the hash is of
    sha256: Mapped[str | None] = mapped_column(String(64))
    locked_at: Mapped[dt.datetime | None]
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # MASH records already in the plan's outcome window when it was locked: 0 for a plan made in time.
    mash_records_at_lock: Mapped[int | None] = mapped_column(Integer)

    allocation: Mapped[TrialAllocation] = relationship()
    amends: Mapped["AnalysisPlan | None"] = relationship(remote_side=[id])

    @property
    def locked(self) -> bool:
        return self.locked_at is not None


class TrialInvitation(db.Model):
    """An invitation to book training, queued for one DSL of an invited arm or wave: at most one per
    DSL and allocation, so inviting an arm again reaches only those not yet invited."""

    __tablename__ = "trial_invitations"
    __table_args__ = (UniqueConstraint("allocation_id", "dsl_id", name="one_invitation_per_dsl"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("trial_allocations.id", ondelete="RESTRICT"))
    dsl_id: Mapped[int] = mapped_column(ForeignKey("dsls.id", ondelete="CASCADE"), index=True)
    arm: Mapped[str] = mapped_column(String(40))  # the arm or wave the DSL was invited from
    email: Mapped[str] = mapped_column(String(254))  # the address the invitation went to
    queued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    queued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
