"""NO PHOTO tags and text in photos (issue #6): matching, markers, binding, keep-faces mode."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from safepost.consent.badges import marker_image
from safepost.core import Region, RegionsFileError
from safepost.detect import tags
from safepost.flows.media import redact_file

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "safepost" / "samples"
BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _font(size: int):
    return ImageFont.truetype(str(BOLD), size) if BOLD.exists() else ImageFont.load_default(size=size)


def _card(lines: list[str], size: int, width: int, rotate: float = 0.0) -> Image.Image:
    height = int(size * 1.4 * len(lines) + size)
    card = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, width - 1, height - 1), outline=(0, 0, 0), width=3)
    for i, line in enumerate(lines):
        draw.text((width // 2, size // 2 + int(i * size * 1.4)), line, font=_font(size), fill=(0, 0, 0), anchor="mt")
    return card.rotate(rotate, expand=True, fillcolor=(200, 200, 200)) if rotate else card


def _face(side: int) -> Image.Image:
    face = Image.open(SAMPLES / "astronaut.jpg").convert("RGB")
    return face.crop((150, 20, 370, 260)).resize((side, int(side * 240 / 220)))


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> tuple[Path, dict]:
    """Two people: a NO PHOTO wearer (left) and a 'HELLO my name is Ana' distractor (right)."""
    canvas = Image.new("RGB", (1200, 800), (90, 110, 130))
    face = _face(220)
    boxes = {"wearer": (80, 60), "other": (760, 60)}
    for x, y in boxes.values():
        canvas.paste(face, (x, y))
    canvas.paste(_card(["NO PHOTO"], 48, 300, rotate=10), (50, 370))
    canvas.paste(_card(["HELLO my name is", "Ana"], 36, 340), (700, 370))
    path = tmp_path_factory.mktemp("scene") / "scene.png"
    canvas.save(path)
    fh = face.size[1]
    return path, {k: (x, y, x + face.size[0], y + fh) for k, (x, y) in boxes.items()}


def _box(r: Region) -> tuple[float, float, float, float]:
    return r.x0, r.y0, r.x1, r.y1


def _changed(a: np.ndarray, b: np.ndarray, box) -> float:
    x0, y0, x1, y1 = (int(v) for v in box)
    diff = np.abs(a[y0:y1, x0:x1].astype(int) - b[y0:y1, x0:x1].astype(int)).max(axis=2) > 24
    return float(diff.mean())


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("NO PHOTO", "NOPHOTO"),
        ("NOPHOTO", "NOPHOTO"),
        ("no photo", "NOPHOTO"),
        ("N0 PH0TO", "NOPHOTO"),  # zeros for Os are read as Os
        ("NOPHOTOS", "NOPHOTOS"),
        ("Sin foto", "SINFOTO"),
        ("SÍN FOTO", "SINFOTO"),
        ("PAS DE PHOTO", "PASDEPHOTO"),
        ("NO FOTO", "NOFOTO"),
        ("NO-FOTO Maria", "NOFOTO"),
        ("NOPHOT0Maria", "NOPHOTO"),
        ("No Phete", "NOPHOTO"),  # two slips, but it starts like the phrase
        ("NOPH0T", "NOPHOTO"),
    ],
)
def test_no_photo_phrases_match(text, phrase):
    assert tags.match_no_photo(text) == phrase


@pytest.mark.parametrize("text", ["PHOTOS", "FOTOS", "PHOTO BOOTH", "HELLO my name is", "Ana", "Noah", "NOTE", "NOFOT"])
def test_ordinary_words_do_not_match(text):
    assert tags.match_no_photo(text) is None


def test_fold():
    assert tags.fold("Pas de  Phôto!") == "PASDEPHOTO"
    assert tags.fold("n0 ph0to") == "NOPHOTO"


def test_plate_like_and_names():
    assert tags.plate_like("ABC 123")
    assert tags.plate_like("AB-123-CD")
    assert not tags.plate_like("NO PHOTO")
    assert not tags.plate_like("Maria")
    face = Region("f1", "face", 100, 100, 200, 220)
    name = tags.TextFinding("Maria Lopez", [(110, 300), (190, 300), (190, 320), (110, 320)], 0.9)
    assert tags.classify(name, [face]) == "name_tag"
    far = tags.TextFinding("Maria Lopez", [(600, 300), (690, 300), (690, 320), (600, 320)], 0.9)
    assert tags.classify(far, [face]) != "name_tag"


def test_binding_picks_the_face_above():
    above = Region("f1", "face", 100, 100, 200, 220)
    beside = Region("f2", "face", 320, 280, 420, 400)
    below = Region("f3", "face", 100, 500, 200, 620)
    tag = (90, 280, 230, 360)
    assert tags.bind_box(tag, [beside, below, above]) is above
    assert tags.bind_box((700, 280, 800, 340), [above, beside, below]) is None


def test_keep_faces_masks_only_the_wearer(scene, tmp_path):
    path, boxes = scene
    result = redact_file(path, tmp_path / "out.png", keep_faces=True)
    original = np.asarray(Image.open(path).convert("RGB"))
    out = np.asarray(Image.open(result.output).convert("RGB"))
    faces = {("wearer" if r.x1 < 600 else "other"): r for r in result.regions if r.kind == "face"}
    assert faces["wearer"].extra.get("nophoto") and not faces["other"].extra.get("nophoto")
    assert result.kept == [faces["other"].id]
    for name, face in faces.items():  # each detected face lies inside its pasted picture
        x0, y0, x1, y1 = boxes[name]
        assert x0 <= face.x0 and face.x1 <= x1
    assert _changed(original, out, _box(faces["wearer"])) > 0.6
    assert _changed(original, out, boxes["other"]) == 0.0
    data = result.to_dict()
    tag_regions = [r for r in data["regions"] if r["kind"] == "nophoto_tag"]
    assert tag_regions and tag_regions[0]["extra"]["nophoto"] is True
    wearers = [r for r in data["regions"] if r["kind"] == "face" and r.get("extra", {}).get("nophoto")]
    assert len(wearers) == 1 and wearers[0]["masked"]
    texts = {t["text"].replace(" ", "").upper(): t for t in data["texts"]}
    assert any(k.startswith("NOPHOTO") for k in texts)
    json.dumps(data)


def test_default_mode_masks_faces_and_tag(scene, tmp_path):
    path, _ = scene
    result = redact_file(path, tmp_path / "out.png", redact_text="names")
    original = np.asarray(Image.open(path).convert("RGB"))
    out = np.asarray(Image.open(result.output).convert("RGB"))
    faces = [r for r in result.regions if r.kind == "face"]
    assert len(faces) == 2 and all(_changed(original, out, _box(f)) > 0.6 for f in faces)
    tag = next(r for r in result.regions if r.kind == "nophoto_tag")
    assert _changed(original, out, (tag.x0, tag.y0, tag.x1, tag.y1)) > 0.5
    assert any(r.kind == "text" for r in result.regions)  # the name tag 'Ana' (or its header)


def test_marker_only_badge_without_face_gets_the_area_above(tmp_path):
    canvas = Image.new("RGB", (900, 700), (120, 120, 120))
    badge = Image.new("RGB", (280, 180), "white")
    badge.paste(Image.fromarray(marker_image(120)).convert("RGB"), (30, 30))
    canvas.paste(badge.rotate(12, expand=True, fillcolor=(120, 120, 120)), (300, 420))
    path = tmp_path / "badge.png"
    canvas.save(path)
    found = tags.find_markers(np.asarray(canvas))
    assert len(found) == 1
    result = redact_file(path, tmp_path / "out.png", keep_faces=True)
    kinds = [r.kind for r in result.regions]
    assert "nophoto_tag" in kinds and "nophoto_area" in kinds
    area = next(r for r in result.regions if r.kind == "nophoto_area")
    tag = next(r for r in result.regions if r.kind == "nophoto_tag")
    assert area.y1 <= tag.y0 + 1 and area.y0 < tag.y0 - 100
    out = np.asarray(Image.open(result.output).convert("RGB"))
    assert _changed(np.asarray(canvas), out, (area.x0, area.y0, area.x1, area.y1)) > 0.9


def test_large_photo_is_read_at_reduced_size_with_boxes_in_full_pixels(scene):
    path, _ = scene
    big = Image.open(path).convert("RGB")
    big = np.asarray(big.resize((big.width * 2, big.height * 2)))
    found = tags.scan(big)
    tag = next(t for t in found.tags if t.source == "ocr")
    x0, y0, x1, y1 = tag.box
    assert 0 <= x0 < 200 and 700 < y0 < 900 and 500 < x1 < 900  # the card pasted at (100, 740) in full pixels


def test_text_findings_and_redact_text_all(scene, tmp_path):
    path, _ = scene
    result = redact_file(path, tmp_path / "out.png", keep_faces=True, redact_text="all")
    assert result.texts and all(t["masked"] for t in result.texts)
    assert {t["kind"] for t in result.texts} >= {"no_photo", "name_tag"}
    with pytest.raises(RegionsFileError, match="redact-text"):
        redact_file(path, tmp_path / "bad.png", redact_text="some")


def test_cli_keep_faces_json(scene, tmp_path):
    from click.testing import CliRunner

    from safepost.cli import main

    path, _ = scene
    out = tmp_path / "cli.png"
    result = CliRunner().invoke(main, ["redact", str(path), "-o", str(out), "--keep-faces", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["keep_faces"] is True and data["nophoto_tags"] >= 1 and len(data["kept"]) == 1
    assert any(t["kind"] == "no_photo" for t in data["texts"])
    bad = CliRunner().invoke(main, ["redact", str(path), "-o", str(out), "--redact-text", "some"])
    assert bad.exit_code == 2
