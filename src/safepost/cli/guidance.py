"""Guidance: assess, exposure, guide, kit."""

from __future__ import annotations

from safepost.cli import main  # noqa: F401
