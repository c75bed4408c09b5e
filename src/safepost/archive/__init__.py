"""Audit an account archive (A1): what a person's past posts, photos and messages reveal.

    from safepost.archive import AuditOptions, audit_archive, write_report
    report = audit_archive("twitter-2024.zip", workspace=ws)      # ws optional (no registry, no resume)
    write_report(report, "audit.html")                             # or .json / .csv

Layers: ``source`` (zip or folder, read in memory within limits) -> ``formats`` (one reader per
platform layout, picked by content) -> ``analyse`` (text phase, then media phase) -> ``scoring``
(points, levels, what to do) -> ``summary`` -> ``render``. Progress is saved encrypted in the
workspace (``state``) so an interrupted audit resumes. docs/archive.md has the details.
"""

from safepost.archive.affiliation import AffiliationConfig, load_affiliations
from safepost.archive.audit import AuditOptions, AuditReport, audit_archive, forget_progress
from safepost.archive.formats import READERS, pick_reader, supported_text
from safepost.archive.render import render, write_report
from safepost.archive.source import Limits, open_source

__all__ = [
    "READERS",
    "AffiliationConfig",
    "AuditOptions",
    "AuditReport",
    "Limits",
    "audit_archive",
    "forget_progress",
    "load_affiliations",
    "open_source",
    "pick_reader",
    "render",
    "supported_text",
    "write_report",
]
