"""Checks on what callers hand to the text check: a string, of a size a post can have."""

from __future__ import annotations

from safepost.core import InputError, TooLargeError

#: Far above any post (X allows 25,000 characters, a long Facebook post 63,206); a guard, not a limit.
MAX_TEXT_CHARS = 2_000_000


def checked_text(text: object, what: str = "The post text") -> str:
    """``text`` itself when it is a string of at most MAX_TEXT_CHARS; otherwise a clear error."""
    if not isinstance(text, str):
        raise InputError(f"{what} must be text, not {type(text).__name__}.")
    if len(text) > MAX_TEXT_CHARS:
        raise TooLargeError(f"{what} has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}.")
    return text
