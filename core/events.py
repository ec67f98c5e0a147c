"""Things one feature announces and others act on, inside the same transaction.

A feature lower in the chain (people) must not import the features that build on it (cohorts),
yet they need to know when it changes something they depend on. The lower feature announces
the change here; a feature that cares subscribes in its ``init_app``. Handlers run at once, in
the announcer's transaction: they flush, never commit, so the change and its consequences are
written together or not at all.
"""

from collections.abc import Callable, Iterable

from flask import current_app

# The DSL register changed for these emails (each trimmed and lower-case): a DSL was added, an
# email was changed (the old and the new are both given) or a DSL was removed.
# Handlers are called as ``handler(emails=frozenset)``.
REGISTER_CHANGED = "register-changed"

_KEY = "right_support_events"


def subscribe(app, event: str, handler: Callable[..., None]) -> None:
    """Call ``handler(**details)`` whenever ``event`` is announced in ``app``."""
    app.extensions.setdefault(_KEY, {}).setdefault(event, []).append(handler)


def announce(event: str, **details) -> None:
    """Run every handler subscribed to ``event``, in the order they subscribed."""
    for handler in current_app.extensions.get(_KEY, {}).get(event, ()):
        handler(**details)


def register_changed(emails: Iterable[str]) -> None:
    """Announce that the register changed for ``emails`` (blank ones are left out; nothing is
    announced when none is left)."""
    cleaned = frozenset(e.strip().lower() for e in emails if e and e.strip())
    if cleaned:
        announce(REGISTER_CHANGED, emails=cleaned)
