"""What a post's photos and videos become (M3): the review's keep / drop / add applied to their regions,
and what the media still reveal as findings. A face stays visible only when a reviewer links it to a
person whose consent covers this use (``decide.consent.may_keep``); everything else is masked.
"""

from __future__ import annotations

import yaml

from safepost.core import Finding, Region, severity_of
from safepost.core.report import AnalysedMedia
from safepost.decide.consent import ConsentUse, keep_use, may_keep
from safepost.post.review import Box, Review
from safepost.post.schema import PostMeta
from safepost.words import Phrase

#: Regions that are a person's face (a photo's face, a video's face track): only these can be kept.
FACE_KINDS = frozenset({"face", "track"})
#: Detections a reviewer may drop as false positives. NO PHOTO tags and heads are never dropped.
DROPPABLE = FACE_KINDS | {"text"}
#: Regions that protect a NO PHOTO wearer: nothing that overlaps one may be dropped.
NOPHOTO_KINDS = {"nophoto_tag", "nophoto_head", "nophoto_area", "unread_tag"}


def _overlap(a: list[int], b: list[int]) -> float:
    """Intersection over the smaller box: 1.0 when a detection lies inside a reviewer's looser box."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / smaller if smaller > 0 else 0.0


def _iou(a: list[int], b: list[int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union > 0 else 0.0


def find_region(regions: list[Region], item: Box, kinds: set[str]) -> Region | None:
    """The region a review entry points at: by id, else the one its box covers best (at least 60%).

    Ties (a small box inside a large one both lie fully under the entry's box) go to the closest
    match, so the exact box of a small false face never picks the real face around it.
    """
    candidates = [r for r in regions if r.kind in kinds]
    if item.region is not None:
        return next((r for r in candidates if r.id == item.region), None)
    best = max(candidates, key=lambda r: (_overlap(r.box, item.box), _iou(r.box, item.box)), default=None)
    return best if best is not None and _overlap(best.box, item.box) >= 0.6 else None


def drop_refusal(region: Region, regions: list[Region]) -> str:
    """Why a reviewer may not drop ``region`` ("" when they may): NO PHOTO always wins."""
    if region.kind not in DROPPABLE:
        return "only faces and text can be dropped"
    if region.nophoto:
        return "it belongs to a NO PHOTO wearer"
    if any(r.kind in NOPHOTO_KINDS and _overlap(r.box, region.box) > 0 for r in regions):
        return "it overlaps a NO PHOTO tag or wearer"
    return ""


def drop_line(media: str, region: Region) -> str:
    """The ``review.yaml`` entry that drops ``region`` (by box: ids can change between runs)."""
    entry = {"media": media, "box": [int(v) for v in region.box]}
    return yaml.safe_dump(entry, default_flow_style=True, sort_keys=False, width=1000).strip()


def decide_media(
    conn, media: list[AnalysedMedia], review: Review, meta: PostMeta, at: str, block_minors: bool
) -> tuple[list[Finding], list[ConsentUse]]:
    """Apply the review to every region: keep consented faces, drop false positives, add manual regions."""
    findings: list[Finding] = []
    used: list[ConsentUse] = []
    by_name = {m.report.name: m.report for m in media}
    for item in review.drop:
        report = by_name[item.media]
        region = find_region(report.regions, item, DROPPABLE)
        refusal = drop_refusal(region, report.regions) if region is not None else ""
        if region is None:
            findings.append(_review_problem(item.media, f"no detection {item.region or item.box} to drop"))
        elif refusal:
            findings.append(_review_problem(item.media, f"{region.id} stays masked: {refusal}"))
        else:
            region.decision, region.reason = "keep", "dropped by the reviewer as not a face"
    for item in review.keep:
        report = by_name[item.media]
        region = find_region(report.regions, item, FACE_KINDS)
        if region is None:
            findings.append(_review_problem(item.media, f"no face {item.region or item.box} to keep"))
            continue
        use = keep_use(report.kind)
        allowed, reason, ids = may_keep(conn, item.person_id, use, meta, at, block_minors, region.nophoto)
        if allowed:
            region.decision, region.person, region.reason = "keep", item.person_id, reason
            used.append(ConsentUse(item.person_id, use, ids))
        else:
            region.reason = f"not kept: {reason}"
            findings.append(
                Finding(
                    "keep_refused",
                    "medium",
                    Phrase("Face {region} cannot be shown: {reason}", region=region.id, reason=reason),
                    Phrase(
                        "A face is shown only when the person's consent covers this platform, audience, "
                        "purpose and date."
                    ),
                    Phrase(
                        "Record the missing consent in the registry and check again; until then prepare masks the face."
                    ),
                    where=item.media,
                    box=region.box,
                    region=region.id,
                    person_id=item.person_id,
                )
            )
    for n, item in enumerate(review.add, start=1):
        report = by_name[item.media]
        if item.box is None:
            findings.append(_review_problem(item.media, "an added region needs a box"))
            continue
        report.regions.append(Region.of_box(f"m{n}", "manual", list(item.box), reason=item.label))
    return findings, used


def _review_problem(media: str, message: str) -> Finding:
    return Finding(
        "review_problem",
        "low",
        Phrase("Review: {message}", message=message),
        Phrase("A reviewer decision could not be applied, so the safer default stands."),
        Phrase("Correct the review (region ids are in the report; `safepost check --format json`)."),
        where=media,
    )


def media_findings(media: list[AnalysedMedia], third_party: bool) -> list[Finding]:
    """What the media reveal as they are now, each with the fix `prepare` applies."""
    out: list[Finding] = []
    for m in media:
        r = m.report
        for region in r.regions:
            out.extend(_region_findings(r, region))
        for text in r.texts:
            if not text.get("masked") and text.get("kind") in ("sign", "plate_like", "other"):
                out.append(_text_finding(r.name, text, third_party))
        for meta in r.metadata:
            out.append(_metadata_finding(r.name, meta))
        if r.audio:
            out.append(
                Finding(
                    "voice",
                    "medium",
                    Phrase("The video has sound: voices identify people"),
                    Phrase("A voice can be recognised by people who know the speaker, and by voice-matching tools."),
                    Phrase("prepare disguises the audio; use `safepost redact --audio drop` to remove it entirely."),
                    where=r.name,
                    fixed_by_prepare=True,
                )
            )
    return out


def _unsure_finding(r, region: Region) -> list[Finding]:
    """An unsure face the reviewer may drop (it stays masked until they do: fail closed)."""
    if not region.unsure or region.decision != "mask" or drop_refusal(region, r.regions):
        return []
    return [
        Finding(
            "unsure_face",
            "info",
            Phrase("Unsure: {region} may not be a face — drop it if it is not", region=region.id),
            Phrase("The detector is not sure this is a face. It stays masked unless you drop it."),
            Phrase(
                "If it is not a face, add `- {line}` under `drop:` in review.yaml (in the web app: press Not a face).",
                line=drop_line(r.name, region),
            ),
            where=r.name,
            box=region.box,
            region=region.id,
        )
    ]


def _region_findings(r, region: Region) -> list[Finding]:
    return _mask_findings(r, region) + _unsure_finding(r, region)


def _mask_findings(r, region: Region) -> list[Finding]:
    if region.kind in FACE_KINDS and region.decision == "mask":
        if region.nophoto:
            return [
                Finding(
                    "nophoto_visible",
                    "high",
                    Phrase("Face {region} wears a NO PHOTO tag", region=region.id),
                    Phrase("This person asked not to be photographed; showing them breaks that promise."),
                    Phrase("prepare masks this face and the tag."),
                    where=r.name,
                    box=region.box,
                    region=region.id,
                    blocks=True,
                    fixed_by_prepare=True,
                )
            ]
        return [
            Finding(
                "face_without_consent",
                "high",
                Phrase("Face {region} is recognisable and nobody's consent is linked to it", region=region.id),
                Phrase("A recognisable face without consent can get a person identified, followed or arrested."),
                Phrase(
                    "prepare masks it. To show it, keep it for the person in the review, "
                    "if their consent covers this use."
                ),
                where=r.name,
                box=region.box,
                region=region.id,
                blocks=True,
                fixed_by_prepare=True,
            )
        ]
    if region.kind in ("nophoto_tag", "nophoto_area", "unread_tag"):
        title = {
            "nophoto_tag": Phrase("NO PHOTO tag"),
            "nophoto_area": Phrase("NO PHOTO tag with nobody found above it"),
            "unread_tag": Phrase("A tag we could not read: check it (it may say NO PHOTO)"),
        }[region.kind]
        return [
            Finding(
                "nophoto_tag",
                "high",
                title,
                Phrase("The wearer asked not to be photographed, and a tag may carry their name."),
                Phrase("prepare masks the tag and the area of the wearer's head."),
                where=r.name,
                box=region.box,
                region=region.id,
                blocks=True,
                fixed_by_prepare=True,
            )
        ]
    if region.kind == "text" and region.decision == "mask":
        return [
            Finding(
                "readable_name",
                "high",
                Phrase("Readable name in the picture: '{text}'", text=region.text),
                Phrase("A name tag or a written name identifies a person even when their face is masked."),
                Phrase("prepare masks this text."),
                where=r.name,
                box=region.box,
                region=region.id,
                fixed_by_prepare=True,
            )
        ]
    return []


WATERMARK_HINTS = ("@", "tiktok", "instagram", "youtube", "x.com", "twitter", "facebook", "telegram", "t.me/")


def is_watermark(text: str) -> bool:
    """A watermark or username (of third-party material): it points to the person who filmed it."""
    return any(h in text.lower() for h in WATERMARK_HINTS)


def _text_finding(name: str, text: dict, third_party: bool) -> Finding:
    value = text.get("text", "")
    watermark = third_party and is_watermark(value)
    if watermark:
        return Finding(
            "uploader_identifier",
            "high",
            Phrase("Watermark or username in the picture: '{value}'", value=value),
            Phrase("It points to the person who filmed or first posted this, who may be at risk."),
            Phrase("Mask it: cover its area in the review, or crop the picture."),
            where=name,
            box=[int(v) for v in text["box"]],
        )
    title = {
        "sign": Phrase("Readable sign in the picture: '{value}'", value=value),
        "plate_like": Phrase("Readable licence-plate-like text in the picture: '{value}'", value=value),
    }.get(text.get("kind")) or Phrase("Readable text in the picture: '{value}'", value=value)
    return Finding(
        "readable_text",
        "medium" if text.get("kind") in ("sign", "plate_like") else "low",
        title,
        Phrase("Signs, plates and screens can reveal where this happened, or whose car or office it is."),
        Phrase("Check it; cover its area in the review if it reveals a place or a person."),
        where=name,
        box=[int(v) for v in text["box"]],
    )


def _metadata_finding(name: str, meta: dict) -> Finding:
    kind = meta.get("kind", "metadata")
    return Finding(
        f"metadata_{kind}",
        severity_of(kind).value,  # the same severity as `safepost inspect` and the archive audit
        # the title and a worded value stay phrases: the report says them in its own language
        Phrase("{what}: {value}", what=meta.get("title", kind), value=meta["value"])
        if meta.get("value")
        else meta.get("title", kind),
        meta.get("why") or Phrase("Hidden data in the file travels with it when it is posted or forwarded."),
        Phrase("prepare writes a clean copy from the pixels only, with no metadata."),
        where=name,
        fixed_by_prepare=True,
    )
