"""Roles and the decorators that guard every route on the server."""

from functools import wraps

from flask import abort
from flask_login import current_user

ADMIN = "admin"
TRAINER = "trainer"
EVALUATOR = "evaluator"
DSL = "dsl"
INFOLINE = "infoline"
ROLES = (ADMIN, TRAINER, EVALUATOR, DSL, INFOLINE)
ROLE_LABELS = {ADMIN: "Admin", TRAINER: "Trainer", EVALUATOR: "Evaluator", DSL: "DSL", INFOLINE: "Infoline adviser"}



def roles_required(*roles: str):
    """Let through only signed-in users whose role is one of ``roles``.

    Anonymous users are sent to sign in; signed-in users with another role get 403.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                from core.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def signed_in(view):
    """Let through any signed-in user, whatever the role."""
    return roles_required(*ROLES)(view)


def public(view):
    """Say, where the view is defined, that it is open to everyone on purpose. It changes nothing at
    run time: who may use each route is checked by tests/core/test_permissions.py against the
    policies in tests/<package>/policy.py."""
    return view
