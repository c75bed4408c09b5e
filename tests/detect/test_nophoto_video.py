"""NO PHOTO tags in videos (issue #6): a tag seen on a few frames masks its wearer's whole track."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from safepost.core import RegionsFileError
from safepost.detect.motion import IDENTITY, Step
from safepost.detect.tracking import Sighting, TrackSettings, VideoTracks
from safepost.flows.media import redact_file
from tests.conftest import ASTRONAUT_FACE, SAMPLES

W, H, N, FPS = 640, 360, 24, 12
TAG_FRAMES = range(10, 16)  # the tag is in view on these frames only (searched: 0, 6, 12, 18, 23)
BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
SIDE = 140  # pasted face crop, pixels
SIGN = (455, 290, 615, 340)  # a green EXIT sign on the wall, on every frame


def _font(size: int):
    return ImageFont.truetype(str(BOLD), size) if BOLD.exists() else ImageFont.load_default(size=size)


def _positions(i: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Top-left of the wearer's (left) and the other person's (right) face crops on frame ``i``."""
    return (20 + 3 * i, 30), (420 - 2 * i, 40)


def _face_box(top_left: tuple[int, int], mirrored: bool = False) -> tuple[int, int, int, int]:
    x, y = top_left
    s = SIDE / 256  # crop 150..406 of the 512 px sample
    fx0, fy0, fx1, fy1 = ASTRONAUT_FACE
    left, right = (fx0 - 150) * s, (fx1 - 150) * s
    if mirrored:  # the other person is the same face, flipped
        left, right = SIDE - right, SIDE - left
    return int(x + left), int(y + (fy0 - 30) * s), int(x + right), int(y + (fy1 - 30) * s)


def _wearer_box(i: int) -> tuple[int, int, int, int]:
    return _face_box(_positions(i)[0])


def _other_box(i: int) -> tuple[int, int, int, int]:
    return _face_box(_positions(i)[1], mirrored=True)


def _tag() -> Image.Image:
    card = Image.new("RGB", (230, 64), "white")
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, 229, 63), outline=(0, 0, 0), width=3)
    draw.text((115, 32), "NO PHOTO", font=_font(38), fill=(0, 0, 0), anchor="mm")
    return card


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    sample = Image.open(SAMPLES / "astronaut.jpg").convert("RGB").crop((150, 30, 406, 286))
    face = sample.resize((SIDE, SIDE))
    other = face.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    tag = _tag()
    rng = np.random.default_rng(11)
    scenery = Image.fromarray(rng.integers(70, 150, (H, W, 3), dtype=np.uint8))
    ImageDraw.Draw(scenery).rectangle(SIGN, fill=(20, 90, 30))
    ImageDraw.Draw(scenery).text((535, 315), "EXIT 24", font=_font(30), fill=(255, 255, 255), anchor="mm")
    background = np.asarray(scenery)
    path = tmp_path_factory.mktemp("nophoto-video") / "event.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"crf": "16"}
        for i in range(N):
            frame = Image.fromarray(background.copy())
            (wx, wy), (ox, oy) = _positions(i)
            frame.paste(face, (wx, wy))
            frame.paste(other, (ox, oy))
            if i in TAG_FRAMES:
                frame.paste(tag, (wx + SIDE // 2 - 115, wy + SIDE + 40))
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame), format="rgb24")))
        out.mux(stream.encode(None))
    return path


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]


def _changed(a: np.ndarray, b: np.ndarray, box) -> float:
    x0, y0, x1, y1 = box
    return float((np.abs(a[y0:y1, x0:x1] - b[y0:y1, x0:x1]) > 24).any(axis=2).mean())


@pytest.fixture(scope="module")
def kept_faces(clip, tmp_path_factory):
    out = tmp_path_factory.mktemp("nophoto-video-out") / "event.mp4"
    return redact_file(clip, out, mode="realtime", keep_faces=True)


def test_keep_faces_masks_the_wearer_on_every_frame_and_nobody_else(clip, kept_faces):
    result = kept_faces
    assert result.frames == N and result.keep_faces and len(result.nophoto_tracks) == 1
    before, after = _frames(clip), _frames(result.output)
    assert len(after) == N
    wearer = [_changed(before[i], after[i], _wearer_box(i)) for i in range(N)]
    other = [_changed(before[i], after[i], _other_box(i)) for i in range(N)]
    assert min(wearer) > 0.9, wearer  # before, during and after the frames where the tag is seen
    assert max(other) < 0.05, other
    tagged = result.nophoto_tracks[0]
    summary = {t["id"]: t for t in result.tracks}
    assert summary[tagged]["nophoto"] and not summary[tagged]["kept"]
    assert all(t["kept"] for t in result.tracks if t["id"] != tagged)
    assert any(t["kind"] == "no_photo" and t["frame"] in TAG_FRAMES for t in result.texts)
    json.dumps(result.to_dict())


def test_redact_text_all_masks_the_sign_on_every_frame_and_keep_faces_leaves_it(clip, kept_faces, tmp_path):
    before, kept = _frames(clip), _frames(kept_faces.output)
    assert max(_changed(before[i], kept[i], SIGN) for i in range(N)) < 0.05
    assert any("EXIT" in t["text"] and not t["masked"] for t in kept_faces.texts)
    result = redact_file(clip, tmp_path / "all.mp4", mode="realtime", redact_text="all")
    after = _frames(result.output)
    assert min(_changed(before[i], after[i], SIGN) for i in range(N)) > 0.3  # the letters, on every frame
    assert all(t["masked"] for t in result.texts)
    assert min(_changed(before[i], after[i], _other_box(i)) for i in range(N)) > 0.9  # faces too


def test_the_tag_itself_is_masked_where_it_shows(clip, kept_faces):
    before, after = _frames(clip), _frames(kept_faces.output)
    for i in TAG_FRAMES:
        (wx, wy), _ = _positions(i)
        card = (wx + SIDE // 2 - 115 + 10, wy + SIDE + 50, wx + SIDE // 2 + 105, wy + SIDE + 94)
        assert _changed(before[i], after[i], card) > 0.5, i


def test_a_no_photo_track_cannot_be_kept(clip, kept_faces, tmp_path):
    tagged = kept_faces.nophoto_tracks[0]
    with pytest.raises(RegionsFileError, match="NO PHOTO"):
        redact_file(clip, tmp_path / "x.mp4", mode="realtime", keep_tracks=[tagged], find_tags=True)
    assert not (tmp_path / "x.mp4").exists()


def test_bad_redact_text_choice_for_video_is_refused(clip, tmp_path):
    with pytest.raises(RegionsFileError, match="redact-text"):
        redact_file(clip, tmp_path / "y.mp4", mode="realtime", redact_text="some")
    assert not (tmp_path / "y.mp4").exists()


def test_cli_keep_faces_on_a_video(clip, tmp_path):
    from click.testing import CliRunner

    from safepost.cli import main

    out = tmp_path / "cli.mp4"
    result = CliRunner().invoke(
        main, ["redact", str(clip), "-o", str(out), "--mode", "realtime", "--keep-faces", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["keep_faces"] is True and len(data["nophoto_tracks"]) == 1 and data["searched_frames"] >= 4


def _still(n: int) -> list[Step]:
    return [Step(IDENTITY.copy(), cut=(i == 0)) for i in range(n)]


def test_sightings_bind_to_tracks_and_loose_ones_stay_near_their_frame():
    face = np.array([[100, 50, 160, 120, 0.9]], np.float32)
    detections = {k: face for k in range(0, 30, 3)}
    tracks = VideoTracks(_still(30), detections, TrackSettings(pad=2))
    worn = Sighting(15, "nophoto_tag", (95.0, 150.0, 170.0, 180.0), "NO PHOTO", "ocr")
    loose = Sighting(15, "unread_tag", (400.0, 300.0, 440.0, 320.0), "", "card")
    text = Sighting(15, "text", (10.0, 10.0, 60.0, 20.0), "EXIT", "ocr")
    tracks.bind([worn, loose, text])
    (tid,) = tracks.nophoto
    assert worn.track == tid and loose.track is None and text.track is None
    first = {r.kind for r in tracks.sighting_regions(0, reach=6, width=640, height=360)}
    assert first == {"nophoto_head", "nophoto_tag"}  # the wearer, from frame 0 on, long before the tag was read
    near = {r.kind for r in tracks.sighting_regions(20, reach=6, width=640, height=360)}
    assert near >= {"nophoto_head", "nophoto_tag", "unread_tag", "nophoto_area", "text"}
    tag_region = next(r for r in tracks.sighting_regions(29, reach=6, width=640, height=360) if r.kind == "nophoto_tag")
    assert (tag_region.x0, tag_region.y0) == pytest.approx((95.0, 150.0))  # carried with the wearer's box
