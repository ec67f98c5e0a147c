"""Browser tests: the real app served on loopback from a fresh demo database, driven by Debian's
chromium through Playwright, every page checked with axe-core for WCAG 2.2 AA.

Without chromium these tests are skipped with one line saying how to enable them; as root with
apt they install it first. CI sets RIGHT_SUPPORT_REQUIRE_BROWSER=1 so they can never be skipped.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DEMO_PASSWORD = "demo-password"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _ensure_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    required = os.environ.get("RIGHT_SUPPORT_REQUIRE_BROWSER") == "1"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if Path(CHROMIUM).exists():
            return
    message = "browser tests skipped: Debian's chromium is not at /usr/bin/chromium (run as root, or: sudo apt-get install chromium)"
    if required:
        pytest.fail(message.replace("skipped", "cannot run"))
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_database(tmp_path: Path):
    """A new empty database: a SQLite file, or a new PostgreSQL database beside TEST_DATABASE_URL's."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'browser.db'}", None
    import psycopg

    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'right_support'}_browser_{os.getpid()}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app under a real server on loopback, with the demo county loaded. Yields its base URL."""
    _ensure_chromium()
    tmp = tmp_path_factory.mktemp("live")
    database_url, drop = _fresh_database(tmp)
    env = {**os.environ, "RIGHT_SUPPORT_ENV": "development", "DATABASE_URL": database_url,
           "SECRET_KEY": "browser-tests", "COUNCIL_NAME": "Demo County Council"}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    log = open(tmp / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError((tmp / "server.log").read_text())
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start: " + (tmp / "server.log").read_text())
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        if drop:
            drop()


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def new_page(browser, live_server):
    """Open a fresh browser context (no cookies); closed at the end of the test."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in(new_page):
    """A page signed in through the /login form as ``email``."""

    def go(email, password=DEMO_PASSWORD):
        page = new_page()
        page.goto("/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        follow(page.get_by_role("button", name="Sign in"))
        assert "/login" not in page.url, f"sign-in failed for {email}"
        return page

    return go


def follow(locator) -> None:
    """Click a link or submit button and wait until the page it leads to has loaded.

    A bare click returns as soon as the click lands, before the next page arrives; reading or
    checking the page then races the navigation. Every click that leaves the page goes through here.
    """
    page = locator.page
    with page.expect_navigation(wait_until="load"):
        locator.click()


def axe_violations(page) -> list[dict]:
    """Run axe-core in the page for WCAG 2.2 A and AA; return its violations."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return result["violations"]


def describe(violations) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(node["target"]) for node in v["nodes"][:3]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
    return "\n".join(lines)


@pytest.fixture
def check_page():
    """Screenshot the page under ``name`` and assert axe-core finds no violations."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def check(page, name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        violations = axe_violations(page)
        assert not violations, f"{name} ({page.url}):\n{describe(violations)}"

    return check
