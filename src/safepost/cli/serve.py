"""The local web app."""

from __future__ import annotations

from safepost.cli import main  # noqa: F401
