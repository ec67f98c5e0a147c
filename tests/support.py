"""Helpers the tests share: a fresh database of their own, a real server on loopback (and which of its
workers answered what), and a counter of the SQL statements a piece of work runs.

Nothing here is a fixture; fixtures in the conftest files and tests call these.
"""

from __future__ import annotations

import contextlib
import html
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def fresh_database(folder: Path, label: str):
    """A new, empty database for the duration: a SQLite file in ``folder``, or a new PostgreSQL
    database beside TEST_DATABASE_URL's when the suite runs on PostgreSQL. Yields its URL."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{folder / f'{label}.db'}"
        return
    import psycopg

    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'right_support'}_{label}_{os.getpid()}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))

    def drop():
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        drop()


def flask_command(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run ``flask --app wsgi ARGS`` in the repository with ``env``; raise with its output if it fails."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def wait_for_http(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    """Wait until ``url`` answers; fail with the server's log if it stops or never answers. A server
    answers within a few seconds on a quiet machine; on a busy 2-core one, importing the statistics
    and PDF libraries alone has taken 20 s, so the wait is long and a dead server fails at once."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("the server stopped:\n" + log.read_text())
            time.sleep(0.1)
    raise RuntimeError("the server did not answer:\n" + log.read_text())


@contextlib.contextmanager
def gunicorn_server(env: dict, folder: Path, workers: int = 2, extra: tuple[str, ...] = ()):
    """The app under gunicorn (with the project's gunicorn.conf.py) on a free loopback port, with
    ``env`` as its environment. Yields ``(base_url, process)``; stops it afterwards."""
    port = free_port()
    log_path = folder / f"gunicorn-{port}.log"
    # Production needs its public address: unless the test names one, it is this server's own.
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers),
           "PUBLIC_URL": env.get("PUBLIC_URL") or f"http://127.0.0.1:{port}"}
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *extra, "wsgi:app"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(base + "/healthz", process, log_path)
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# The authenticator-app key of test accounts made enrolled (``make_user(..., **enrolled())``).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrolled(secret: str = TOTP_SECRET) -> dict:
    """Fields of an account that has set up an authenticator app with ``secret``."""
    from core.timefmt import utcnow

    return {"totp_secret": secret, "mfa_enrolled_at": utcnow()}


def next_code(secret: str = TOTP_SECRET, steps_ahead: int = 0) -> str:
    """The code an app holding ``secret`` shows now (or ``steps_ahead`` 30-second steps later: the service
    accepts the next step too, for clocks that drift, but each step once only)."""
    import time

    import pyotp

    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def _csrf_token(page: str) -> str:
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                      r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token, "the form has no CSRF token"
    return html.unescape(token.group(1) or token.group(2))


def signed_in_opener(base: str, email: str, password: str, totp_secret: str | None = None) -> urllib.request.OpenerDirector:
    """A URL opener that keeps cookies, signed in through the real /login form (its CSRF token
    included), as a browser would be, and through its second step: with a code made from
    ``totp_secret``, or by setting up an app from the key on the page where the role needs one and
    none is set up. Raises if the sign-in does not take."""
    from bench.http import SECRET_ON_PAGE, next_code

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(base + "/login") as response:
        page = response.read().decode()
    form = {"email": email, "password": password, "csrf_token": _csrf_token(page)}
    with opener.open(base + "/login", data=urllib.parse.urlencode(form).encode()) as response:
        landed, page = response.geturl(), response.read().decode()
    step = urllib.parse.urlsplit(landed).path
    if step in ("/login/set-up-app", "/login/code"):
        if step == "/login/set-up-app":
            totp_secret = "".join(SECRET_ON_PAGE.search(page).group(1).split())
        form = {"code": next_code(totp_secret), "csrf_token": _csrf_token(page)}
        with opener.open(landed, data=urllib.parse.urlencode(form).encode()) as response:
            landed, page = response.geturl(), response.read().decode()
        assert "recovery code" in page or "/login" not in urllib.parse.urlsplit(landed).path, page
        return opener
    assert "/login" not in step, f"sign-in failed for {email}"
    return opener


# An access log that names the worker (process id) behind each answer: pass as gunicorn_server's extra.
WORKER_LOG = ("--access-logformat", "%(p)s %(m)s %(U)s %(q)s %(s)s")


def server_log(folder: Path, base: str) -> Path:
    """The log gunicorn_server writes for the server at ``base``."""
    return folder / f"gunicorn-{urlsplit(base).port}.log"


def workers_that_answered(log: Path, tag: str) -> dict[str, set[str]]:
    """Worker process id -> the statuses it answered to requests whose query string holds ``tag``
    (read from a WORKER_LOG access log)."""
    answered: dict[str, set[str]] = {}
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0].startswith("<") and tag in parts[3]:
            answered.setdefault(parts[0], set()).add(parts[4])
    return answered


def until_every_worker_answers(log: Path, tag: str, workers: int, send, batch: int = 40, most: int = 400) -> list:
    """Call ``send(n)`` for n = 0, 1, 2 ... eight at a time, in batches, until each of the server's
    ``workers`` has answered a request whose query string holds ``tag`` (``send`` must put it there);
    returns every answer. Which worker takes a connection is up to the kernel, so a fixed number of
    requests could miss one."""
    from concurrent.futures import ThreadPoolExecutor

    replies: list = []
    with ThreadPoolExecutor(8) as pool:
        while len(replies) < most:
            replies.extend(pool.map(send, range(len(replies), len(replies) + batch)))
            if len(workers_that_answered(log, tag)) >= workers:
                return replies
    raise AssertionError(f"{most} requests tagged {tag} did not reach all {workers} workers")


def worker_pids(master: int) -> list[int]:
    """The process ids of a gunicorn master's workers."""
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def production_env(database_url: str, secret: str = "a-secret-for-a-test-server-of-32-or-more") -> dict:
    """The environment of a real server: production settings, a secret key, this database (its public
    address is the server's own: gunicorn_server sets it)."""
    return {**os.environ, "RIGHT_SUPPORT_ENV": "production", "SECRET_KEY": secret, "DATABASE_URL": database_url}


def prepare_site(database_url: str, accounts: dict[str, str], password: str) -> dict[str, int]:
    """Build the schema of an empty database by migration, publish the poster, and make ``accounts``
    (email -> role) that sign in with ``password``; a DSL's account comes with their place on the
    register. Returns each account's user id."""
    from flask_migrate import upgrade

    from core.app import create_app
    from core.extensions import db
    from materials import services as materials
    from materials.content import POSTER
    from people.models import Dsl, School
    from people.services import create_user

    app = create_app({"TESTING": True, "SECRET_KEY": "prepare", "SQLALCHEMY_DATABASE_URI": database_url})
    try:
        with app.app_context():
            upgrade()
            school = School(urn=100001, name="Prepared Primary School", pupils=300, fsm_percent=12.5)
            db.session.add_all([school] + [Dsl(email=email, name=email.split("@")[0], school=school)
                                           for email, role in accounts.items() if role == "dsl"])
            users = {email: create_user(email, role, password=password) for email, role in accounts.items()}
            poster = next(m for m in materials.ensure_materials() if m.kind == POSTER)
            materials.publish_draft(poster, "Demo County Council")
            db.session.commit()
            return {email: user.id for email, user in users.items()}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@dataclass
class ServedSite:
    url: str  # the database
    base: str  # the server
    master: subprocess.Popen  # gunicorn's master process
    log: Path  # its access log (WORKER_LOG format)
    ids: dict[str, int]  # user id of each account


@contextlib.contextmanager
def served_site(folder: Path, label: str, accounts: dict[str, str], password: str, workers: int = 4):
    """A fresh database made ready by prepare_site, served by gunicorn with ``workers`` workers in
    production settings, its access log naming the worker behind each answer. Yields a ServedSite."""
    with fresh_database(folder, label) as url:
        ids = prepare_site(url, accounts, password)
        with gunicorn_server(production_env(url), folder, workers, extra=WORKER_LOG) as (base, master):
            yield ServedSite(url, base, master, server_log(folder, base), ids)


class StatementCounter:
    """The SQL statements an engine runs while the counter is open: ``with StatementCounter(engine)
    as seen: ...``, then ``len(seen)`` or ``seen.statements`` (each ``(sql, parameters)``)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, object]] = []

    def _listen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append((statement, parameters))

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._listen)

    def __len__(self) -> int:
        return len(self.statements)

    def clear(self) -> None:
        self.statements.clear()
