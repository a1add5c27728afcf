"""Errors that name the input and say why, so a batch can report them in one line."""

from __future__ import annotations


class InputError(Exception):
    """An input could not be read or extracted. `str()` is the one-line report."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
