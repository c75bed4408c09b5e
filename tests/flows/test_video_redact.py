"""Video anonymisation end to end on a generated clip: a public-domain face moving across frames."""

import av
import numpy as np
import pytest
from PIL import Image

from safepost.core import InputError, RegionsFileError
from safepost.detect.motion import MotionEstimator, warp_boxes
from safepost.flows.media import list_tracks, redact_file
from safepost.flows.video import VIDEO_MODES
from tests.conftest import ASTRONAUT_FACE, SAMPLES

W, H, N = 320, 240, 24


def _face_positions():
    """Top-left of the pasted 128x128 astronaut crop per frame: a steady pan."""
    return [(10 + 7 * i, 40 + (i % 3)) for i in range(N)]


def _face_box(i):
    x, y = _face_positions()[i]
    fx0, fy0, fx1, fy1 = ASTRONAUT_FACE
    s = 128 / 256  # crop 150..406 scaled to 128
    return (int(x + (fx0 - 150) * s), int(y + (fy0 - 30) * s), int(x + (fx1 - 150) * s), int(y + (fy1 - 30) * s))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    face = Image.open(SAMPLES / "astronaut.jpg").convert("RGB").crop((150, 30, 406, 286)).resize((128, 128))
    rng = np.random.default_rng(3)
    background = rng.integers(60, 200, (H, W, 3), dtype=np.uint8)
    path = tmp_path_factory.mktemp("video") / "walk.mp4"
    with av.open(str(path), "w") as out:
        out.metadata["location"] = "+48.8584+002.2945/"
        video = out.add_stream("libx264", rate=12)
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        audio = out.add_stream("aac", rate=16000)
        audio.layout = "mono"
        for x, y in _face_positions():
            frame = Image.fromarray(background.copy())
            frame.paste(face, (x, y))
            out.mux(video.encode(av.VideoFrame.from_ndarray(np.asarray(frame), format="rgb24")))
        for k in range(32):
            tone = (0.2 * np.sin(np.arange(1024) * 0.05 + k)).astype(np.float32)[None]
            chunk = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            chunk.sample_rate, chunk.pts = 16000, k * 1024
            out.mux(audio.encode(chunk))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return path


def _frames(path):
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24").astype(np.int16) for f in c.decode(video=0)]


def _changed(a, b, box):
    x0, y0, x1, y1 = box
    return float((np.abs(a[y0:y1, x0:x1] - b[y0:y1, x0:x1]) > 24).any(axis=2).mean())


@pytest.mark.parametrize("mode", ["thorough", "realtime"])
def test_the_face_is_masked_in_every_frame(clip, tmp_path, mode):
    out = tmp_path / "out.mp4"
    result = redact_file(clip, out, mode=mode)
    assert result.frames == N and result.output == out and result.tracks
    before, after = _frames(clip), _frames(out)
    assert len(after) == N
    assert min(_changed(before[i], after[i], _face_box(i)) for i in range(N)) > 0.9
    with av.open(str(out)) as c:
        assert len(c.streams.audio) == 1 and not c.metadata.get("location")


def test_tracks_have_thumbnails_and_keep_track_leaves_one_face(clip, tmp_path):
    found = list_tracks(clip, mode="realtime")
    main = max(found, key=lambda t: t["detections"])
    assert main["thumbnail_jpeg_base64"] and main["first_frame"] == 0
    out = tmp_path / "kept.mp4"
    result = redact_file(clip, out, mode="realtime", keep_tracks=[main["id"]])
    assert result.kept == [main["id"]]
    before, after = _frames(clip), _frames(out)
    kept_frames = [i for i in range(N) if _changed(before[i], after[i], _face_box(i)) < 0.2]
    assert len(kept_frames) >= N // 2  # the consented face stays visible where its track is
    with pytest.raises(RegionsFileError, match="no such track"):
        redact_file(clip, tmp_path / "x.mp4", mode="realtime", keep_tracks=["t999"])
    assert not (tmp_path / "x.mp4").exists()


def test_audio_drop_and_interrupt_leaves_nothing(clip, tmp_path, monkeypatch):
    out = tmp_path / "silent.mp4"
    redact_file(clip, out, mode="realtime", audio="drop")
    with av.open(str(out)) as c:
        assert not c.streams.audio
    from safepost.anonymize import video as video_anon

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(video_anon, "apply_masks", interrupted)
    with pytest.raises(KeyboardInterrupt):
        redact_file(clip, tmp_path / "partial.mp4", mode="realtime")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["silent.mp4"]


def test_damaged_video_gets_an_error_and_no_output(clip, tmp_path):
    broken = tmp_path / "cut.mp4"
    broken.write_bytes(clip.read_bytes()[: clip.stat().st_size // 3])
    with pytest.raises(InputError):
        redact_file(broken, tmp_path / "o.mp4", mode="realtime")
    assert not (tmp_path / "o.mp4").exists()


def test_motion_follows_a_camera_pan_and_sees_a_cut():
    import cv2

    rng = np.random.default_rng(5)
    scene = cv2.GaussianBlur(rng.integers(0, 255, (400, 600, 3), dtype=np.uint8), (5, 5), 0)
    motion = MotionEstimator()
    assert motion.step(scene[50:290, 50:370]).cut  # first frame starts a scene
    step = motion.step(scene[53:293, 43:363])  # the camera moved 7 px right and 3 px down
    assert not step.cut
    box = warp_boxes(np.array([[100.0, 100.0, 140.0, 150.0, 1.0]]), step.matrix)[0]
    assert abs(box[0] - 107) < 1 and abs(box[1] - 97) < 1
    other = np.full((240, 320, 3), 250, np.uint8)
    assert motion.step(other).cut


def test_modes_are_listed():
    assert {"thorough", "realtime"} <= set(VIDEO_MODES)


def test_tracks_interpolate_pad_and_never_cross_a_cut():
    from safepost.detect.motion import IDENTITY, Step
    from safepost.detect.tracking import TrackSettings, VideoTracks

    shift = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]])  # the camera pans: content moves 2 px right a frame
    steps = [Step(IDENTITY.copy(), cut=True)] + [Step(shift.copy()) for _ in range(9)]
    steps[6] = Step(IDENTITY.copy(), cut=True)  # a scene cut at frame 6
    face = np.array([[10, 10, 30, 30, 0.9]], np.float32)
    detections = {0: face, 3: face + [6, 0, 6, 0, 0], 6: face, 9: face}
    tracks = VideoTracks(steps, detections, TrackSettings(pad=2, max_gap=6, growth_per_frame=0.0))
    first = [t for t in tracks.tracks if t.scene == 0]
    assert len(first) == 1 and first[0].keyframes == [0, 3]  # linked through the camera motion
    (at2,) = tracks.regions(2)
    assert abs(at2.x0 - 14) < 0.5  # carried with the camera between detections
    assert all(r.extra["track"] != first[0].id for r in tracks.regions(6))  # nothing crosses the cut
    assert len(tracks.regions(5)) == 1  # padded after its last detection, inside its scene

    weak = {0: np.array([[50, 50, 60, 60, 0.1]], np.float32)}
    dropped = VideoTracks(steps[:3], weak, TrackSettings(drop_unconfirmed=True))
    assert dropped.regions(0) == []  # one weak sighting is not masked when asked
    kept = VideoTracks(steps[:3], weak, TrackSettings())
    assert len(kept.regions(0)) == 1 and kept.regions(2) == []  # otherwise masked briefly


def test_decode_ahead_keeps_order_raises_decoder_errors_and_stops_early():
    from safepost.flows.video import _prefetched

    def frames(fail_at=None):
        for i in range(50):
            if i == fail_at:
                raise InputError("damaged video")
            yield i

    assert list(_prefetched(frames())) == list(range(50))
    got = []
    with pytest.raises(InputError, match="damaged"):
        for item in _prefetched(frames(fail_at=7)):
            got.append(item)
    assert got == list(range(7))
    stream = _prefetched(frames())
    assert next(stream) == 0
    stream.close()  # the decode thread is told to stop and joined


def test_tracks_json_prints_no_face_pixels_unless_asked_and_then_masked(clip):
    import base64
    import io
    import json

    from click.testing import CliRunner
    from PIL import Image

    from safepost.cli import main

    result = CliRunner().invoke(main, ["tracks", str(clip), "--mode", "realtime", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)["tracks"]
    assert listed and all("thumbnail" not in key for t in listed for key in t)
    assert "/9j/" not in result.stdout  # no base64 JPEG anywhere
    result = CliRunner().invoke(
        main, ["tracks", str(clip), "--mode", "realtime", "--json", "--thumbnails", "masked"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    for track in json.loads(result.stdout)["tracks"]:
        with Image.open(io.BytesIO(base64.b64decode(track["thumbnail_masked_jpeg_base64"]))) as im:
            rgb = np.asarray(im.convert("RGB")).astype(int)
        h, w = rgb.shape[:2]
        face = rgb[round(h * 0.1875) : round(h * 0.8125), round(w * 0.1875) : round(w * 0.8125)]
        assert np.abs(face - 128).max() <= 24  # the face area is one flat fill (JPEG ringing aside)
