"""The post check: new-post, check, prepare."""

from __future__ import annotations

from safepost.cli import main  # noqa: F401
