"""The NO PHOTO and text masking rules of one frame: what a tag, its wearer and a line read become.

A readable NO PHOTO tag is masked with its wearer's face and head (``nophoto_tag``,
``nophoto_head``); a tag we could not read may say NO PHOTO, so it is treated as one
(``unread_tag``, fail closed); a tag nobody wears masks the area above it, where the wearer's head
must be (``nophoto_area``). A text line is masked as ``--redact-text`` says (none, names, all; with
the registry's names, "names" also masks lines naming a registry person). The tag search itself and
the geometry that ties a tag to a face are ``detect.tags``'; a video's tags are tied to face tracks
by ``detect.tracking``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from safepost.core import Region
from safepost.detect import tags as tagdet

if TYPE_CHECKING:
    from safepost.text import NameIndex

#: the ``--redact-text`` choices
REDACT_TEXT = ("none", "names", "all")


def read_lines(lines: list, faces: list[Region], redact_text: str, names: NameIndex | None = None) -> list[tuple]:
    """Each text line read in a frame (photo or video), classified beside the ``faces``, and whether it
    is masked under ``redact_text`` (none, names, all; with ``names``, lines naming a registry person)."""
    out = []
    for line in lines:
        if line.kind != "no_photo":
            line.kind = tagdet.classify(line, faces)
        registry_name = bool(tagdet.registry_people(line, names))
        out.append((line, tagdet.text_masked(line, redact_text, registry_name=registry_name)))
    return out


def frame_regions(
    tags: list,
    lines: list,
    faces: list[Region],
    frame: int,
    first_id: int,
    w: int,
    h: int,
    redact_text: str,
    names: NameIndex | None = None,
) -> tuple[list[Region], list[dict]]:
    """The regions the NO PHOTO ``tags`` and the text ``lines`` found on a ``w`` x ``h`` frame mask (ids
    from ``t{first_id}``), and one entry per line read; the wearers among ``faces`` are marked in place."""
    regions: list[Region] = []
    n = first_id
    for tag in tags:
        box = tagdet.clip_box(tag.box, w, h)
        wearer = tagdet.bind_box(tag.box, faces) or tag.face
        extra = {"nophoto": True, "tag_text": tag.text, "found_by": tag.source}
        if not tag.readable:  # fail closed: a tag we could not read may say NO PHOTO
            extra["note"] = "a tag we could not read: check it; its wearer is masked in case it says NO PHOTO"
        if wearer is not None:
            wearer.extra.update(nophoto=True, tag_text=tag.text, **({} if tag.readable else {"unread_tag": True}))
            extra["wearer"] = wearer.id
        kind = "nophoto_tag" if tag.readable else "unread_tag"
        regions.append(Region(f"t{n}", kind, *box, source=tag.source, frame=frame, extra=extra))
        n += 1
        if wearer is not None:  # a loose or offset face box must not leave part of a NO PHOTO head visible
            head = tagdet.clip_box(tagdet.wearer_head(wearer, faces, tag.box), w, h)
            regions.append(
                Region(
                    f"t{n}",
                    "nophoto_head",
                    *head,
                    source="nophoto-geometry",
                    frame=frame,
                    extra={"nophoto": True, "tag_text": tag.text, "wearer": wearer.id},
                )
            )
            n += 1
        if wearer is None:  # nobody to tie it to: mask generously where the wearer's head must be
            area = tagdet.unbound_area(tag.box, w, h)
            note = "no face found above this NO PHOTO tag; the area above it is masked"
            regions.append(
                Region(
                    f"t{n}",
                    "nophoto_area",
                    *area,
                    source="nophoto-geometry",
                    frame=frame,
                    extra={"nophoto": True, "tag_text": tag.text, "note": note},
                )
            )
            n += 1
    texts = []
    for t, masked in read_lines(lines, faces, redact_text, names):
        entry = t.to_dict() | {"frame": frame, "masked": masked}
        if masked and t.kind != "no_photo":  # NO PHOTO lines are covered by their tag region
            box = tagdet.clip_box(t.box, w, h)
            regions.append(
                Region(f"t{n}", "text", *box, source="ocr", frame=frame, extra={"text": t.text, "text_kind": t.kind})
            )
            entry["region"] = f"t{n}"
            n += 1
        texts.append(entry)
    return regions, texts
