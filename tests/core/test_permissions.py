"""The permission matrix: every route and method, for every role, against one declared policy.

Each package declares its routes in ``tests/<package>/policy.py``. A route that no policy lists
fails the test, so a new page cannot ship without someone deciding who may use it.
"""

import importlib
from pathlib import Path

import pytest

ROLES = ("dsl", "trainer", "evaluator", "admin", "infoline")
IGNORED_METHODS = {"HEAD", "OPTIONS"}
STAND_IN = {"int": 999999, "string": "no-such-thing", "path": "no-such-thing.txt", "default": "no-such-thing"}


def declared_policy() -> dict:
    policy = {}
    tests_root = Path(__file__).resolve().parents[1]
    for package in sorted(p.name for p in tests_root.iterdir() if (p / "policy.py").exists()):
        module = importlib.import_module(f"tests.{package}.policy")
        overlap = set(policy) & set(module.POLICY)
        assert not overlap, f"routes declared twice: {overlap}"
        policy.update(module.POLICY)
    return policy


def routes(app):
    """Every (rule, method); signing out comes last so it cannot end the walk early."""
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "people.logout", r.endpoint, r.rule))
    for rule in rules:
        for method in sorted(rule.methods - IGNORED_METHODS):
            yield rule, method


def url_for_rule(rule) -> str:
    values = {}
    for name in rule.arguments:
        # The converter's kind, or the kind it is made from (the app's int converter is an IntegerConverter).
        kinds = [{"integer": "int", "unicode": "string"}.get(kind, kind) for kind in
                 (cls.__name__.replace("Converter", "").lower() for cls in type(rule._converters[name]).__mro__)]
        values[name] = next((STAND_IN[kind] for kind in kinds if kind in STAND_IN), "no-such-thing")
    return rule.build(values, append_unknown=False)[1]


def test_every_route_is_in_the_policy(app):
    policy = declared_policy()
    missing = sorted(f"{rule.endpoint} {method}" for rule, method in routes(app)
                     if method not in policy.get(rule.endpoint, {}))
    assert not missing, "routes without a declared policy: " + ", ".join(missing)
    stale = sorted(endpoint for endpoint in policy if endpoint not in app.view_functions)
    assert not stale, f"policy lists routes that do not exist: {stale}"


def policy_breach(role, allowed, status: int, location: str) -> str | None:
    """What is wrong with answering ``role`` with ``status`` (and ``location``) on a route that
    ``allowed`` (a set of roles, or "public"); None when the answer is right."""
    if status >= 500:
        return f"answered {status}"
    if allowed == "public":
        return f"is public but answered {status} {location}" if status == 403 or "/login?next" in location else None
    if role is None:
        return None if status == 302 and "/login" in location else f"anonymous should be sent to sign in, got {status}"
    if role in allowed:
        return f"{role} is allowed but got {status}" if status == 403 or "/login" in location else None
    return None if status == 403 else f"{role} should get 403, got {status}"


@pytest.mark.parametrize("role", (None,) + ROLES, ids=lambda r: r or "anonymous")
def test_each_role_gets_exactly_what_the_policy_allows(app, client, login_as, role):
    policy = declared_policy()
    if role:
        login_as(role)
    failures = []
    for rule, method in routes(app):
        allowed = policy.get(rule.endpoint, {}).get(method)
        if allowed is None:
            continue
        url = url_for_rule(rule)
        response = client.open(url, method=method, data={})
        breach = policy_breach(role, allowed, response.status_code, response.headers.get("Location", ""))
        response.close()
        if breach:
            failures.append(f"{method} {url}: {breach}")
    assert not failures, "\n".join(failures)
