"""Browser tests: the real app served on loopback from a fresh demo database, driven by Debian's
chromium through Playwright, every page checked with axe-core for WCAG 2.2 AA.

Without chromium these tests are skipped with one line saying how to enable them; as root with
apt they install it first. CI sets RIGHT_SUPPORT_REQUIRE_BROWSER=1 so they can never be skipped.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.http import next_code
from people.demo import DEMO_TOTP_SECRET
from tests.support import flask_command, fresh_database, gunicorn_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DEMO_PASSWORD = "demo-county-password"
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


def _ensure_stylesheet() -> None:
    """Build the site's stylesheet when it is missing or older than its sources (it is not kept in
    git): without it every page loses its layout, and the width and contrast checks test nothing."""
    css, sources = ROOT / "static" / "css" / "app.css", list((ROOT / "static" / "scss").rglob("*.scss"))
    if css.exists() and all(css.stat().st_mtime >= source.stat().st_mtime for source in sources):
        return
    if not shutil.which("npm") or not (ROOT / "node_modules" / ".bin" / "sass").exists():
        pytest.fail("browser tests cannot run: static/css/app.css is missing or stale and sass is not installed (make css)")
    subprocess.run(["npm", "run", "--silent", "build:css"], cwd=ROOT, check=True)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app under gunicorn on loopback, with the demo county loaded. Yields its base URL."""
    _ensure_chromium()
    _ensure_stylesheet()
    tmp = tmp_path_factory.mktemp("live")
    with fresh_database(tmp, "browser") as database_url:
        # Production settings, but for one: the browser reaches the server over plain HTTP on
        # loopback, where a Secure cookie would not come back (in production TLS ends at the proxy).
        env = {**os.environ, "RIGHT_SUPPORT_ENV": "production", "SESSION_COOKIE_SECURE": "0",
               "DATABASE_URL": database_url, "SECRET_KEY": "browser-tests-" + "x" * 32, "COUNCIL_NAME": "Demo County Council"}
        # The commands need a public address too; the server's is its own (gunicorn_server sets it).
        flask_command({**env, "PUBLIC_URL": "http://127.0.0.1"}, "db", "upgrade")
        flask_command({**env, "PUBLIC_URL": "http://127.0.0.1"}, "demo")
        with gunicorn_server(env, tmp, workers=2) as (base, _):
            yield base


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
        sign_in_here(page, email, password)
        return page

    return go


def sign_in_here(page, email: str, password: str = DEMO_PASSWORD, totp_secret: str = DEMO_TOTP_SECRET) -> None:
    """Sign in through the /login form on ``page``, and with a code from the app where the account has
    one (the demo admin and evaluator do), setting one up first where the role needs one and has none."""
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    follow(page.get_by_role("button", name="Sign in"))
    if page.url.endswith("/login/set-up-app"):  # an admin or evaluator without an app sets one up
        page.get_by_text("I cannot scan the QR code").click()
        totp_secret = "".join(page.locator("#totp-secret").inner_text().split())
        page.get_by_role("textbox", name="Code from your authenticator app").fill(next_code(totp_secret))
        follow(page.get_by_role("button", name="Continue"))
        follow(page.get_by_role("link", name="I have saved my recovery codes"))
    if page.url.endswith("/login/code"):
        page.get_by_label("Code").fill(next_code(totp_secret))
        follow(page.get_by_role("button", name="Continue"))
    assert "/login" not in page.url, f"sign-in failed for {email}"


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
