"""A trainer creates a session, a DSL books it, the trainer marks the register, and the DSL downloads
the certificate and the calendar file; every page passes axe-core."""

import io
import re
from datetime import timedelta
from pathlib import Path

from icalendar import Calendar
from playwright.sync_api import expect
from pypdf import PdfReader

from core.timefmt import today_london
from tests.browser.conftest import follow


def test_session_booking_register_certificate_and_calendar(sign_in, check_page):
    trainer = sign_in("trainer@demo.test")
    trainer.goto("/sessions/")
    check_page(trainer, "courses-trainer-sessions")
    follow(trainer.get_by_role("button", name="Create a session"))
    check_page(trainer, "courses-trainer-new-session")
    # Online is chosen: its joining link shows, the venue does not, until "In person" is chosen.
    expect(trainer.get_by_label("Joining link")).to_be_visible()
    expect(trainer.get_by_label("Venue")).to_be_hidden()
    trainer.get_by_label("In person").check()
    expect(trainer.get_by_label("Venue")).to_be_visible()
    expect(trainer.get_by_label("Joining link")).to_be_hidden()
    trainer.get_by_label("Online").check()
    day = today_london() + timedelta(days=5)
    trainer.get_by_label("Course").select_option(label="DSL refresher")
    trainer.get_by_label("Date of part 1", exact=True).fill(f"{day.day}/{day.month}/{day.year}")
    trainer.locator("#part1_start").fill("09:30")
    trainer.locator("#part1_end").fill("12:30")
    trainer.get_by_label("Joining link").fill("https://meet.example.org/browser-test")
    trainer.get_by_label("Places").fill("8")
    trainer.get_by_label("Session code (optional)").fill("browser")
    follow(trainer.get_by_role("button", name="Save session"))
    assert "has been saved" in trainer.content()
    session_id = re.search(r"/sessions/(\d+)$", trainer.url).group(1)
    check_page(trainer, "courses-trainer-session")

    dsl = sign_in("dsl@demo.test")
    dsl.goto("/my-training")
    check_page(dsl, "courses-dsl-my-training")
    follow(dsl.locator(f"form[action='/my-training/sessions/{session_id}/book'] button"))
    # The demo DSL already has a place on a refresher: she is asked before a second one.
    assert "You are already booked on DSL refresher" in dsl.content()
    check_page(dsl, "courses-dsl-second-booking")
    follow(dsl.get_by_role("button", name="Yes, book this one as well"))
    assert "You are booked on the DSL refresher" in dsl.content()
    check_page(dsl, "courses-dsl-booked")

    # The session has not happened yet: the register lists who is booked, with nothing to mark.
    trainer.goto(f"/sessions/{session_id}/register")
    assert "Attendance can be recorded once the session has started" in trainer.content()
    assert "Dana Lewis" in trainer.content()
    check_page(trainer, "courses-trainer-register-before")

    dsl.goto("/my-training")
    with dsl.expect_download() as download:
        dsl.locator("a[href$='.ics']").first.click()
    calendar = Calendar.from_ical(Path(download.value.path()).read_bytes())
    assert any(event["summary"] == "DSL refresher" and "Demo County Council" in event["description"]
               for event in calendar.walk("VEVENT"))

    # A past session: the trainer adds the DSL as a walk-in, then marks the register.
    trainer.goto("/sessions/?when=past")
    follow(trainer.locator("a", has_text="Register").first)
    title = trainer.locator(".govuk-caption-l").inner_text()
    trainer.get_by_label("Email address of someone who came without booking").fill("dsl@demo.test")
    follow(trainer.get_by_role("button", name="Add to the register"))
    assert "Dana Lewis has been added to the register as attended" in trainer.content()
    check_page(trainer, "courses-trainer-register")
    follow(trainer.get_by_role("button", name="Mark everyone attended"))
    assert "The register has been saved" in trainer.content()
    check_page(trainer, "courses-trainer-register-saved")

    dsl.goto("/my-training")
    certificate_link = dsl.get_by_role("link", name=f"Certificate for {title} (PDF)")
    with dsl.expect_download() as download:
        certificate_link.click()
    text = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages[0].extract_text()
    assert "Dana Lewis" in text and title.split(",")[0].split(" (")[0] in text


def test_training_clock_pages_pass_axe(sign_in, check_page):
    page = sign_in("admin@demo.test")
    for path, name in (("/training-clock?status=due", "clock-due"), ("/training-clock/schools", "clock-schools"),
                       ("/course-types/clock-settings", "clock-settings"), ("/course-types/new", "course-type-new")):
        page.goto(path)
        check_page(page, f"courses-admin-{name}")
    page = sign_in("trainer@demo.test")
    page.goto("/sessions/?when=past")
    check_page(page, "courses-trainer-past-sessions")
    follow(page.locator("a", has_text="Register").first)
    check_page(page, "courses-trainer-past-register")
