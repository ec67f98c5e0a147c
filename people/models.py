"""Schools, the DSL register and user accounts."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from core.auth import ROLES
from core.extensions import db
from core.models import quoted
from core.timefmt import utcnow

PHASES = ("Nursery", "Primary", "Secondary", "Special", "All-through", "Alternative provision", "Post-16")
DSL_ROLES = ("DSL", "Deputy DSL")


class School(db.Model):
    __tablename__ = "schools"
    __table_args__ = (
        CheckConstraint("urn > 0", name="urn_positive"),
        CheckConstraint("pupils >= 0", name="pupils_not_negative"),
        CheckConstraint("fsm_percent >= 0 AND fsm_percent <= 100", name="fsm_percent_range"),
        CheckConstraint(f"phase IS NULL OR phase IN ({quoted(PHASES)})", name="phase_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    urn: Mapped[int] = mapped_column(Integer, unique=True)  # DfE unique reference number
    name: Mapped[str] = mapped_column(String(200), index=True)  # the schools list pages in name order
    pupils: Mapped[int] = mapped_column(Integer)  # pupils on roll
    fsm_percent: Mapped[float] = mapped_column(Float)  # % eligible for free school meals
    phase: Mapped[str | None] = mapped_column(String(40))
    district: Mapped[str | None] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    dsls: Mapped[list["Dsl"]] = relationship(back_populates="school", order_by="Dsl.name")

    def __repr__(self) -> str:
        return f"<School {self.urn} {self.name}>"


class Dsl(db.Model):
    """A person on the DSL register, keyed by work email."""

    __tablename__ = "dsls"
    __table_args__ = (CheckConstraint(f"role IN ({quoted(DSL_ROLES)})", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored trimmed and lower-case
    name: Mapped[str] = mapped_column(String(200), index=True)  # the register pages in name order
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="DSL")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    school: Mapped[School] = relationship(back_populates="dsls")

    def __repr__(self) -> str:
        return f"<Dsl {self.email}>"


class User(UserMixin, db.Model):
    """An account that signs in. A dsl account is tied to its DSL record by email."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN ({quoted(ROLES)})", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored trimmed and lower-case
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # Null until the person sets a password through their invitation link.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Raised on sign-out, password change and disabling: every older session stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_signed_in_at: Mapped[datetime | None]
    # Two-step sign-in: the base32 TOTP secret the person's authenticator app holds (null until they
    # enrol), when they enrolled, and the last 30-second time step a code was accepted for, so that
    # no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_enrolled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def mfa_enrolled(self) -> bool:
        return self.totp_secret is not None and self.mfa_enrolled_at is not None

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def dsl(self) -> Dsl | None:
        """The DSL record this account belongs to, matched by email (both are stored lower-case,
        so the match goes through the register's unique email index)."""
        if self.role != "dsl":
            return None
        # A page asks more than once (its view, then its template); one lookup serves the account
        # object's life, which is one request. A record found is checked against the email again.
        found = self.__dict__.get("_dsl_record")
        if found is None or found.email != self.email.lower():
            found = db.session.scalar(select(Dsl).options(joinedload(Dsl.school)).where(Dsl.email == self.email.lower()))
            self.__dict__["_dsl_record"] = found
        return found

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Invitation(db.Model):
    """A one-time link to set a password. Only a hash of its token is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class RecoveryCode(db.Model):
    """A single-use code that stands in for an authenticator app's code. Only a hash is stored; the
    person saw the code once, when it was made."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the code, upper case, no dashes
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
