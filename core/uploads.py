"""Import files waiting for confirmation: kept in UPLOAD_FOLDER, readable by the service's own
account only (files 0600 in a folder 0700), and deleted once confirmed, once a confirmation fails,
and when they expire (IMPORT_UPLOAD_HOURS; ``flask imports purge``, also run when the app starts)."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

TOKEN_ALPHABET = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def upload_folder(app=None) -> Path:
    folder = Path((app or current_app).config["UPLOAD_FOLDER"])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file only the service's account can read (0600 whatever the umask)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def store(meta: dict, data: bytes) -> str:
    """Keep an uploaded file and what it is; returns the token that names it."""
    folder = upload_folder()
    token = secrets.token_urlsafe(16)
    _write_private(folder / f"{token}.bin", data)
    _write_private(folder / f"{token}.json", json.dumps(meta).encode())
    return token


def load(token: str) -> tuple[dict, bytes] | None:
    """The upload kept under ``token`` (its meta and bytes), or None when there is none (or it expired)."""
    if not token or len(token) > 64 or not set(token) <= TOKEN_ALPHABET:
        return None
    folder = upload_folder()
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.bin"
    if not meta_path.exists() or not data_path.exists() or _expired(meta_path, _cutoff()):
        return None
    return json.loads(meta_path.read_text()), data_path.read_bytes()


def discard(token: str) -> None:
    if not token or not set(token) <= TOKEN_ALPHABET:
        return
    folder = upload_folder()
    for suffix in (".bin", ".json"):
        (folder / f"{token}{suffix}").unlink(missing_ok=True)


def _cutoff(app=None) -> float:
    return time.time() - (app or current_app).config["IMPORT_UPLOAD_HOURS"] * 3600


def _expired(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return True


def purge_expired(app=None) -> int:
    """Delete every upload older than IMPORT_UPLOAD_HOURS; returns how many files went."""
    folder = upload_folder(app)
    cutoff = _cutoff(app)
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and _expired(path, cutoff):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


@click.group("imports", help="Import files waiting for confirmation.")
def imports_group():
    pass


@imports_group.command("purge")
@with_appcontext
def purge_command():
    """Delete uploaded import files that were never confirmed and have expired."""
    click.echo(f"Deleted {purge_expired()} expired upload file(s).")
