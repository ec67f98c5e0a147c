"""The service's own version and the versions of the libraries its figures depend on. Pure."""

from __future__ import annotations

import platform
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# The libraries an outcome report's estimates and tables are computed with, in the order a
# methods section lists them.
ANALYSIS_LIBRARIES = ("statsmodels", "scipy", "pandas", "numpy")


@cache
def app_version() -> str:
    """The version in pyproject.toml."""
    with PYPROJECT.open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def software_versions() -> list[tuple[str, str]]:
    """("Python", "3.11.7") and each analysis library with the version installed."""
    versions = [("Python", platform.python_version())]
    for name in ANALYSIS_LIBRARIES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "not installed"))
    return versions
