"""`safepost prepare` (P5): the sanitised bundle, a second reviewer for High, a publication record.

The prepared bundle is built in memory (anonymised media, cleaned metadata, rewritten text, a
post.yaml with a safe publication time, a review.yaml that keeps only consented faces), checked
again, and written only if that check passes; then the publication is recorded and audited.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from safepost.check.decide import DROPPABLE, ConsentUse
from safepost.check.media import AnalysedMedia, MediaAnalyser
from safepost.check.model import PostReport
from safepost.check.pipeline import ISO, Analysis, analyse_post
from safepost.check.render import masked_photo, previews
from safepost.check.text import apply_edits
from safepost.core import OutputError, PostBlockedError
from safepost.post.bundle import Post, dump_yaml
from safepost.post.review import Drop, Keep, Review
from safepost.post.schema import SourceKind
from safepost.risk.policy import Policy

TEXT_FILE = "post.txt"


@dataclass
class PrepareResult:
    """What `prepare` made: the reports before and after, the files of the bundle, what it recorded."""

    before: PostReport
    after: PostReport
    files: dict[str, bytes] = field(default_factory=dict)
    approved_by: str | None = None
    publication_ids: list[int] = field(default_factory=list)
    vault_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "level_before": self.before.level,
            "level_after": self.after.level,
            "approved_by": self.approved_by,
            "files": {name: hashlib.sha256(data).hexdigest() for name, data in self.files.items()},
            "publication_ids": self.publication_ids,
            "vault_ids": self.vault_ids,
            "after": self.after.to_dict(),
        }


def _mask_video(item: AnalysedMedia, staging: Path, name: str) -> None:
    from safepost.api import redact_video
    from safepost.regions import ManualEdits

    kept = [r.id for r in item.report.regions if r.kind == "track" and r.decision == "keep"]
    manual = [
        {"x": r.box[0], "y": r.box[1], "width": r.box[2] - r.box[0], "height": r.box[3] - r.box[1]}
        for r in item.report.regions
        if r.kind == "manual"
    ]
    audio = "disguise" if item.report.audio else "keep"
    # NO PHOTO tags and name tags are searched too: a NO PHOTO wearer can never be kept, and a
    # readable name would identify a masked face.
    redact_video(
        item.path,
        staging / name,
        keep_tracks=kept,
        audio=audio,
        edits=ManualEdits(regions=manual),
        find_tags=True,
        redact_text="names",
    )


def _output_name(item: AnalysedMedia) -> str:
    stem = Path(item.report.name).stem
    if item.report.kind == "video":
        return f"{stem}.mp4"
    return f"{stem}.png" if item.format == "PNG" else f"{stem}.jpg"


def _keeps(analysis: Analysis, names: dict[str, str]) -> list[Keep]:
    return [
        Keep(media=names[m.report.name], box=r.box, person_id=r.person_id)
        for m in analysis.media
        for r in m.report.regions
        if r.kind in ("face", "track") and r.decision == "keep" and r.person_id
    ]


def _drops(analysis: Analysis, names: dict[str, str]) -> list[Drop]:
    """The reviewer's drops, by box, so that the check of the prepared bundle leaves them too."""
    return [
        Drop(media=names[m.report.name], box=r.box)
        for m in analysis.media
        for r in m.report.regions
        if r.kind in DROPPABLE and r.decision == "keep" and not r.person_id
    ]


def build_bundle(post: Post, analysis: Analysis, staging: Path, review: Review | None = None) -> Post:
    """Write the sanitised media into ``staging`` and return the prepared post (not yet checked)."""
    meta = post.meta
    third_party = meta.source.kind == SourceKind.THIRD_PARTY
    names = {m.report.name: _output_name(m) for m in analysis.media}
    if len(set(names.values())) != len(names):
        raise OutputError("two media files would get the same name in the prepared bundle; rename one")
    media: dict[str, bytes] = {}
    for item in analysis.media:
        target = names[item.report.name]
        if item.report.kind == "image":
            media[target] = masked_photo(item, third_party)
            (staging / target).write_bytes(media[target])
        else:
            _mask_video(item, staging, target)
            media[target] = (staging / target).read_bytes()
    publish_at = meta.publish_at
    if analysis.report.safe_after and any(f.kind == "live_posting" for f in analysis.report.findings):
        publish_at = datetime.strptime(analysis.report.safe_after, ISO).replace(tzinfo=UTC)
    new_meta = meta.model_copy(
        update={"text": None, "text_file": TEXT_FILE, "media": list(names.values()), "publish_at": publish_at}
    )
    text = apply_edits(post.text, analysis.text.edits)
    review = Review(
        keep=_keeps(analysis, names),
        drop=_drops(analysis, names),
        names=[link for link in (review or post.review).names if link.person_id is None],
    )
    return Post(meta=new_meta, text=text, media=media, review=review, ref=str(staging))


def _check_approval(after: PostReport, approve_by: str | None, policy: Policy) -> None:
    if after.level == "blocked":
        problems = "; ".join(f.title for f in after.blocking)
        raise PostBlockedError(f"the post is still Blocked after every automatic fix: {problems}")
    if after.level != "high":
        return
    if not approve_by:
        raise PostBlockedError("the prepared post is rated High: a second reviewer must approve it (--approve-by NAME)")
    if policy.high_approvers and approve_by not in policy.high_approvers:
        raise PostBlockedError(f"{approve_by} may not approve High posts (policy.yaml high_approvers)")


def prepare_post(
    post: Post,
    ws,
    *,
    policy: Policy | None = None,
    review: Review | None = None,
    approve_by: str | None = None,
    at=None,
    detector=None,
    output: str | os.PathLike[str] | None = None,
    analyser: MediaAnalyser | None = None,
) -> PrepareResult:
    """Make the post safe, check it again, record it. Raises PostBlockedError when it cannot be made safe.

    With ``output`` the bundle is written there (:func:`write_bundle`) before anything is recorded,
    so a failed write never leaves a publication record behind.
    """
    from safepost.report import render_report

    policy = policy or Policy()
    analyser = analyser or MediaAnalyser(detector)
    analysis = analyse_post(post, ws, policy=policy, review=review, at=at, analyser=analyser)
    unfixable = [f for f in analysis.report.blocking if not f.fixed_by_prepare]
    if unfixable:
        raise PostBlockedError(
            "prepare cannot fix this post by itself: " + "; ".join(f"{f.title} ({f.fix})" for f in unfixable)
        )
    with tempfile.TemporaryDirectory(prefix="safepost-prepare-") as tmp:
        staging = Path(tmp)
        prepared = build_bundle(post, analysis, staging, review)
        after_analysis = analyse_post(prepared, ws, policy=policy, analyser=analyser)
        after = after_analysis.report
        _check_approval(after, approve_by, policy)
        files = dict(prepared.media)
        files[TEXT_FILE] = prepared.text.encode()
        files["post.yaml"] = dump_yaml(prepared.meta)
        files["review.yaml"] = dump_yaml(prepared.review)
        before_pictures, _ = previews(analysis, after=False)
        after_pictures, _ = previews(after_analysis, after=False)
        for fmt in ("json", "md", "html"):
            rendered = render_report(after, fmt, before=before_pictures, after=after_pictures)
            files[f"report.{fmt}"] = rendered.encode()
    result = PrepareResult(before=analysis.report, after=after, files=files, approved_by=approve_by)
    if output is not None:
        write_bundle(result, output)
    _record(ws, post, prepared.meta, analysis.used, result)
    return result


def _record(ws, post: Post, meta, used: list[ConsentUse], result: PrepareResult) -> None:
    """Vault the third-party originals, write the publication record and the audit entry."""
    if post.meta.source.kind == SourceKind.THIRD_PARTY:
        source = post.meta.source.model_dump(mode="json")
        for name in post.meta.media:
            data = post.media[name]
            provenance = {"post": post.ref, "file": name, "sha256": hashlib.sha256(data).hexdigest(), "source": source}
            result.vault_ids.append(ws.vault.put(data, kind="third-party-original", name=name, provenance=provenance))
    by_person: dict[str, tuple[set[str], int | None]] = {}
    for use in used:
        uses, consent = by_person.get(use.person_id, (set(), None))
        uses.add(use.use)
        by_person[use.person_id] = (uses, consent or (use.consent_ids[0] if use.consent_ids else None))
    published_at = result.after.publish_at
    with ws.transaction() as conn:
        for platform in meta.platforms:
            cur = conn.execute(
                "INSERT INTO publications (post_ref, platform, audience, url, event_id, published_at)"
                " VALUES (?, ?, ?, NULL, ?, ?)",
                (post.ref, platform, meta.audience.value, meta.event, published_at),
            )
            pub_id = cur.lastrowid
            result.publication_ids.append(pub_id)
            for person_id, (uses, consent_id) in sorted(by_person.items()):
                conn.execute(
                    "INSERT INTO publication_people (publication_id, person_id, consent_id, uses) VALUES (?, ?, ?, ?)",
                    (pub_id, person_id, consent_id, _json_list(sorted(uses))),
                )
        ws.audit(
            conn,
            "post.prepare",
            {
                "post": post.ref,
                "level_before": result.before.level,
                "level_after": result.after.level,
                "approved_by": result.approved_by,
                "publications": result.publication_ids,
                "consents": sorted({c for u in used for c in u.consent_ids}),
                "vault": result.vault_ids,
                "files": {n: hashlib.sha256(d).hexdigest() for n, d in result.files.items()},
            },
        )


def _json_list(values: list[str]) -> str:
    return json.dumps(values)


def write_bundle(result: PrepareResult, out_dir: str | os.PathLike[str]) -> Path:
    """Write the prepared bundle to ``out_dir`` all at once: a complete folder or nothing."""
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"{out} already exists and is not empty; choose a new folder")
    parent = out.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {out}: the folder {parent} does not exist")
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=parent))
    try:
        for name, data in result.files.items():
            with open(staging / name, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return out
