"""Talking to a server on loopback: gunicorn started with the project's settings, wrk, and a
visitor who signs in and posts forms as a browser does."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.harness import ROOT


def ensure_wrk() -> str | None:
    """wrk's path; installs Debian's package when running as root with apt, else None."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk")


def cpu_seconds(pid: int, children: bool = False) -> float:
    """CPU time (user and system) a process has used; with ``children``, also that of its children
    that have ended (a gunicorn master collects its recycled workers')."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15 if children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(master: int) -> float:
    """CPU time used so far by a gunicorn master and all its workers, live or recycled."""
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = cpu_seconds(master, children=True)
    for pid in workers:
        try:
            total += cpu_seconds(int(pid))
        except FileNotFoundError:  # recycled a moment ago: its time is now the master's
            pass
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app_spec: str, env: dict, workers: int = 4, cwd: Path = ROOT, error_log: str = "/dev/null"):
    """Serve ``app_spec`` under gunicorn on a free loopback port with the project's own settings
    (gunicorn.conf.py), no access log and errors to ``error_log``; yields the base URL and the
    master's process."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
         "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "--error-logfile", error_log, app_spec],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a busy machine can take a while to import the app
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{app_spec} did not start")
                time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # A worker caught mid-restart can miss the stop signal; the master would wait out its
            # graceful timeout. The measurements are taken, so end the whole group now.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# A browser sends the same User-Agent on every request, and the sign-in session is bound to it
# (Flask-Login's session protection): a client that changed it would see its session re-issued.
USER_AGENT = "right-support-visitor"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The key an authenticator app would be given, on the page that sets one up.
SECRET_ON_PAGE = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
_codes_used: dict[str, int] = {}


def next_code(secret: str) -> str:
    """A code for ``secret`` that the service has not seen yet: it accepts each 30-second step once, and
    the step after the current one (clock drift); a third sign-in within one step waits for the next."""
    import pyotp

    current = int(time.time() // 30)
    step = max(current, _codes_used.get(secret, current - 1) + 1)
    if step > current + 1:
        time.sleep((step - 1) * 30 - time.time() + 0.2)
    _codes_used[secret] = step
    return pyotp.TOTP(secret).at(step * 30)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Visitor:
    """One person's browser: its cookies, one User-Agent, and forms posted with the CSRF token of the
    page they are on. Redirects are not followed, so every answer can be checked as it comes."""

    def __init__(self, base: str, cookies: dict[str, str] | None = None, user_agent: str = USER_AGENT):
        parts = urlsplit(base)
        self.host, self.port, self.user_agent = parts.hostname, parts.port, user_agent
        self.cookies = dict(cookies or {})

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, fields: dict | None = None) -> Reply:
        headers = {"User-Agent": self.user_agent}
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        body = None
        if fields is not None:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)  # the server cleared it
        return reply

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def form_token(self, page: str) -> str:
        """The CSRF token in the form on ``page`` (tokens belong to this visitor's session)."""
        reply = self.get(page)
        found = CSRF_FIELD.search(reply.text)
        if reply.status != 200 or found is None:
            raise RuntimeError(f"{page} answered {reply.status} without a form")
        return found.group(1)

    def submit(self, page: str, action: str, fields: dict) -> Reply:
        """Fill in the form on ``page`` and post it to ``action``."""
        return self.request("POST", action, {"csrf_token": self.form_token(page), **fields})

    def sign_in(self, email: str, password: str, totp_secret: str | None = None) -> str | None:
        """Sign in through the /login form, and through its second step where the account has one: with a
        code made from ``totp_secret``, or, for an account that must set up an app and has none, by setting
        one up from the key on the page. Returns the account's TOTP secret (None without a second step)."""
        reply = self.submit("/login", "/login", {"email": email, "password": password})
        if reply.status != 302:
            raise RuntimeError(f"signing in as {email} answered {reply.status}")
        step = urlsplit(reply.headers["Location"]).path
        if step == "/login/set-up-app":
            totp_secret = "".join(SECRET_ON_PAGE.search(self.get(step).text).group(1).split())
        elif step != "/login/code":
            return None
        reply = self.submit(step, step, {"code": next_code(totp_secret)})
        if reply.status not in (200, 302) or "/login" in reply.headers.get("Location", ""):
            raise RuntimeError(f"the second step of signing in as {email} answered {reply.status}")
        return totp_secret
