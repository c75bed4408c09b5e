"""The review of a checked post, as the web app's review screen asks it: which regions a reviewer
may keep visible or drop, and whether a face may stay visible. The answers are the check's own rules
(``check.decide``: ``FACE_KINDS``, ``drop_refusal``, ``may_keep``), so the screen never promises a keep
that the re-check then refuses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from safepost.core import InputError
from safepost.decide.consent import keep_use, may_keep
from safepost.decide.media import FACE_KINDS, drop_refusal


def is_face(kind: str) -> bool:
    """Whether a region of this kind is a face (the only regions a reviewer can keep visible)."""
    return kind in FACE_KINDS


def keepable(report: Any) -> dict[str, set[str]]:
    """Ids of the regions of each media file a reviewer may ask to keep visible (faces, not NO PHOTO)."""
    return {m.name: {r.id for r in m.regions if r.kind in FACE_KINDS and not r.nophoto} for m in report.media}


def droppable(report: Any) -> dict[str, set[str]]:
    """Ids of the regions of each media file that a reviewer may drop as not a face."""
    return {m.name: {r.id for r in m.regions if not drop_refusal(r, m.regions)} for m in report.media}


def may_keep_face(
    ws: Any, meta: dict, person_id: str, media_kind: str, block_minors: bool, nophoto: bool
) -> tuple[bool, str]:
    """May ``person_id``'s face stay visible in a ``media_kind`` ("image" or "video") of the post
    described by ``meta`` (post.yaml as data)? (allowed, reason), under the policy's minors rule."""
    from pydantic import ValidationError

    from safepost.post import PostMeta

    try:
        post = PostMeta.model_validate(meta)
    except ValidationError as exc:
        raise InputError(f"The post's details are not valid: {exc.errors()[0]['msg']}") from None
    at = (post.publish_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with ws.read() as conn:
        allowed, reason, _ = may_keep(conn, person_id, keep_use(media_kind), post, at, block_minors, nophoto)
    return allowed, reason
