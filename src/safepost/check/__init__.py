"""The post check (P1-P6, M3): analyse a post, decide with the registry and the policy, rate it,
and prepare a sanitised bundle. docs/post-check.md explains every rule.

    report = check_post(load_post("my-post"), ws)          # level, findings, fixes
    result = prepare_post(load_post("my-post"), ws)        # sanitised files + publication record
"""

from safepost.check.pipeline import Analysis, analyse_post, check_post
from safepost.check.prepare import PrepareResult, prepare_post, write_bundle
from safepost.core import Finding
from safepost.core.report import LEVEL_EXIT, MediaRegion, MediaReport, PersonRisk, PostReport
from safepost.post.review import Review

__all__ = [
    "LEVEL_EXIT",
    "Analysis",
    "MediaRegion",
    "MediaReport",
    "PersonRisk",
    "Finding",
    "PostReport",
    "PrepareResult",
    "Review",
    "analyse_post",
    "check_post",
    "prepare_post",
    "write_bundle",
]
