"""Fragments of one face are joined after linking; different people never are; short tracks are
counted, not listed, and stay masked."""

import json

import numpy as np
from click.testing import CliRunner

from safepost.detect.motion import IDENTITY, Step
from safepost.detect.tracking import TrackSettings, VideoTracks

N = 60
SETTINGS = TrackSettings(pad=2, max_gap=9, join_gap=30, list_min_detections=4, list_min_score=0.5)


def _pan(dx: float = 4.0, n: int = N, cut: int | None = None) -> list[Step]:
    """The camera pans: the picture moves ``dx`` px right a frame (a scene cut at ``cut``)."""
    shift = np.array([[1.0, 0.0, dx], [0.0, 1.0, 0.0]])
    return [Step(IDENTITY.copy(), cut=True)] + [Step(shift.copy(), cut=i == cut) for i in range(1, n)]


def _face(x: float, y: float = 100.0, size: float = 30.0, score: float = 0.9) -> np.ndarray:
    return np.array([x, y, x + size, y + size, score], np.float32)


def _detections(faces_at) -> dict[int, np.ndarray]:
    """Keyframes every 5th frame (and the last): ``faces_at(frame)`` lists the boxes found there."""
    out = {}
    for key in [*range(0, N, 5), N - 1]:
        boxes = faces_at(key)
        out[key] = np.stack(boxes) if boxes else np.zeros((0, 5), np.float32)
    return out


def _missed(key: int) -> bool:
    return 15 < key < 35  # the detector loses the face for 20 frames (longer than max_gap)


def test_two_fragments_of_one_moving_face_across_a_gap_are_joined():
    detections = _detections(lambda k: [] if _missed(k) else [_face(20 + 4 * k)])
    unjoined = VideoTracks(_pan(), detections, TrackSettings(pad=2, max_gap=9))
    assert len(unjoined.tracks) == 2  # linking alone leaves two pieces
    tracks = VideoTracks(_pan(), detections, SETTINGS)
    (track,) = tracks.tracks
    assert track.joined == [unjoined.tracks[1].id] and track.keyframes[0] == 0 and track.keyframes[-1] == N - 1
    assert tracks.listed(track)


def test_the_camera_drift_of_a_fast_pan_is_taken_out():
    """A whip pan (60 px a frame) while the detector sees nothing; the measured motion falls 45 px
    (1.5 faces) short of the true one, for every face alike. Five faces agree on the drift."""
    moves = [60.0 if 18 <= i <= 30 else 4.0 for i in range(N)]
    steps = [Step(IDENTITY.copy(), cut=True)] + [
        Step(np.array([[1.0, 0.0, moves[i]], [0.0, 1.0, 0.0]])) for i in range(1, N)
    ]
    moved = np.cumsum([0.0, *moves[1:]])

    def faces_at(key, count=5):
        if _missed(key):
            return []
        drift = 45.0 if key >= 35 else 0.0
        return [_face(20 + 80 * i + moved[key] + drift, y=100 + 50 * i) for i in range(count)]

    tracks = VideoTracks(steps, _detections(faces_at), SETTINGS)
    assert len(tracks.tracks) == 5 and all(len(t.joined) == 1 for t in tracks.tracks)
    lone = _detections(lambda k: faces_at(k, count=1))  # one face alone: the drift cannot be told
    assert len(VideoTracks(steps, lone, SETTINGS).tracks) == 2


def test_different_people_near_each_other_are_not_joined():
    def two_after(k):
        if k <= 15:
            return [_face(20 + 4 * k)]
        if k < 35:
            return []
        # two people where the first one would be, 0.3 face apart: which one is it?
        return [_face(20 + 4 * k - 5, y=95), _face(20 + 4 * k + 5, y=105)]

    tracks = VideoTracks(_pan(), _detections(two_after), SETTINGS)
    assert len(tracks.tracks) == 3 and not any(t.joined for t in tracks.tracks)

    def elsewhere(k):  # someone else, 1.5 faces away, or twice the size
        return [] if _missed(k) else [_face(20 + 4 * k + (45 if k >= 35 else 0))]

    assert len(VideoTracks(_pan(), _detections(elsewhere), SETTINGS).tracks) == 2

    def bigger(k):
        return [] if _missed(k) else [_face(20 + 4 * k, size=60 if k >= 35 else 30)]

    assert len(VideoTracks(_pan(), _detections(bigger), SETTINGS).tracks) == 2
    one = _detections(lambda k: [] if _missed(k) else [_face(20 + 4 * k)])
    assert len(VideoTracks(_pan(cut=25), one, SETTINGS).tracks) == 2  # never across a scene cut


def test_people_crossing_are_not_joined():
    """Two people walk towards each other and cross while the detector misses both: each ends up
    where the other was last seen, but walks the other way, so no piece is joined to the other."""

    def crossing(k):
        if _missed(k):
            return []
        return [_face(100 + 4 * k + 3 * k), _face(250 + 4 * k - 3 * k)]  # 3 px a frame, each way

    tracks = VideoTracks(_pan(), _detections(crossing), SETTINGS)
    assert len(tracks.tracks) == 4 and not any(t.joined for t in tracks.tracks)


def test_a_kept_track_stays_kept_through_the_join_and_others_stay_masked():
    def faces(k):
        out = [] if _missed(k) else [_face(20 + 4 * k)]
        return [*out, _face(300 + 4 * k, y=300)]  # someone else, seen throughout

    tracks = VideoTracks(_pan(), _detections(faces), SETTINGS)
    kept = next(t for t in tracks.tracks if t.joined)
    other = next(t for t in tracks.tracks if t is not kept)
    for frame in (5, 45, N - 1):  # before and after the gap
        assert [r.extra["track"] for r in tracks.regions(frame, skip={kept.id})] == [other.id]
        assert {r.extra["track"] for r in tracks.regions(frame)} == {kept.id, other.id}


def test_short_tracks_are_not_listed_but_masked():
    short = {0: np.stack([_face(20)]), 5: np.stack([_face(40)]), 10: np.zeros((0, 5), np.float32)}
    tracks = VideoTracks(_pan(n=11), short, SETTINGS)
    (track,) = tracks.tracks
    assert tracks.confirmed(track) and tracks.masked(track) and not tracks.listed(track)
    assert [r.extra["track"] for r in tracks.regions(5)] == [track.id]  # still masked
    faint = {k: np.stack([_face(20 + 4 * k, score=0.3)]) for k in range(0, 40, 5)}
    tracks = VideoTracks(_pan(n=40), faint, SETTINGS)
    assert not tracks.listed(tracks.tracks[0]) and tracks.regions(20)  # long but faint: masked, unlisted


def test_safepost_tracks_lists_the_choosable_tracks_and_counts_the_rest(monkeypatch, tmp_path):
    import safepost.flows.media
    from safepost.cli import main

    def summary(tid, listed, masked=True, joined=()):
        return {
            "id": tid,
            "scene": 0,
            "first_frame": 0,
            "last_frame": 50,
            "detections": 10 if listed else 2,
            "best_score": 0.8,
            "box": [0, 0, 10, 10],
            "listed": listed,
            "masked": masked,
            "joined": list(joined),
            "thumbnail_jpeg_base64": "",
        }

    found = [
        summary("t1", True, joined=["t7"]),
        summary("t2", False),
        summary("t3", False),
        summary("t4", False, False),
    ]
    monkeypatch.setattr(safepost.flows.media, "list_tracks", lambda video, mode, **_: [dict(t) for t in found])
    video = tmp_path / "v.mp4"
    result = CliRunner().invoke(main, ["tracks", str(video)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "t1" in result.output and "joined from 2 pieces" in result.output
    assert "t2" not in result.output and "t3" not in result.output
    assert "2 short or faint track(s), always masked" in result.output
    result = CliRunner().invoke(main, ["tracks", str(video), "--json"], catch_exceptions=False)
    data = json.loads(result.stdout)
    assert [t["id"] for t in data["tracks"]] == ["t1"] and data["short_tracks"] == 2 and data["false_alarms"] == 1
    result = CliRunner().invoke(main, ["tracks", str(video), "--all"], catch_exceptions=False)
    assert "t2" in result.output and "short, always masked" in result.output


def test_prepare_masks_a_short_track_marked_keep(monkeypatch, tmp_path):
    import safepost.flows.media
    from safepost.core import Region
    from safepost.core.report import AnalysedMedia, MediaReport
    from safepost.flows import prepare

    long_face = {k: np.stack([_face(20 + 4 * k)]) for k in range(0, 40, 5)}
    long_face[0] = np.stack([_face(20), _face(300, y=300)])  # and a glimpse of someone else
    long_face[5] = np.stack([_face(40), _face(320, y=300)])
    tracks = VideoTracks(_pan(n=40), long_face, SETTINGS)
    person, glimpse = tracks.tracks
    assert tracks.listed(person) and not tracks.listed(glimpse) and tracks.masked(glimpse)
    report = MediaReport(name="v.mp4", kind="video")
    report.regions = [Region.of_box(t.id, "track", [0, 0, 10, 10], decision="keep") for t in tracks.tracks]
    seen = {}

    def fake_redact(source, target, keep_tracks=(), **options):
        seen.update(kept=keep_tracks)
        target.write_bytes(b"video")

    monkeypatch.setattr(safepost.flows.media, "redact_video", fake_redact)
    data = prepare._mask_video(AnalysedMedia(report=report, path=tmp_path / "v.mp4", tracks=tracks), "v.mp4")
    assert data == b"video"
    assert seen["kept"] == [person.id]  # the glimpse stays masked
