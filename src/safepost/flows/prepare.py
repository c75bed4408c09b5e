"""`safepost prepare` (P5): the sanitised bundle, a second reviewer for High, a publication record.

The prepared bundle is built in memory (anonymised media, cleaned metadata, rewritten text, a
post.yaml with a safe publication time, a review.yaml that keeps only consented faces) and checked
again: whatever that check still finds is covered too, a bounded number of times (flows/recheck.py).
It is written only if the result passes; then the publication is recorded and audited. The only
refusals left are decisions a person must take.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from safepost.anonymize.rewrite import merge_placeholders
from safepost.core import Finding, OutputError, PostBlockedError
from safepost.core.report import AnalysedMedia, MediaRegion, PostReport
from safepost.decide.consent import ConsentUse
from safepost.decide.media import DROPPABLE, FACE_KINDS
from safepost.decide.policy import Policy
from safepost.decide.text import apply_edits, text_lang
from safepost.flows.post import ISO, Analysis, analyse_post
from safepost.flows.post_media import MediaAnalyser
from safepost.flows.post_render import coverage, masked_photo, previews
from safepost.flows.recheck import MAX_RECHECKS, MaskAwareAnalyser, cover, covered_finding, leaks
from safepost.media.memfile import MemoryFile
from safepost.media.staging import staging_folder
from safepost.post.bundle import Post, dump_yaml
from safepost.post.review import Drop, Keep, Review
from safepost.post.schema import SourceKind

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

    @property
    def covered(self) -> list[str]:
        """What the checks of the masked copies found and `prepare` covered, in plain words."""
        return [f.title for f in self.after.findings if f.kind == "covered_on_recheck"]

    def to_dict(self) -> dict:
        return {
            "level_before": self.before.level,
            "covered": self.covered,
            "level_after": self.after.level,
            "approved_by": self.approved_by,
            "files": {name: hashlib.sha256(data).hexdigest() for name, data in self.files.items()},
            "publication_ids": self.publication_ids,
            "vault_ids": self.vault_ids,
            "after": self.after.to_dict(),
        }


def mask_video(source: Path | MemoryFile, target: MemoryFile, kept: list[str], manual: list[dict], audio: str) -> None:
    """The prepared copy of one video, written into ``target`` in memory: every face track but ``kept``
    masked, and ``manual`` boxes."""
    from safepost.decide.regions import ManualEdits
    from safepost.flows.media import redact_video

    # NO PHOTO tags and name tags are searched too: a NO PHOTO wearer can never be kept, and a
    # readable name would identify a masked face.
    redact_video(
        source,
        target,
        keep_tracks=kept,
        audio=audio,
        edits=ManualEdits(regions=manual),
        find_tags=True,
        redact_text="names",
    )


def _mask_video(item: AnalysedMedia, name: str, analyser: MediaAnalyser | None = None) -> bytes:
    # a short or faint track cannot be kept (safepost tracks does not offer it): it stays masked
    listed = {t.id for t in item.tracks.tracks if item.tracks.listed(t)} if item.tracks is not None else set()
    kept = [r.id for r in item.report.regions if r.kind == "track" and r.decision == "keep" and r.id in listed]
    manual = [
        {"x": r.box[0], "y": r.box[1], "width": r.box[2] - r.box[0], "height": r.box[3] - r.box[1]}
        for r in item.report.regions
        if r.kind == "manual"
    ]
    audio = "disguise" if item.report.audio else "keep"
    render = analyser.render_video if analyser is not None else mask_video
    target = MemoryFile(name)
    render(item.path, target, kept, manual, audio)
    if not target.data:
        raise OutputError(f"{name}: the prepared video was not written; nothing was kept")
    return target.data


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
        if r.kind in FACE_KINDS and r.decision == "keep" and r.person_id
    ]


def _drops(analysis: Analysis, names: dict[str, str]) -> list[Drop]:
    """The reviewer's "not a face" decisions, by box, so that the check of the bundle respects them."""
    return [
        Drop(media=names[m.report.name], box=r.box)
        for m in analysis.media
        for r in m.report.regions
        if r.kind in DROPPABLE and r.decision == "keep" and not r.person_id
    ]


def build_bundle(
    post: Post,
    analysis: Analysis,
    staging: Path,
    review: Review | None = None,
    rendered: dict[str, bytes] | None = None,
    analyser: MediaAnalyser | None = None,
) -> Post:
    """Write the sanitised photos into ``staging`` and return the prepared post (not yet checked); the
    videos are rendered and held in memory.

    ``rendered`` holds media already made (by bundle name): they are reused as they are.
    ``analyser`` renders the videos (``MediaAnalyser.render_video``; the web app's in a child process).
    """
    meta = post.meta
    third_party = meta.source.kind == SourceKind.THIRD_PARTY
    names = {m.report.name: _output_name(m) for m in analysis.media}
    if len(set(names.values())) != len(names):
        raise OutputError("two media files would get the same name in the prepared bundle; rename one")
    media: dict[str, bytes] = {}
    for item in analysis.media:
        target = names[item.report.name]
        if rendered and target in rendered:
            media[target] = rendered[target]
            if item.report.kind == "image":  # a video is checked from memory
                (staging / target).write_bytes(media[target])
        elif item.report.kind == "image":
            media[target] = masked_photo(item, third_party)
            (staging / target).write_bytes(media[target])
        else:  # rendered in memory, and checked from there (never a file on disk)
            media[target] = _mask_video(item, target, analyser)
    publish_at = meta.publish_at
    if analysis.report.safe_after and any(f.kind == "live_posting" for f in analysis.report.findings):
        publish_at = datetime.strptime(analysis.report.safe_after, ISO).replace(tzinfo=UTC)
    new_meta = meta.model_copy(
        update={"text": None, "text_file": TEXT_FILE, "media": list(names.values()), "publish_at": publish_at}
    )
    text = merge_placeholders(apply_edits(post.text, analysis.text.edits), text_lang(meta))
    review = Review(
        keep=_keeps(analysis, names),
        drop=_drops(analysis, names),
        names=[link for link in (review or post.review).names if link.person_id is None],
    )
    return Post(meta=new_meta, text=text, media=media, review=review, ref=str(staging))


@dataclass
class Converged:
    """The prepared bundle, the check of its final state, and what the checks of it found and covered."""

    post: Post
    analysis: Analysis
    covered: dict[str, list[MediaRegion]] = field(default_factory=dict)  # by bundle media name

    def findings(self) -> list[Finding]:
        return [covered_finding(name, found) for name, found in self.covered.items() if found]


def converge(post: Post, analysis: Analysis, staging: Path, review, ws, policy: Policy, analyser) -> Converged:
    """Render, check the result, cover what the check still finds, at most MAX_RECHECKS times; what
    the last check finds is covered too, and that check stands for the bundle.

    Photos: a leak is added to the original's regions (same size, same coordinates) and the photo
    rendered again from the original pixels. Videos are checked once: their leaks are tracks of the
    masked copy, masked on it in one more pass. ``analysis`` gains the regions found.
    """
    by_target = {_output_name(m): m for m in analysis.media}
    recheck = analyser.fresh()
    result = Converged(post, analysis)
    reuse: dict[str, AnalysedMedia] = {}
    rendered: dict[str, bytes] = {}
    check = partial(_render_and_check, post, analysis, staging, review, ws, policy, recheck, reuse, rendered, analyser)
    for _ in range(MAX_RECHECKS):
        result.post, result.analysis = check()
        found = {m.report.name: (m, leaks(m, analysis.third_party)) for m in result.analysis.media}
        reuse |= {m.report.name: m for m in result.analysis.media if m.tracks is not None}
        if not any(regions for _, regions in found.values()):
            return result
        for target, (item, regions) in found.items():
            if regions and item.tracks is not None:
                rendered[target] = _cover_tracks(target, rendered[target], reuse[target], regions)
            elif regions:
                _add(by_target[target], regions, len(result.covered.get(target, [])))
            result.covered.setdefault(target, []).extend(regions)
    # the last check still found something: it is covered now, and that check stands for the bundle
    reuse |= {m.report.name: m for m in result.analysis.media}
    result.post, result.analysis = check()
    return result


def _render_and_check(
    post, analysis, staging, review, ws, policy, recheck, reuse, rendered, analyser=None
) -> tuple[Post, Analysis]:
    """One round: the bundle from the originals and every region so far, and its check."""
    prepared = build_bundle(post, analysis, staging, review, rendered, analyser)
    masks = {_output_name(m): coverage(m, analysis.third_party) for m in analysis.media if m.rgb is not None}
    originals = {_output_name(m): m.path for m in analysis.media if m.rgb is None}
    rendered |= {_output_name(m): prepared.media[_output_name(m)] for m in analysis.media if m.rgb is None}
    checked = analyse_post(prepared, ws, policy=policy, analyser=MaskAwareAnalyser(recheck, masks, originals, reuse))
    return prepared, checked


def _add(item: AnalysedMedia, regions: list[MediaRegion], start: int) -> None:
    """Add regions found on the masked copy to the original's (same size, same coordinates): masked."""
    for n, region in enumerate(regions, start=start + 1):
        found = MediaRegion(f"c{n}", region.kind, list(region.box), region.score, nophoto=region.nophoto)
        found.text, found.reason = region.text, "found on the masked copy"
        item.report.regions.append(found)


def _cover_tracks(name: str, data: bytes, item: AnalysedMedia, regions: list[MediaRegion]) -> bytes:
    """Mask the tracks found on a masked video (``data``) on that video itself, in memory; ``item``
    (its check) marks them covered."""
    from safepost.flows.media import mask_tracks

    ids = {r.id for r in regions}
    done = MemoryFile(name)
    mask_tracks(MemoryFile(name, data), done, item.tracks, ids)
    if not done.data:
        raise OutputError(f"{name}: the covered video was not written; nothing was kept")
    for region in item.report.regions:
        if region.id in ids:
            cover(region, "found on the masked copy and covered")
    return done.data


def plain(f: Finding) -> str:
    """A finding as a refusal says it: what, where, what to do; no region ids (the user never sees them)."""
    title = f.title
    if f.region:
        title = title.replace(f"Face {f.region}", "A face").replace(f" {f.region}", "")
    where = "the text" if f.where == "text" else f.where
    return f"{title} (in {where}). {f.fix}"


def _refuse(reason: str, findings: list[Finding]) -> None:
    if findings:
        raise PostBlockedError(f"{reason}: " + " ".join(f"({n}) {plain(f)}" for n, f in enumerate(findings, 1)))


def _check_approval(after: PostReport, approve_by: str | None, policy: Policy) -> None:
    _refuse("prepare covered and cleaned everything it could; what is left needs your decision", after.blocking)
    if after.level != "high":
        return
    if not approve_by:
        raise PostBlockedError(
            "The prepared post is rated High risk: a second reviewer must look at it and approve it. "
            "Give their name (--approve-by NAME) and prepare it again."
        )
    if policy.high_approvers and approve_by not in policy.high_approvers:
        raise PostBlockedError(
            f"{approve_by} may not approve High posts under the organisation's policy; ask one of: "
            f"{', '.join(policy.high_approvers)} (policy.yaml high_approvers)."
        )


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
    _refuse("This post needs a decision that prepare cannot take for you", analysis.report.needs_decision)
    before = copy.deepcopy(analysis.report)  # what the check found; analysis gains what the re-checks find
    # Staged beside the output (or in the workspace folder), never in the machine-wide temp folder;
    # a killed prepare's staging folder is removed by the next one there (safepost.media.staging).
    stage_parent = Path(output).expanduser().absolute().parent if output is not None else Path(ws.path)
    with staging_folder(stage_parent) as staging:
        done = converge(post, analysis, staging, review, ws, policy, analyser)
        prepared, after_analysis = done.post, done.analysis
        after = after_analysis.report
        after.findings += done.findings()
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
    result = PrepareResult(before=before, after=after, files=files, approved_by=approve_by)
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
    title = post_title(result.files.get(TEXT_FILE, b"").decode("utf-8", "replace"))
    with ws.transaction() as conn:
        for platform in meta.platforms:
            cur = conn.execute(
                "INSERT INTO publications (post_ref, platform, audience, url, event_id, published_at, title)"
                " VALUES (?, ?, ?, NULL, ?, ?, ?)",
                (post.ref, platform, meta.audience.value, meta.event, published_at, title),
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


def post_title(text: str, limit: int = 60) -> str:
    """The first words of the sanitised post text, to recognise it in a takedown list."""
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    line = " ".join(line.split())
    return line if len(line) <= limit else line[: limit - 1].rsplit(" ", 1)[0] + "…"


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
    try:
        with staging_folder(parent) as stage:
            bundle = stage / "bundle"
            bundle.mkdir(mode=0o700)
            for name, data in result.files.items():
                with open(bundle / name, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            if out.exists():
                out.rmdir()
            os.replace(bundle, out)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return out
