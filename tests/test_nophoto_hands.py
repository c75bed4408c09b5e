"""NO PHOTO in other hands (issue #20): hand-lettered tags in fonts the eval pack does not use,
unreadable cards under large faces, tags with no face found, and text in any script."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from safepost.detect import tags
from safepost.detect.tagwords import phrase_cost, turned
from safepost.flows.media import redact_file

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
import nophoto_synth  # noqa: E402  (the dev-pack generator renders the tags)

SAMPLES = REPO / "src" / "safepost" / "samples"
FACE = 150  # pasted face crop side; the detector's face box is about (20, 22, 70, 85) inside it
# hand-writing fonts of Debian packages the eval pack does not use (scripts/setup.sh installs them)
HANDS = {name: (path, kind) for name, path, kind, _ in nophoto_synth.FONTS}
WANTED = ("Dancing Script Bold", "Because We Organize", "Leckerli One")


def _face() -> Image.Image:
    return Image.open(SAMPLES / "astronaut.jpg").convert("RGB").crop((150, 30, 406, 286)).resize((FACE, FACE))


def _tag(text: str, font: Path, width: int, angle: float, **kw) -> Image.Image:
    tag = nophoto_synth.render_tag(text, font, random.Random(7), **kw).image
    tag = tag.resize((width, round(width * tag.height / tag.width)), Image.Resampling.LANCZOS)
    return tag.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)


def _changed(a: np.ndarray, b: np.ndarray, box) -> float:
    x0, y0, x1, y1 = (int(v) for v in box)
    return float((np.abs(a[y0:y1, x0:x1].astype(int) - b[y0:y1, x0:x1].astype(int)).max(axis=2) > 24).mean())


def _fonts() -> list[Path]:
    found = [HANDS[n][0] for n in WANTED if n in HANDS and HANDS[n][0].exists()]
    if len(found) < 2:
        pytest.skip(f"hand-writing fonts not installed: apt-get install {' '.join(nophoto_synth.FONT_PACKAGES)}")
    return found


@pytest.fixture(scope="module")
def hands(tmp_path_factory):
    """Wearers of hand-lettered NO PHOTO / SIN FOTO / PAS DE PHOTO tags, and a 'Joseph' name tag."""
    fonts = _fonts()
    rng = np.random.default_rng(5)
    people = [("NO PHOTO", "fill", "band"), ("Sin Foto", "fill", "plain"), ("PAS DE PHOTO", "outline", "plain")]
    people = people[: len(fonts)] + [("Joseph", "fill", "plain")]
    canvas = Image.fromarray(rng.integers(50, 95, (620, 260 * len(people) + 40, 3), dtype=np.uint8))
    face = _face()
    boxes = {}
    for i, (text, lettering, style) in enumerate(people):
        x = 40 + 260 * i
        canvas.paste(face, (x, 40))
        boxes[text] = (x + 20, 40 + 22, x + 70, 40 + 85)
        tag = _tag(text, fonts[i % len(fonts)], 110, (-1) ** i * 8, lettering=lettering, style=style)
        canvas.paste(tag, (x - 10, 40 + FACE + 10), tag)
    path = tmp_path_factory.mktemp("hands") / "hands.png"
    canvas.save(path)
    return path, boxes


def test_hand_lettered_tags_mask_their_wearers_and_a_name_tag_does_not(hands, tmp_path):
    path, boxes = hands
    result = redact_file(path, tmp_path / "out.png", keep_faces=True)
    before = np.asarray(Image.open(path).convert("RGB"))
    after = np.asarray(Image.open(tmp_path / "out.png").convert("RGB"))
    for text, box in boxes.items():
        share = _changed(before, after, box)
        if text == "Joseph":
            assert share < 0.1, f"the name tag's wearer was masked ({share:.2f})"
        else:
            assert share > 0.9, f"the wearer of '{text}' is visible ({share:.2f}): {result.texts}"


def _scribble_card(w: int, h: int) -> Image.Image:
    """A badge whose writing cannot be read: wavy strokes where letters would be."""
    card = Image.new("RGB", (w, h), (250, 246, 215))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, w - 1, h - 1), outline=(30, 30, 30), width=2)
    rng = np.random.default_rng(2)
    for row in (0.33, 0.68):
        pts = [(int(w * (0.1 + 0.8 * k / 16)), int(h * row + rng.integers(-4, 5))) for k in range(17)]
        draw.line(pts, fill=(25, 25, 25), width=2)
    return card


def test_an_unreadable_card_masks_its_wearer_in_keep_faces_mode(tmp_path):
    rng = np.random.default_rng(9)
    canvas = Image.fromarray(rng.integers(50, 95, (520, 480, 3), dtype=np.uint8))
    canvas.paste(_face(), (160, 30))
    canvas.paste(_scribble_card(80, 48).rotate(6, expand=True, fillcolor=(70, 75, 85)), (165, 30 + FACE + 5))
    src = tmp_path / "card.png"
    canvas.save(src)
    result = redact_file(src, tmp_path / "out.png", keep_faces=True)
    unread = [r for r in result.regions if r.kind == "unread_tag"]
    assert unread, [r.kind for r in result.regions]
    assert "could not read" in unread[0].extra["note"]
    before, after = np.asarray(canvas), np.asarray(Image.open(tmp_path / "out.png").convert("RGB"))
    assert _changed(before, after, (180, 52, 230, 115)) > 0.9


@pytest.mark.parametrize("angle", [-30, 30])
def test_a_card_turned_30_degrees_masks_its_wearer(tmp_path, angle):
    """Cards are looked for up to 35 degrees of tilt (a badge on a leaning body, a loose clip)."""
    rng = np.random.default_rng(12)
    canvas = Image.fromarray(rng.integers(50, 95, (520, 480, 3), dtype=np.uint8))
    canvas.paste(_face(), (160, 30))
    canvas.paste(_scribble_card(84, 50).rotate(angle, expand=True, fillcolor=(70, 75, 85)), (160, 30 + FACE - 20))
    src = tmp_path / "turned.png"
    canvas.save(src)
    result = redact_file(src, tmp_path / "out.png", keep_faces=True)
    assert [r for r in result.regions if r.kind in ("unread_tag", "nophoto_tag")], [r.kind for r in result.regions]
    after = np.asarray(Image.open(tmp_path / "out.png").convert("RGB"))
    assert _changed(np.asarray(canvas), after, (180, 52, 230, 115)) > 0.9


def test_a_no_photo_tag_without_a_detected_face_masks_the_head_area(tmp_path):
    """The wearer is turned away (the back of a head: no face to detect)."""
    fonts = _fonts()
    rng = np.random.default_rng(4)
    canvas = Image.fromarray(rng.integers(50, 95, (520, 480, 3), dtype=np.uint8))
    ImageDraw.Draw(canvas).ellipse((170, 40, 300, 200), fill=(60, 40, 25))  # hair
    tag = _tag("NO PHOTO", fonts[0], 200, 5, style="plain")
    canvas.paste(tag, (140, 260), tag)
    src = tmp_path / "back.png"
    canvas.save(src)
    result = redact_file(src, tmp_path / "out.png", keep_faces=True)
    assert result.faces_found == 0
    (area,) = [r for r in result.regions if r.kind == "nophoto_area"]
    assert "no face found" in area.extra["note"]
    after = np.asarray(Image.open(tmp_path / "out.png").convert("RGB"))
    assert _changed(np.asarray(canvas), after, (190, 120, 280, 200)) > 0.9  # the head


PLACARDS = {
    "Hebrew": ("שלום עכשיו", Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    "Cyrillic": ("Свободу узникам", Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    "Arabic": ("الحرية للمعتقلين", Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
}


def test_non_latin_placard_text_is_masked_with_redact_text_all(tmp_path):
    if not all(f.exists() for _, f in PLACARDS.values()):
        pytest.skip("DejaVu Sans Bold not installed")
    rng = np.random.default_rng(6)
    canvas = Image.fromarray(rng.integers(60, 160, (600, 900, 3), dtype=np.uint8))
    draw = ImageDraw.Draw(canvas)
    boxes = {}
    for i, (script, (text, font)) in enumerate(PLACARDS.items()):
        f = ImageFont.truetype(str(font), 46)
        y = 60 + 180 * i
        x0, y0, x1, y1 = draw.textbbox((80, y), text, font=f)
        draw.rectangle((x0 - 30, y0 - 25, x1 + 30, y1 + 25), fill=(235, 230, 215))
        draw.text((80, y), text, font=f, fill=(20, 20, 20))
        boxes[script] = (x0, y0, x1, y1)
    src = tmp_path / "placards.png"
    canvas.save(src)
    plain = redact_file(src, tmp_path / "none.png", find_tags=True)
    assert all(not t["masked"] for t in plain.texts)
    result = redact_file(src, tmp_path / "all.png", redact_text="all")
    after = np.asarray(Image.open(tmp_path / "all.png").convert("RGB"))
    masks = [r for r in result.regions if r.kind == "text"]
    for script, box in boxes.items():
        x0, y0, x1, y1 = box
        inside = np.zeros(after.shape[:2], bool)
        for r in masks:
            inside[int(r.y0) : int(np.ceil(r.y1)), int(r.x0) : int(np.ceil(r.x1))] = True
        covered = float(inside[y0:y1, x0:x1].mean())
        assert covered > 0.95, f"{script} placard left visible ({covered:.2f}): {result.texts}"
        assert _changed(np.asarray(canvas), after, box) > 0.3  # and the pixels there did change
    kinds = {t["kind"] for t in result.texts}
    assert "unread" in kinds  # at least one script could not be read, and is masked all the same
    assert json.dumps(result.to_dict())  # the JSON result still serialises


@pytest.mark.parametrize(
    "reading, phrase",
    [
        ("CLOH ON", "NOPHOTO"),
        (" 01OHd ON", "NOPHOTO"),
        ("NO PMOTO", "NOPHOTO"),
        ("Pas DeFhoto", "PASDEPHOTO"),
        ("SinFate", "SINFOTO"),
        ("N0 FDTO", "NOFOTO"),
        ("SIW FOtO", "SINFOTO"),
        ("PAS DE PHCTC", "PASDEPHOTO"),
        ("INO PHOTO", "NOPHOTO"),  # a card's border read as a stroke before the phrase
        ("MO PHQTO Ana", "NOPHOTO"),
    ],
)
def test_hand_lettering_misreadings_match(reading, phrase):
    assert tags.match_no_photo(reading) == phrase


@pytest.mark.parametrize("text", ["Joseph", "Carlos", "Hi, I'm", "PRESS", "Karim Photos", "NOFOT", "Noah"])
def test_names_and_other_words_stay_apart(text):
    assert tags.match_no_photo(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "qasim fotos",  # "SIM FOTOS" inside a name is not SIN FOTOS
        "Luis información",  # "S INFORM..." across two words
        "Yasin Foto",
        "Rosin Fotos",
        "sinfonia",
        "Lin Foto",  # SIN read as LIN is no near slip for a 3-letter word
        "Bruno Photo",  # "NO PHOTO" inside a name
        "Anton Photo",
        "Domino Photos",
        "Paso de Photo",
        "PHOTO BOOTH",
    ],
)
def test_a_phrase_inside_a_name_or_missing_a_word_does_not_match(text):
    """Issue #20 item 2: every word of the phrase must be there, starting where a word starts."""
    assert tags.match_no_photo(text) is None


def test_turned_reading_and_weighted_cost():
    assert turned("NOPHOTO") == "OLOHDON"  # upside down: read backwards, P as d, T as L
    assert turned(turned("NOPHOTO")) == "NOPHOTO"
    assert phrase_cost("NOPHOTO", "NOPHOTO") == 0
    assert phrase_cost("NOPH0TO".replace("0", "Q"), "NOPHOTO") == 0.5  # Q for O: a near slip
    assert phrase_cost("NOPHXTO", "NOPHOTO") == 1.0


def test_a_hand_lettered_tag_seen_on_a_few_frames_masks_the_whole_track(tmp_path):
    """Video: the same recognition on the searched frames; the wearer's track is masked throughout."""
    import av
    import test_nophoto_video as clip

    font = _fonts()[1]
    tag = _tag("NO PHOTO", font, 200, 4, style="plain")
    face = Image.open(SAMPLES / "astronaut.jpg").convert("RGB").crop((150, 30, 406, 286)).resize((clip.SIDE,) * 2)
    other = face.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    background = np.random.default_rng(11).integers(70, 150, (clip.H, clip.W, 3), dtype=np.uint8)
    src = tmp_path / "hand.mp4"
    with av.open(str(src), "w") as out:
        stream = out.add_stream("libx264", rate=clip.FPS)
        stream.width, stream.height, stream.pix_fmt = clip.W, clip.H, "yuv420p"
        stream.options = {"crf": "16"}
        for i in range(clip.N):
            frame = Image.fromarray(background.copy())
            (wx, wy), (ox, oy) = clip._positions(i)
            frame.paste(face, (wx, wy))
            frame.paste(other, (ox, oy))
            if i in clip.TAG_FRAMES:
                frame.paste(tag, (wx + clip.SIDE // 2 - tag.width // 2, wy + clip.SIDE + 30), tag)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame), format="rgb24")))
        out.mux(stream.encode(None))
    result = redact_file(src, tmp_path / "out.mp4", mode="realtime", keep_faces=True)
    assert len(result.nophoto_tracks) == 1, result.texts
    before, after = clip._frames(src), clip._frames(result.output)
    wearer = [clip._changed(before[i], after[i], clip._wearer_box(i)) for i in range(clip.N)]
    other_faces = [clip._changed(before[i], after[i], clip._other_box(i)) for i in range(clip.N)]
    assert min(wearer) > 0.9, wearer  # also on the frames before and after the tag is in view
    assert max(other_faces) < 0.05, other_faces


@pytest.mark.parametrize("header", ["HELLO my name is", "ORGANISER", "VOLUNTEER", "Joseph", "What"])
def test_a_first_line_read_surely_far_from_every_phrase_is_clear(header):
    """An ordinary tag's header is far from every phrase from where its words start (issue #20:
    "HELLO my name is" holds letters near NOFOTO only inside its words), so its card is not
    taken for an unreadable tag; read unsure, it is not clear."""
    from safepost.detect.tagread import clearly_not_no_photo

    assert tags.phrase_distance(header) >= 3.0
    assert clearly_not_no_photo(header, 0.9)
    assert not clearly_not_no_photo(header, 0.5)


@pytest.mark.parametrize("reading", ["NO PH0TQ", "CLOH ON", "MARIANOPHOTO", "SMFO1O", "Sin Fot"])
def test_a_first_line_near_a_phrase_is_never_clear(reading):
    from safepost.detect.tagread import clearly_not_no_photo, near_phrase

    assert not clearly_not_no_photo(reading, 0.99)
    assert near_phrase(reading)
