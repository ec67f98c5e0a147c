"""Development without a mail server: each message is written to a folder as an .eml file, which any
mail program opens, and the admin's development mail page lists."""

from __future__ import annotations

from pathlib import Path

from flask_mailman.backends.base import BaseEmailBackend

from core.timefmt import utcnow


class EmailBackend(BaseEmailBackend):
    def __init__(self, folder: str, **kwargs):
        super().__init__(**kwargs)
        self.folder = Path(folder)

    def send_messages(self, email_messages) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        for email in email_messages:
            number = email.extra_headers.get("X-Right-Support-Message", "0")
            name = f"{utcnow():%Y%m%d-%H%M%S}-{int(number):08d}.eml"
            (self.folder / name).write_bytes(email.message().as_bytes())
        return len(email_messages)
