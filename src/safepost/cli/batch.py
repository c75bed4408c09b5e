"""Batch runs over folders, local or on Dask."""

from __future__ import annotations

from safepost.cli import main  # noqa: F401
