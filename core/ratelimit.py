"""Throttling of the places where a secret is guessed: signing in, the second step of signing in,
setting a password through an invitation link, and changing a password.

Each is limited twice, by Flask-Limiter: per account (the email typed, the invitation, the person
half signed in) and per client (the address behind trusted proxies, as in the audit trail). Only
failures count, so people who get it right are never slowed down: a failure is an answer of 400 or
more, or a form shown again after it was posted (a success redirects). Once a limit is reached,
every attempt is refused until its window has passed (a temporary lockout), with the same message
whether or not the account exists.

Counts live in memory (each worker its own) unless RATELIMIT_STORAGE_URI names a shared store, such
as ``redis://127.0.0.1:6379/0``, which production with more than one worker or server should use.
"""

from __future__ import annotations

import hashlib

from flask import request, session

from core.extensions import limiter

# Failures allowed per account, then per client address (one school or office may share an address).
ACCOUNT_LIMITS = "5 per 5 minutes; 20 per hour"
CLIENT_LIMITS = "50 per 5 minutes; 200 per hour"


def failed(response) -> bool:
    """Whether an attempt failed: refused outright, or its form shown again with errors."""
    return response.status_code >= 400 or (request.method == "POST" and response.status_code == 200)


def _digest(text: str) -> str:
    # Keys never hold what was typed: a store's keys can be listed.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def typed_account() -> str:
    """The account a sign-in names: the email typed, as the app would look it up."""
    return "account:" + _digest((request.form.get("email") or "").strip().lower())


def pending_account() -> str:
    """The account half signed in (its password was right; its code is being asked for)."""
    pending = session.get("pending_sign_in") or {}
    return "pending:" + _digest(str(pending.get("id", "")))


def invitation_token() -> str:
    return "invitation:" + _digest((request.view_args or {}).get("token", ""))


def signed_in_account() -> str:
    return "session:" + _digest(str(session.get("_user_id", "")))


def throttled(account_key, methods=("POST",)):
    """Limit a view per account (``account_key``) and per client, counting failures only."""

    def decorate(view):
        view = limiter.limit(ACCOUNT_LIMITS, key_func=account_key, methods=list(methods), deduct_when=failed,
                             scope=lambda endpoint: f"{endpoint}:account")(view)
        view = limiter.limit(CLIENT_LIMITS, methods=list(methods), deduct_when=failed,
                             scope=lambda endpoint: f"{endpoint}:client")(view)
        return view

    return decorate


def minutes_to_wait(error) -> int:
    """The longest a refused person may have to wait: the window of the limit they reached."""
    try:
        seconds = error.limit.limit.get_expiry()
    except AttributeError:
        seconds = 300
    return max(1, round(seconds / 60))
