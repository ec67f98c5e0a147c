"""Accounts, sign-in and the register of schools and DSLs. Functions flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import contains_eager
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from core import audit
from core.audit import record
from core.auth import ADMIN, EVALUATOR, ROLES
from core.database import begin_writing, is_sqlite
from core.events import register_changed
from core.extensions import db
from core.paging import paginate
from core.timefmt import utcnow
from people import mfa
from people.models import Dsl, Invitation, RecoveryCode, School, User

MIN_PASSWORD_LENGTH = 12
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A request about an account that cannot be carried out, with a message for the person."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    """A slow, salted hash (scrypt)."""
    return generate_password_hash(password, method="scrypt")


# zxcvbn's score (0 to 4): 3 and above resist an offline attack on a slow hash for a long time.
MIN_PASSWORD_SCORE = 3


def check_password_strength(password: str, email: str = "", name: str = "") -> None:
    """Refuse a password that is short, holds the person's email address (or the part before the @),
    or is common or easy to guess (zxcvbn, which knows the most common passwords, words, names,
    keyboard patterns, repeats and dates), each with a message that says what to do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Password must be {MIN_PASSWORD_LENGTH} characters or more")
    email = normalise_email(email)
    local_part = email.split("@", 1)[0]
    lowered = password.lower()
    if email and (email in lowered or (len(local_part) >= 3 and local_part in lowered)):
        raise AccountError("Password must not contain your email address or the part of it before the @")
    hints = [part for part in (local_part, *name.lower().split()) if len(part) >= 3]
    verdict = zxcvbn(password[:100], user_inputs=hints)
    if verdict["score"] < MIN_PASSWORD_SCORE:
        warning = verdict["feedback"]["warning"] or "It would be easy to guess."
        raise AccountError(f"Choose a password that is harder to guess. {warning.rstrip('.')}. "
                           "Three or four unrelated words work well.")


# -- users ------------------------------------------------------------------------------------


def user_by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = find_user(email)
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def record_sign_in(user: User, method: str = "password") -> None:
    """Note when ``user`` signed in, and how (``password``, ``password+totp``, ``password+recovery_code``).
    The write lock comes first: on SQLite a transaction that has read and then writes fails at once if
    another request wrote in between, as sign-ins do on a busy morning."""
    begin_writing(db.session)
    user.last_signed_in_at = utcnow()
    db.session.flush()
    record("people.sign_in.succeeded", object_type="user", object_id=user.id, user_id=user.id,
           new={"method": method})


def record_failed_sign_in(email: str, step: str = "password") -> None:
    """Add a failed sign-in to the audit trail. The account is named when it exists; an email address
    that matches no account is not kept (people type passwords into the email box)."""
    begin_writing(db.session)  # as in record_sign_in
    user = find_user(email)
    if user is None:
        reason = "unknown account"
    elif step != "password":
        reason = f"wrong {step}"
    elif not user.active:
        reason = "account disabled"
    else:
        reason = "wrong password"
    record("people.sign_in.failed", object_type="user", object_id=user.id if user else None, user_id=None,
           new={"reason": reason})


def record_sign_out(user: User) -> None:
    end_all_sessions(user)
    db.session.flush()
    record("people.sign_out.succeeded", object_type="user", object_id=user.id, user_id=user.id)


# -- two-step sign-in ---------------------------------------------------------------------------------

# Roles that must use an authenticator app as well as a password; the others may choose to.
MFA_REQUIRED_ROLES = (ADMIN, EVALUATOR)


def mfa_required(user: User) -> bool:
    return user.role in MFA_REQUIRED_ROLES


def enrol_mfa(user: User, secret: str, code: str) -> list[str]:
    """Turn on two-step sign-in with ``secret`` once ``code`` shows the app holds it; returns the new
    recovery codes (shown once)."""
    step = mfa.matching_step(secret, code, None)
    if step is None:
        raise AccountError("Enter the 6-digit code your authenticator app shows now")
    begin_writing(db.session)
    user.totp_secret, user.totp_last_step, user.mfa_enrolled_at = secret, step, utcnow()
    codes = _replace_recovery_codes(user)
    record("people.mfa.enrolled", object_type="user", object_id=user.id, user_id=user.id)
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = mfa.new_recovery_codes()
    db.session.add_all([RecoveryCode(user_id=user.id, code_hash=mfa.recovery_code_hash(code)) for code in codes])
    db.session.flush()
    return codes


def new_recovery_codes(user: User, code: str) -> list[str]:
    """Replace ``user``'s recovery codes (the old ones stop working) once ``code`` from their app is right."""
    if verify_second_step(user, code, allow_recovery=False) is None:
        raise AccountError("Enter the 6-digit code your authenticator app shows now")
    codes = _replace_recovery_codes(user)
    record("people.mfa.recovery_codes_replaced", object_type="user", object_id=user.id, user_id=user.id)
    return codes


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def verify_second_step(user: User, code: str, allow_recovery: bool = True) -> str | None:
    """``"totp"`` or ``"recovery_code"`` if ``code`` is a right code for ``user`` (a recovery code is used
    up), else None. A code from the app is accepted once only."""
    if not user.mfa_enrolled:
        return None
    begin_writing(db.session)
    # The last step accepted, as it stands under the write lock (SQLite) or the row's lock (PostgreSQL):
    # two requests racing with one code cannot both pass.
    db.session.refresh(user, with_for_update=not is_sqlite(db.session))
    step = mfa.matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        db.session.flush()
        return "totp"
    if not allow_recovery or not mfa.looks_like_recovery_code(code):
        return None
    used = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                                   RecoveryCode.code_hash == mfa.recovery_code_hash(code))
        .values(used_at=utcnow()))
    if used.rowcount != 1:
        return None
    record("people.mfa.recovery_code_used", object_type="user", object_id=user.id, user_id=user.id,
           new={"left": recovery_codes_left(user)})
    return "recovery_code"


def _clear_mfa(user: User) -> None:
    user.totp_secret = user.mfa_enrolled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_all_sessions(user)
    db.session.flush()


def reset_mfa(user: User) -> None:
    """An admin takes away ``user``'s authenticator app and recovery codes (a lost phone): their sessions
    end, and at their next sign-in they set up an app again (or, where it is optional, may)."""
    was = user.mfa_enrolled
    _clear_mfa(user)
    record("people.mfa.reset", object_type="user", object_id=user.id, old={"enrolled": was}, new={"enrolled": False})


def turn_off_mfa(user: User, code: str) -> None:
    """The person turns off their own two-step sign-in, where their role allows it."""
    if mfa_required(user):
        raise AccountError("Your role must use an authenticator app to sign in")
    if verify_second_step(user, code, allow_recovery=False) is None:
        raise AccountError("Enter the 6-digit code your authenticator app shows now")
    _clear_mfa(user)
    record("people.mfa.turned_off", object_type="user", object_id=user.id, user_id=user.id)


def _parse_session_id(session_id: str) -> tuple[int, int] | None:
    """``(user id, session version)`` from a session cookie's id ``"<id>:<version>"``."""
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except (ValueError, AttributeError):
        return None
    return user_id, version


def load_session_user(session_id: str) -> User | None:
    """The user for a session cookie's id ``"<id>:<version>"``, if that session is still current."""
    parsed = _parse_session_id(session_id)
    if parsed is None:
        return None
    user = db.session.get(User, parsed[0])
    if user is None or not user.active or user.session_version != parsed[1]:
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Every session of this user, on every device, stops working."""
    user.session_version += 1


def create_user(email: str, role: str, name: str = "", password: str | None = None) -> User:
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"Role must be one of {', '.join(ROLES)}")
    if find_user(email) is not None:
        raise AccountError("There is already an account with this email address")
    if password is not None:
        check_password_strength(password, email, name)
    user = User(email=email, role=role, name=name.strip() or email.split("@")[0],
                password_hash=hash_password(password) if password else None, active=True, session_version=1)
    db.session.add(user)
    db.session.flush()
    audit.record("people.user.created", object_type="user", object_id=user.id,
                 new={"email": user.email, "name": user.name, "role": role})
    return user


def update_user(user: User, name: str, role: str, active: bool) -> None:
    if role not in ROLES:
        raise AccountError(f"Role must be one of {', '.join(ROLES)}")
    if user.role != role or (user.active and not active):
        end_all_sessions(user)
    before = audit.values_of(user, ("name", "role", "active"))
    if user.active and not active:
        _use_up_invitations(user)
    user.name, user.role, user.active = name.strip(), role, active
    db.session.flush()
    _record_user_changes(user, before)


def _record_user_changes(user: User, before: dict) -> None:
    """A role change, a disabling (or enabling) and a new name are each an event of their own."""
    for names, event in ((("role",), "people.user.role_changed"), (("name",), "people.user.renamed")):
        audit.record_change(event, object_type="user", object_id=user.id, before={n: before[n] for n in names},
                            after=audit.values_of(user, names))
    if before["active"] != user.active:
        audit.record("people.user.enabled" if user.active else "people.user.disabled", object_type="user",
                     object_id=user.id, old={"active": before["active"]}, new={"active": user.active})


def set_password(user: User, password: str, how: str = "changed") -> None:
    """Give ``user`` a new password (``how``: ``changed`` by them, or ``set`` through an invitation);
    every session of theirs ends."""
    check_password_strength(password, user.email, user.name)
    begin_writing(db.session)  # as in record_sign_in
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    db.session.flush()
    record(f"people.password.{how}", object_type="user", object_id=user.id, user_id=user.id)


def search_users(query: str = "", role: str = "") -> list[User]:
    statement = select(User).order_by(User.email)
    if query:
        like = f"%{query.strip().lower()}%"
        statement = statement.where(or_(User.email.like(like), func.lower(User.name).like(like)))
    if role:
        statement = statement.where(User.role == role)
    return list(db.session.scalars(statement.limit(500)))


# -- invitations --------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _use_up_invitations(user: User) -> None:
    now = utcnow()
    for old in db.session.scalars(select(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None))):
        old.used_at = now


def invite(user: User, created_by: User | None, days: int = 7) -> str:
    """Make a one-time set-password token for ``user``; earlier unused ones stop working."""
    now = utcnow()
    _use_up_invitations(user)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(user_id=user.id, token_hash=_token_hash(token),
                            created_by_id=created_by.id if created_by else None, expires_at=now + timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    # The token itself is never recorded: the trail names the account and when the link expires.
    audit.record("people.invitation.created", object_type="user", object_id=user.id,
                 new={"email": user.email, "expires_at": invitation.expires_at})
    return token


def open_invitation(token: str) -> Invitation | None:
    """The unused, unexpired invitation for ``token``, or None."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token or "")))
    if invitation is None or invitation.used_at is not None or invitation.expires_at < utcnow():
        return None
    if not invitation.user.active:
        return None  # a disabled account's link stops working at once (disabling also uses it up)
    return invitation


def accept_invitation(token: str, password: str) -> User:
    invitation = open_invitation(token)
    if invitation is None:
        raise AccountError("This link has expired or has already been used. Ask an admin for a new one.")
    set_password(invitation.user, password, how="set")
    invitation.used_at = utcnow()
    db.session.flush()
    return invitation.user


# -- safe redirects -----------------------------------------------------------------------------


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site, otherwise ``fallback``."""
    if not target:
        return fallback
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


# -- schools and DSLs -------------------------------------------------------------------------


def search_schools(query: str = "", district: str = "", page: int = 1, per_page: int = 50):
    statement = select(School).order_by(School.name)
    if query:
        text = query.strip()
        like = f"%{text.lower()}%"
        condition = func.lower(School.name).like(like)
        if text.isdigit():
            condition = or_(condition, School.urn == int(text))
        statement = statement.where(condition)
    if district:
        statement = statement.where(School.district == district)
    return paginate(statement, page, per_page)


def districts() -> list[str]:
    return [d for d in db.session.scalars(select(School.district).distinct().order_by(School.district)) if d]


def search_dsls(query: str = "", school_id: int | None = None, district: str = "", page: int = 1, per_page: int = 50):
    statement = select(Dsl).join(Dsl.school).order_by(Dsl.name)
    if query:
        like = f"%{query.strip().lower()}%"
        statement = statement.where(or_(func.lower(Dsl.name).like(like), Dsl.email.like(like),
                                        func.lower(School.name).like(like)))
    if school_id:
        statement = statement.where(Dsl.school_id == school_id)
    if district:
        statement = statement.where(School.district == district)
    return paginate(statement, page, per_page)


def register_counts() -> tuple[int, int]:
    """Schools and DSLs on the register."""
    return (db.session.scalar(select(func.count()).select_from(School)),
            db.session.scalar(select(func.count()).select_from(Dsl)))


def school_register() -> list:
    """Every school on the register, in URN order: ``urn``, ``name``, ``district``, ``phase``, ``pupils``
    and ``fsm_percent`` (rows, one per school)."""
    return db.session.execute(select(School.urn, School.name, School.district, School.phase, School.pupils,
                                     School.fsm_percent).order_by(School.urn)).all()


def dsls_at_schools(urns) -> list:
    """The DSLs whose school's URN is among ``urns`` (a list, or a SELECT of URNs), by school name then
    name: rows of ``dsl_id``, ``name``, ``email``, ``role``, ``school_urn`` and ``school_name``."""
    return db.session.execute(
        select(Dsl.id.label("dsl_id"), Dsl.name, Dsl.email, Dsl.role, School.urn.label("school_urn"),
               School.name.label("school_name"))
        .join(Dsl.school).where(School.urn.in_(urns)).order_by(School.name, School.urn, Dsl.name, Dsl.id)).all()


def dsl_counts_at_schools(urns) -> dict[int, int]:
    """How many DSLs each school whose URN is among ``urns`` (a list, or a SELECT of URNs) has, by URN;
    schools without DSLs are left out."""
    rows = db.session.execute(select(School.urn, func.count(Dsl.id)).join(Dsl.school)
                              .where(School.urn.in_(urns)).group_by(School.urn)).all()
    return dict(rows)


def dsl_page_at_schools(urns, page: int = 1, per_page: int = 100):
    """A page of the DSLs (with their schools) whose school's URN is among ``urns``, as
    :func:`dsls_at_schools` orders them."""
    statement = (select(Dsl).join(Dsl.school).options(contains_eager(Dsl.school)).where(School.urn.in_(urns))
                 .order_by(School.name, School.urn, Dsl.name, Dsl.id))
    return paginate(statement, page, per_page)


def school_by_urn(urn: int) -> School | None:
    return db.session.scalar(select(School).where(School.urn == urn))


def save_school(school: School | None, *, urn: int, name: str, pupils: int, fsm_percent: float,
                phase: str | None, district: str | None) -> School:
    other = school_by_urn(urn)
    if other is not None and other is not school:
        raise AccountError("Another school already has this URN")
    created = school is None
    before = audit.values_of(school, SCHOOL_FIELDS)
    if school is None:
        school = School()
        db.session.add(school)
    school.urn, school.name, school.pupils = urn, name.strip(), pupils
    school.fsm_percent, school.phase = fsm_percent, phase or None
    school.district = (district or "").strip() or None
    db.session.flush()
    audit.record_change("people.school.created" if created else "people.school.updated", object_type="school",
                        object_id=school.id, before=before, after=audit.values_of(school, SCHOOL_FIELDS))
    return school


SCHOOL_FIELDS = ("urn", "name", "pupils", "fsm_percent", "phase", "district")
DSL_FIELDS = ("email", "name", "role", "school_id")


def dsl_by_email(email: str) -> Dsl | None:
    return db.session.scalar(select(Dsl).where(Dsl.email == normalise_email(email)))


def save_dsl(dsl: Dsl | None, *, email: str, name: str, school: School, role: str) -> Dsl:
    email = normalise_email(email)
    other = dsl_by_email(email)
    if other is not None and other is not dsl:
        raise AccountError("Another DSL on the register already has this email address")
    before = None if dsl is None else dsl.email
    values_before = audit.values_of(dsl, DSL_FIELDS)
    if dsl is None:
        dsl = Dsl()
        db.session.add(dsl)
    dsl.email, dsl.name, dsl.school, dsl.role = email, name.strip(), school, role
    db.session.flush()
    audit.record_change("people.dsl.created" if before is None else "people.dsl.updated", object_type="dsl",
                        object_id=dsl.id, before=values_before, after=audit.values_of(dsl, DSL_FIELDS))
    if before != email:
        # Records carrying the old or the new email now link differently; features that link
        # records to the register relink them in this transaction.
        register_changed([email] if before is None else [before, email])
    return dsl
