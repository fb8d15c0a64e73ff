"""User-facing errors: what is wrong, where, and how to fix it."""

from __future__ import annotations


class GeoError(Exception):
    """An error a user can act on; the UI and the CLI show its message, never a traceback.

    Parameters
    ----------
    message
        What is wrong, naming the thing (file, feature, field) and the bad value.
    hint
        How to fix it, in one sentence.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class InputError(GeoError):
    """The input file or value cannot be used at all (not JSON, too large, wrong format)."""


class StoreError(GeoError):
    """The store refused an operation; nothing stored was changed."""
