"""Two-step sign-in with time-based one-time passwords (TOTP, RFC 6238): secrets, codes, the QR code an
authenticator app scans (drawn here, as SVG, never fetched), and single-use recovery codes. Pure: no
Flask, no database."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import time

import pyotp
import segno

# A code is accepted for the 30-second step it was made in and the step either side (phones' clocks drift).
DRIFT_STEPS = 1
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
# Recovery codes: 16 characters from 32 that cannot be mistaken for one another (80 bits), in 4 groups.
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SPACES = re.compile(r"[\s-]+")


def new_secret() -> str:
    """A new base32 secret (160 bits) for an authenticator app."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code for ``uri`` as an inline SVG element (no XML declaration), labelled for screen readers."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, scale=4, border=2,
                                    title="QR code for your authenticator app", svgclass="app-qr-code", lineclass=None)
    return buffer.getvalue().decode().replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def clean_code(text: str) -> str:
    """What someone typed, without spaces or dashes, upper case."""
    return _SPACES.sub("", text or "").upper()


def matching_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The time step ``code`` was made for, if it is right for ``secret`` now (give or take a step)
    and later than ``last_step`` (a code is never accepted twice); otherwise None."""
    code = clean_code(code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Fresh recovery codes, shown to the person once, like ``ABCD-EFGH-JKMN-PQRS``."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    return codes


def looks_like_recovery_code(text: str) -> bool:
    return len(clean_code(text)) == 16


def recovery_code_hash(code: str) -> str:
    """What is stored for a recovery code: SHA-256 of it without dashes or spaces, upper case (80 random
    bits make a slow hash unnecessary)."""
    return hashlib.sha256(clean_code(code).encode()).hexdigest()
