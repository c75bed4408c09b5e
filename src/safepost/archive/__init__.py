"""The account archive audit's stages (A1): what a person's past posts, photos and messages reveal.

The flow that runs them is ``safepost.flows.archive`` (``audit_archive``):

    from safepost.flows.archive import AuditOptions, audit_archive
    from safepost.archive import write_report
    report = audit_archive("twitter-2024.zip", workspace=ws)      # ws optional (no registry, no resume)
    write_report(report, "audit.html")                             # or .json / .csv

Layers: ``source`` (zip or folder, read in memory within limits) -> ``formats`` (one reader per
platform layout, picked by content) -> ``analyse`` (text phase, then media phase) -> ``decide.scoring``
(points, levels, what to do) -> ``summary`` -> ``render``. Progress is saved encrypted in the
workspace (``state``) so an interrupted audit resumes. docs/archive.md has the details.
"""

from safepost.archive.affiliation import AffiliationConfig, load_affiliations
from safepost.archive.formats import READERS, pick_reader, supported_text
from safepost.archive.render import render, write_report
from safepost.archive.report import AuditOptions, AuditReport
from safepost.archive.source import Limits, open_source

__all__ = [
    "READERS",
    "AffiliationConfig",
    "AuditOptions",
    "AuditReport",
    "Limits",
    "load_affiliations",
    "open_source",
    "pick_reader",
    "render",
    "supported_text",
    "write_report",
]
