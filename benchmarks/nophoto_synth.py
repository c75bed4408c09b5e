#!/usr/bin/env python3
"""A wider NO PHOTO development pack, rendered in code (issue #20).

The eval pack (../shared/eval/nophoto) is one generator with seven fonts; a method tuned to it
will not hold on other hands. This renders the same layout (a manifest with the faces schema plus
``nophoto_face_idx`` / ``nophoto_tags`` / ``distractor_tags``, see that pack's README) with
**other fonts** (the Debian packages in :data:`FONT_PACKAGES`: script, brush, felt-tip and school
hands, outline and geometric letters; none of the eval pack's), more phrases (NO PHOTO, NO
PHOTOS, NO FOTO, SIN FOTO, PAS DE PHOTO, in upper, title and lower case), more lettering
(filled, outlined, stencil-cut, slanted), card styles (plain, band, outline, sticker, no border)
and wider rotations, blur and noise. Backgrounds are the faces DEV split's photos, whose face
boxes are the ground truth. The pack is written outside the repository (default
benchmarks/out/nophoto-synth, ignored by git); score it with
``benchmarks/nophoto.py --data benchmarks/out/nophoto-synth``.

    .venv/bin/python benchmarks/nophoto_synth.py [--faces DIR] [--out DIR] [--images N] [--seed S]

:func:`render_tag` is also used by the tests (tests/test_nophoto_hands.py).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

REPO = Path(__file__).resolve().parents[1]
#: Debian packages holding the fonts below (scripts/setup.sh installs them).
FONT_PACKAGES = (
    "fonts-dancingscript fonts-breip fonts-bwht fonts-femkeklaver fonts-kristi fonts-rufscript "
    "fonts-leckerli-one fonts-lobster fonts-rampart fonts-league-spartan fonts-cabin fonts-ecolier-court "
    "fonts-freefont-ttf"
).split()
_F = Path("/usr/share/fonts")
#: (name, file, kind, split): kind "hand" (hand-written look), "print" or "outline" (hollow letters by
#: design); split "tune" (look at these while tuning) or "held" (held out: only ever measured, in
#: aggregate, with ``--split held``)
FONTS = (
    ("Dancing Script Bold", _F / "opentype/dancingscript/DancingScript-Bold.otf", "hand", "tune"),
    ("Breip", _F / "truetype/breip/Breip.ttf", "hand", "tune"),
    ("Because We Build", _F / "opentype/bwht/BecauseWeBuild-Regular.otf", "hand", "tune"),
    ("Because We Connect", _F / "opentype/bwht/BecauseWeConnect-Regular.otf", "hand", "tune"),
    ("Because We Create", _F / "opentype/bwht/BecauseWeCreate-Regular.otf", "hand", "tune"),
    ("Because We Learn", _F / "opentype/bwht/BecauseWeLearn-Regular.otf", "hand", "tune"),
    ("Because We Mentor", _F / "opentype/bwht/BecauseWeMentor-Regular.otf", "hand", "held"),
    ("Because We Organize", _F / "opentype/bwht/BecauseWeOrganize-Regular.otf", "hand", "held"),
    ("femkeklaver", _F / "truetype/femkeklaver/femkeklaver.ttf", "hand", "tune"),
    ("Kristi", _F / "truetype/kristi/Kristi.ttf", "hand", "held"),
    ("Rufscript", _F / "truetype/rufscript/Rufscript010.ttf", "hand", "tune"),
    ("Leckerli One", _F / "truetype/leckerli-one/LeckerliOne-Regular.ttf", "hand", "tune"),
    ("Lobster Two", _F / "opentype/lobster/lobster.otf", "hand", "tune"),
    ("Ecolier", _F / "truetype/ecolier-court/Ecolier-court.ttf", "hand", "tune"),
    ("Dancing Script", _F / "opentype/dancingscript/DancingScript-Regular.otf", "hand", "held"),
    ("Breip font", _F / "truetype/breip/breipfont.ttf", "hand", "held"),
    ("League Spartan Bold", _F / "opentype/league-spartan/LeagueSpartan-Bold.otf", "print", "tune"),
    ("Cabin Bold", _F / "opentype/cabin/Cabin-Bold.otf", "print", "tune"),
    ("FreeSans Bold", _F / "truetype/freefont/FreeSansBold.ttf", "print", "tune"),
    ("FreeSerif Bold Italic", _F / "truetype/freefont/FreeSerifBoldItalic.ttf", "print", "tune"),
    ("Liberation Serif Bold Italic", _F / "truetype/liberation/LiberationSerif-BoldItalic.ttf", "print", "tune"),
    ("Amiri Bold", _F / "opentype/fonts-hosny-amiri/Amiri-Bold.ttf", "print", "tune"),
    ("Simple CLM Bold", _F / "truetype/culmus/SimpleCLM-Bold.ttf", "print", "tune"),
    ("Liberation Sans Narrow Bold", _F / "truetype/liberation/LiberationSansNarrow-Bold.ttf", "print", "held"),
    ("FreeMono Bold", _F / "truetype/freefont/FreeMonoBold.ttf", "print", "held"),
    ("League Spartan Black", _F / "opentype/league-spartan/LeagueSpartan-Black.otf", "print", "held"),
    ("Cabin SemiBold Italic", _F / "opentype/cabin/Cabin-SemiBoldItalic.otf", "print", "held"),
    ("Hadasim CLM Bold", _F / "truetype/culmus/HadasimCLM-Bold.ttf", "print", "held"),
    ("Keter YG Bold", _F / "truetype/culmus/KeterYG-Bold.ttf", "print", "held"),
    ("Rampart One", _F / "truetype/rampart/RampartOne-Regular.ttf", "outline", "tune"),
)
PHRASES = ("NO PHOTO", "NO PHOTO", "NO PHOTOS", "NO FOTO", "SIN FOTO", "PAS DE PHOTO")
NAMES = ("Lucia", "Omar", "Ines", "Tomas", "Fatima", "Diego", "Nadia", "Pablo", "Yusuf", "Elena", "Kofi", "Rosa")
DISTRACTOR_LINES = ("PRESS", "STAFF", "VOLUNTEER", "GUEST", "SPEAKER", "MEDIA", "ORGANISER")
PAPERS = ((250, 250, 248), (255, 244, 170), (205, 228, 250), (255, 205, 160), (215, 245, 210), (252, 220, 235))
INKS = ((15, 15, 15), (20, 30, 110), (130, 15, 20), (10, 90, 40), (90, 20, 120), (190, 40, 30), (60, 60, 70))
BANDS = ((200, 30, 40), (20, 40, 110), (0, 120, 120), (230, 120, 0))


def available_fonts(kind: str | None = None, split: str = "all") -> list[tuple[str, Path, str, str]]:
    """The fonts of :data:`FONTS` installed here (of ``kind``, if given; of ``split`` unless "all")."""
    return [f for f in FONTS if f[1].exists() and kind in (None, f[2]) and split in ("all", f[3])]


def _fit_font(path: Path, text: str, width: int, height: int) -> ImageFont.FreeTypeFont:
    size = height
    while size > 8:
        font = ImageFont.truetype(str(path), size)
        x0, y0, x1, y1 = font.getbbox(text)
        if x1 - x0 <= width and y1 - y0 <= height:
            return font
        size = int(size * 0.92)
    return ImageFont.truetype(str(path), 8)


@dataclass
class Tag:
    """A rendered tag (RGBA, card at 640 px wide) and what it says."""

    image: Image.Image
    text: str
    name: str | None
    style: str
    lettering: str
    font: str
    ink_height: float  # px, at the 640 px rendering


def render_tag(
    text: str,
    font: Path,
    rng: random.Random,
    *,
    name: str | None = None,
    name_font: Path | None = None,
    style: str = "plain",
    lettering: str = "fill",
    slant: float = 0.0,
    width: int = 640,
) -> Tag:
    """One tag: ``text`` in ``font`` on a card (style plain, band, outline, sticker, bare), lettered
    ``fill``, ``outline`` (hollow), ``stencil`` (cut by bars) or ``marker`` (thick felt-tip strokes),
    slanted by ``slant`` (shear)."""
    height = int(width * (0.62 if name else 0.5))
    paper = rng.choice(PAPERS)
    ink = rng.choice(INKS)
    card = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(card)
    radius = rng.choice((0, 12, 30))
    if style == "sticker":
        draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=60, fill=paper + (255,))
    else:
        draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=radius, fill=paper + (255,))
    top = 0.1 * height
    if style == "band":
        band = rng.choice(BANDS)
        draw.rounded_rectangle((0, 0, width - 1, int(0.22 * height)), radius=radius, fill=band + (255,))
        draw.rectangle((0, int(0.11 * height), width - 1, int(0.22 * height)), fill=band + (255,))
        top = 0.27 * height
    elif style == "outline":
        draw.rounded_rectangle(
            (0, 0, width - 1, height - 1), radius=radius, outline=rng.choice(BANDS) + (255,), width=int(0.05 * width)
        )
        top = 0.12 * height
    elif style == "plain":
        draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=radius, outline=(40, 40, 40, 255), width=4)
    line_h = (0.42 if name else 0.55) * height * (0.8 if style == "band" else 1.0)
    f = _fit_font(font, text, int(0.86 * width), int(line_h))
    layer = Image.new("L", card.size, 0)
    ldraw = ImageDraw.Draw(layer)
    cx = width / 2
    ldraw.text((cx, top), text, font=f, fill=255, anchor="mt")
    if lettering == "outline":
        thick = Image.new("L", card.size, 0)
        stroke = max(2, f.size // 14)
        ImageDraw.Draw(thick).text((cx, top), text, font=f, fill=255, anchor="mt", stroke_width=stroke, stroke_fill=255)
        inner = layer.filter(ImageFilter.MinFilter(3))
        layer = Image.fromarray(
            np.clip(np.asarray(thick, np.int16) - np.asarray(inner, np.int16), 0, 255).astype(np.uint8)
        )
    elif lettering == "marker":  # a felt-tip pen: thick, rounded strokes
        thick = Image.new("L", card.size, 0)
        ImageDraw.Draw(thick).text(
            (cx, top), text, font=f, fill=255, anchor="mt", stroke_width=max(1, f.size // 18), stroke_fill=255
        )
        layer = thick
    elif lettering == "stencil":
        arr = np.asarray(layer).copy()
        x0, y0, x1, y1 = (int(v) for v in ldraw.textbbox((cx, top), text, font=f, anchor="mt"))
        gap = max(2, (y1 - y0) // 10)
        y = int(y0 + 0.45 * (y1 - y0))
        arr[y : y + gap] = 0  # the bridge cut through every letter
        step = max(8, int(f.size * 0.9))
        for x in range(int(x0) + step // 2, int(x1), step):
            arr[y0 : y0 + (y1 - y0) // 3, x : x + max(1, gap // 2)] = 0
        layer = Image.fromarray(arr)
    bbox = layer.getbbox() or (0, 0, 1, 1)
    ink_height = float(bbox[3] - bbox[1])
    card.paste(Image.new("RGBA", card.size, ink + (255,)), (0, 0), layer)
    if name:
        nf = _fit_font(name_font or font, name, int(0.7 * width), int(0.26 * height))
        ImageDraw.Draw(card).text((cx, 0.62 * height), name, font=nf, fill=rng.choice(INKS) + (255,), anchor="mt")
    if slant:
        card = card.transform(
            (int(width + abs(slant) * height), height),
            Image.Transform.AFFINE,
            (1, slant, -abs(slant) * height if slant > 0 else 0, 0, 1, 0),
            resample=Image.Resampling.BICUBIC,
        )
    return Tag(card, text, name, style, lettering, font.stem, ink_height)


def _case(text: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.2:
        return text.title()
    if r < 0.27:
        return text.lower()
    return text


def _placement(tag: Tag, face: list[float], rng: random.Random) -> list[tuple[float, float]]:
    """Where ``tag`` goes under ``face`` (x, y, w, h): its four corners in the photo."""
    fx, fy, fw, fh = face
    s = rng.uniform(0.85, 1.5) * fw / tag.image.width
    w, h = tag.image.width * s, tag.image.height * s
    cx = fx + fw / 2 + rng.uniform(-0.3, 0.3) * fw
    cy = fy + fh + rng.uniform(0.45, 0.85) * fh + h / 2
    a = math.radians(rng.uniform(-20, 20) if rng.random() < 0.85 else rng.choice((-1, 1)) * rng.uniform(20, 28))
    ca, sa = math.cos(a), math.sin(a)
    top, left = 1 - rng.uniform(0, 0.1), 1 - rng.uniform(0, 0.06)  # a slight perspective
    local = [(-w / 2 * top, -h / 2 * left), (w / 2 * top, -h / 2), (w / 2, h / 2), (-w / 2, h / 2 * left)]
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in local]


def _bbox(poly) -> tuple[float, float, float, float]:
    return min(p[0] for p in poly), min(p[1] for p in poly), max(p[0] for p in poly), max(p[1] for p in poly)


def _paste(tag: Tag, poly, canvas: Image.Image, blur: float, shade: float) -> float:
    """Warp ``tag`` onto ``canvas`` at ``poly``, blurred and shaded to the scene; its text height in px."""
    import cv2

    src = [(0, 0), (tag.image.width, 0), (tag.image.width, tag.image.height), (0, tag.image.height)]
    m = cv2.getPerspectiveTransform(np.float32(src), np.float32(poly))
    rgba = np.asarray(tag.image.convert("RGBA"))
    warped = cv2.warpPerspective(rgba, m, canvas.size, flags=cv2.INTER_AREA, borderValue=(0, 0, 0, 0))
    if blur > 0:
        warped = cv2.GaussianBlur(warped, (0, 0), blur)
    base = np.asarray(canvas).astype(np.float32)
    x0, y0, x1, y1 = (int(v) for v in _bbox(poly))
    region = base[max(0, y0) : y1 + 1, max(0, x0) : x1 + 1]
    light = float(np.clip(region.mean() / 128.0, 0.55, 1.05)) if region.size else 1.0
    rgb = warped[:, :, :3].astype(np.float32) * light * shade
    alpha = warped[:, :, 3:4].astype(np.float32) / 255.0
    canvas.paste(Image.fromarray(np.clip(base * (1 - alpha) + rgb * alpha, 0, 255).astype(np.uint8)))
    width = math.dist(poly[0], poly[1])
    return round(tag.ink_height * width / tag.image.width, 1)


def _inside(box, canvas: Image.Image) -> bool:
    return box[0] >= 1 and box[1] >= 1 and box[2] <= canvas.width - 2 and box[3] <= canvas.height - 2


def _overlaps(box, boxes) -> bool:
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes)


def make_pack(faces_dir: Path, out: Path, images: int, seed: int, split: str = "all") -> dict:
    rng = random.Random(seed)
    hands, prints = available_fonts("hand", split), available_fonts("print", split)
    outlines = available_fonts("outline", split)
    if not hands:
        raise SystemExit(f"no hand-writing fonts installed: apt-get install {' '.join(FONT_PACKAGES)}")
    annotations = json.loads((faces_dir / "annotations.json").read_text())
    usable = []
    for e in annotations:
        big = [
            i
            for i, (b, bad) in enumerate(zip(e["boxes_xywh"], e["invalid"], strict=False))
            if not bad and math.sqrt(b[2] * b[3]) >= 32
        ]
        if big:
            usable.append((e, big))
    rng.shuffle(usable)
    (out / "images").mkdir(parents=True, exist_ok=True)
    entries = []
    for k in range(images):
        e, big = usable[k % len(usable)]
        canvas = Image.open(faces_dir / e["file"]).convert("RGB")
        grey = rng.random() < 0.1
        boxes = e["boxes_xywh"]
        face_boxes = [(x - 0.15 * w, y - 0.15 * h, x + 1.15 * w, y + 1.15 * h) for x, y, w, h in boxes]
        taken: list = []
        positive = k % 6 != 5
        wearers = rng.sample(big, min(len(big), 2 if positive and rng.random() < 0.15 else 1)) if positive else []
        np_tags, d_tags, idx = [], [], []
        for i in wearers:
            kind = rng.random()
            family = rng.choice(outlines) if (outlines and kind < 0.1) else rng.choice(hands if kind < 0.75 else prints)
            name = rng.choice(NAMES) if rng.random() < 0.45 else None
            style = rng.choice(("plain", "band", "outline", "sticker", "bare"))
            lettering = rng.choices(("fill", "outline", "stencil", "marker"), (0.6, 0.15, 0.1, 0.15))[0]
            text = _case(rng.choice(PHRASES), rng)
            slant = rng.uniform(-0.3, 0.3) if rng.random() < 0.4 else 0.0
            tag = render_tag(
                text,
                family[1],
                rng,
                name=name,
                name_font=rng.choice(hands)[1],
                style=style,
                lettering=lettering,
                slant=slant,
            )
            for _ in range(8):
                poly = _placement(tag, boxes[i], rng)
                bb = _bbox(poly)
                if not _inside(bb, canvas) or _overlaps(bb, face_boxes) or _overlaps(bb, taken):
                    continue
                blur = rng.uniform(0.3, 1.2)
                th = _paste(tag, poly, canvas, blur, rng.uniform(0.85, 1.0))
                taken.append(bb)
                idx.append(i)
                np_tags.append(
                    {
                        "face_idx": i,
                        "polygon": [[round(x, 1), round(y, 1)] for x, y in poly],
                        "bbox_xyxy": [round(v, 1) for v in bb],
                        "text": text,
                        "name": name,
                        "style": style,
                        "lettering": lettering,
                        "font": family[0],
                        "slant": round(slant, 2),
                        "blur_sigma": round(blur, 2),
                        "text_height_px": th,
                    }
                )
                break
        others = [
            i
            for i, (b, bad) in enumerate(zip(boxes, e["invalid"], strict=False))
            if not bad and i not in idx and math.sqrt(b[2] * b[3]) >= 24
        ]
        for i in rng.sample(others, min(len(others), rng.randint(0 if positive else 1, 3))):
            family = rng.choice(hands + prints)
            first = rng.choice(("HELLO my name is", "Hi, I'm", rng.choice(DISTRACTOR_LINES), None))
            name = rng.choice(NAMES)
            text, second = (name, None) if first is None else (first, name)
            tag = render_tag(
                text,
                family[1],
                rng,
                name=second,
                name_font=rng.choice(hands)[1],
                style=rng.choice(("plain", "band", "outline", "sticker")),
            )
            poly = _placement(tag, boxes[i], rng)
            bb = _bbox(poly)
            if not _inside(bb, canvas) or _overlaps(bb, face_boxes) or _overlaps(bb, taken):
                continue
            _paste(tag, poly, canvas, rng.uniform(0.3, 1.2), rng.uniform(0.85, 1.0))
            taken.append(bb)
            d_tags.append(
                {
                    "face_idx": i,
                    "polygon": [[round(x, 1), round(y, 1)] for x, y in poly],
                    "bbox_xyxy": [round(v, 1) for v in bb],
                    "text": text,
                    "name": second,
                    "font": family[0],
                }
            )
        if positive and not np_tags:
            continue
        arr = np.asarray(canvas.convert("L").convert("RGB") if grey else canvas).astype(np.float32)
        arr += np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(1, 3.5), arr.shape)
        name = f"syn{len(entries):03d}.jpg"
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(out / "images" / name, quality=rng.randint(62, 90))
        entries.append(
            {
                "file": f"images/{name}",
                "width": canvas.width,
                "height": canvas.height,
                "boxes_xywh": boxes,
                "invalid": e["invalid"],
                "source_file": e["file"],
                "nophoto_face_idx": idx,
                "nophoto_tags": np_tags,
                "distractor_tags": d_tags,
            }
        )
    manifest = {
        "pack": "nophoto-synth",
        "seed": seed,
        "split": split,
        "fonts": [f[0] for f in hands + prints + outlines],
        "images": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--faces", default="../shared/eval/faces", help="faces DEV split (backgrounds and face boxes)")
    ap.add_argument("--out", default="benchmarks/out/nophoto-synth")
    ap.add_argument("--images", type=int, default=48)
    ap.add_argument("--seed", type=int, default=2020)
    ap.add_argument(
        "--split", choices=("tune", "held", "all"), default="all", help="fonts to tune on, held-out fonts, or both"
    )
    args = ap.parse_args(argv)
    m = make_pack((REPO / args.faces).resolve(), (REPO / args.out).resolve(), args.images, args.seed, args.split)
    tags = [t for e in m["images"] for t in e["nophoto_tags"]]
    dist = sum(len(e["distractor_tags"]) for e in m["images"])
    print(f"{len(m['images'])} images, {len(tags)} NO PHOTO tags, {dist} distractor tags -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
