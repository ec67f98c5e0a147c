"""A trainer creates a session, a DSL books it, the trainer marks the register, and the DSL downloads
the certificate and the calendar file; every page passes axe-core."""

import io
import re
from datetime import timedelta
from pathlib import Path

from icalendar import Calendar
from pypdf import PdfReader

from core.timefmt import today_london
from tests.browser.conftest import follow


def test_session_booking_register_certificate_and_calendar(sign_in, check_page):
    trainer = sign_in("trainer@demo.test")
    trainer.goto("/sessions/")
    check_page(trainer, "courses-trainer-sessions")
    follow(trainer.get_by_role("button", name="Create a session"))
    check_page(trainer, "courses-trainer-new-session")
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
    assert "You are booked on the DSL refresher" in dsl.content()
    check_page(dsl, "courses-dsl-booked")

    trainer.goto(f"/sessions/{session_id}/register")
    check_page(trainer, "courses-trainer-register")
    trainer.get_by_role("group", name="Attendance of Dana Lewis").get_by_label("Attended").check()
    follow(trainer.get_by_role("button", name="Save the register"))
    assert "The register has been saved (1 change)" in trainer.content()
    check_page(trainer, "courses-trainer-register-saved")

    dsl.goto("/my-training")
    with dsl.expect_download() as download:
        dsl.locator("a[href$='.ics']").first.click()
    calendar = Calendar.from_ical(Path(download.value.path()).read_bytes())
    assert any(event["summary"] == "DSL refresher" for event in calendar.walk("VEVENT"))
    certificate_link = dsl.get_by_role("link", name=re.compile(f"Certificate for DSL refresher \\(browser\\), {day.day} "))
    with dsl.expect_download() as download:
        certificate_link.click()
    text = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages[0].extract_text()
    assert "Dana Lewis" in text and "DSL refresher" in text


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
