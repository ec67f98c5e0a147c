"""The application factory: a table of contents of named steps."""

import secrets
from pathlib import Path

from flask import Flask, g, send_from_directory, session
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.routing import IntegerConverter

from core.auth import public
from core.config import load_config
from core.database import LARGEST_INTEGER, configure_sqlite
from core.extensions import csrf, db, limiter, login_manager, mail, migrate

ROOT = Path(__file__).resolve().parent.parent
GOVUK_DIST = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"


def create_app(config: dict | None = None) -> Flask:
    """Make the Right Support app; ``config`` overrides settings (tests pass a mapping)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    configure_settings(app, config)
    register_extensions(app)
    configure_templates(app)
    configure_routing(app)
    register_features(app)
    register_error_handlers(app)
    configure_security_headers(app)
    configure_logging(app)
    purge_expired_uploads(app)
    return app


def configure_settings(app: Flask, overrides: dict | None) -> None:
    environ = None
    if overrides and overrides.get("TESTING"):
        # Tests run on production defaults, whatever the shell's environment says; a test that
        # needs another setting passes it in ``overrides`` and says why.
        # Its key and public address stand in for the ones production requires (overrides may replace them).
        environ = {"RIGHT_SUPPORT_ENV": "production", "SECRET_KEY": "tests-only-secret-" + "x" * 32,
                   "PUBLIC_URL": "http://localhost", "RATELIMIT_STORAGE_URI": "memory://"}
    app.config.update(load_config(app.instance_path, environ))
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "people.login"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "info"
    # Before anything reads who is signed in: a sign-in that has lasted too long has ended.
    from core import sessions

    sessions.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)


class StoredIdConverter(IntegerConverter):
    """``<int:...>`` in a route matches only ids a database INTEGER can hold; a larger number is a
    404 like any id that does not exist, never a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_INTEGER)
        super().__init__(map, *args, **kwargs)


def configure_routing(app: Flask) -> None:
    app.url_map.converters["int"] = StoredIdConverter


def configure_templates(app: Flask) -> None:
    from govuk_frontend_wtf.main import WTFormsHelpers

    from core import timefmt
    from core.navigation import navigation_for

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    app.jinja_env.filters["uk_date"] = timefmt.uk_date
    app.jinja_env.filters["uk_datetime"] = timefmt.uk_datetime
    app.jinja_env.filters["month_name"] = timefmt.month_name

    @app.context_processor
    def _layout():
        return {
            "council_name": app.config["COUNCIL_NAME"],
            "service_name": app.config["SERVICE_NAME"],
            "navigation_for": navigation_for,
            "csp_nonce": csp_nonce(),
        }

    @app.route("/assets/<path:filename>", endpoint="govuk_assets")
    @public
    def govuk_assets(filename):
        return send_from_directory(GOVUK_DIST / "assets", filename, max_age=86400)

    @app.route("/vendor/govuk-frontend.min.js", endpoint="govuk_script")
    @public
    def govuk_script():
        return send_from_directory(GOVUK_DIST, "govuk-frontend.min.js", max_age=86400)


def register_features(app: Flask) -> None:
    """Each feature package brings its blueprint, CLI commands and import kinds."""
    import cohorts
    import core.mail
    import core.pages
    import courses
    import infoline
    import materials
    import people
    import trials

    for feature in (core.pages, core.mail, people, courses, materials, cohorts, trials, infoline):
        feature.init_app(app)


def configure_logging(app: Flask) -> None:
    """Invitation and calendar-feed tokens never reach a log (see core/logs.py)."""
    from core.logs import redact_tokens_in_logs

    redact_tokens_in_logs(app)


def purge_expired_uploads(app: Flask) -> None:
    """Import files left unconfirmed past IMPORT_UPLOAD_HOURS are deleted when the app starts (and
    by ``flask imports purge``)."""
    from core.uploads import purge_expired

    purge_expired(app)


def register_error_handlers(app: Flask) -> None:
    from core.errors import init_app

    init_app(app)


# The Content-Security-Policy; pages that run the GOV.UK script carry a nonce for it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'{nonce}; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"))


def csp_nonce() -> str:
    """This response's script nonce, made when a page first renders (a download needs none)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


# Browsers reach production over HTTPS only, for a year, on this host and any below it.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def _private() -> bool:
    """Whether this answer must never be kept by a browser or a proxy: every answer to a signed-in
    person (every page and every export is made for them) and any answer while a sign-in is half done.
    The cookie is enough to tell: no database look-up for a stylesheet."""
    return bool(session.get("_user_id") or session.get("pending_sign_in"))


def configure_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        # One look at the headers a view set itself (a view's own value wins), then one append.
        present = {name.lower() for name, _ in response.headers}
        if "content-security-policy" not in present:
            nonce = g.get("csp_nonce")
            response.headers.add("Content-Security-Policy",
                                 CONTENT_SECURITY_POLICY.format(nonce=f" 'nonce-{nonce}'" if nonce else ""))
        response.headers.extend([(name, value) for name, value in SECURITY_HEADERS if name.lower() not in present])
        if app.config.get("HSTS"):
            response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
        if _private():
            # Personal pages and exports stay off shared computers' disks and out of proxies' caches.
            response.headers["Cache-Control"] = "no-store"
        return response
