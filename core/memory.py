"""What a worker remembers for a few seconds instead of asking the database on every request."""

from __future__ import annotations

import time


class ShortMemory:
    """Values kept per worker until their seconds run out (``time.monotonic``), at most ``limit``
    of them: when full, everything is forgotten and the memory fills again from the database."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._values: dict = {}

    def get(self, key):
        """The value kept under ``key``, or None when there is none or its time has run out."""
        kept = self._values.get(key)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        return None

    def keep(self, key, value, seconds: float) -> None:
        if len(self._values) >= self.limit:
            self._values.clear()
        self._values[key] = (time.monotonic() + seconds, value)

    def forget(self, key=None) -> None:
        """Forget ``key``, or everything when no key is given."""
        if key is None:
            self._values.clear()
        else:
            self._values.pop(key, None)
