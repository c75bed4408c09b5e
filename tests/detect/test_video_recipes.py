"""Video detection recipes: weak boxes verified by a second detector, masks stretched along fast pans."""

import numpy as np
import pytest

from safepost.detect import faces
from safepost.detect.faces import FaceDetector, Mode, Pass, iou_matrix, verified
from safepost.detect.motion import IDENTITY, Step, camera_speed
from safepost.detect.tracking import TrackSettings, VideoTracks
from safepost.flows.video import VIDEO_REALTIME, VIDEO_THOROUGH
from tests.conftest import ASTRONAUT_FACE, SAMPLES, rgb


def _face(x, score):
    return np.array([x, 10, x + 20, 30, score], np.float32), 1, [0]


def test_weak_faces_need_the_second_detector_strong_ones_do_not():
    mode = Mode("t", (Pass("centerface", 0.05),), verify=Pass("retinaface", 0.1), verify_below=0.3)
    found = [_face(0, 0.1), _face(100, 0.1), _face(200, 0.8)]
    checks = np.array([[2, 11, 21, 31, 0.5]], np.float32)  # the second detector saw the first face only
    kept = verified(found, checks, mode)
    assert [float(box[0]) for box, _, _ in kept] == [0.0, 200.0]
    assert [float(box[0]) for box, _, _ in verified(found, np.empty((0, 5), np.float32), mode)] == [200.0]
    assert verified([], checks, mode) == []


def test_detector_runs_the_check_only_for_weak_boxes_and_drops_unconfirmed_ones(monkeypatch):
    calls = []
    first = np.array([[10, 10, 30, 30, 0.1], [60, 10, 80, 30, 0.9]], np.float32)
    second = np.array([[11, 10, 31, 30, 0.4]], np.float32)

    def fake(image, threshold):
        calls.append(threshold)
        return (first if threshold == 0.05 else second).copy()

    monkeypatch.setitem(faces._DETECTORS, "centerface", fake)
    monkeypatch.setitem(faces._DETECTORS, "retinaface", fake)
    mode = Mode("t", (Pass("centerface", 0.05),), verify=Pass("retinaface", 0.2), verify_below=0.3)
    found = FaceDetector(mode).detect(np.zeros((64, 96, 3), np.uint8))
    assert len(found) == 2 and calls == [0.05, 0.2]  # the weak face was confirmed, the check ran once
    second = np.empty((0, 5), np.float32)
    assert [r.x0 for r in FaceDetector(mode).detect(np.zeros((64, 96, 3), np.uint8))] == [60.0]
    first = first[1:]
    calls.clear()
    assert len(FaceDetector(mode).detect(np.zeros((64, 96, 3), np.uint8))) == 1
    assert calls == [0.05]  # nothing weak: the second detector is not run


def test_thorough_video_recipe_still_finds_a_real_face():
    found = FaceDetector(VIDEO_THOROUGH.detection).detect(rgb(SAMPLES / "astronaut.jpg").astype(np.uint8))
    boxes = np.array([[r.x0, r.y0, r.x1, r.y1] for r in found])
    assert iou_matrix(boxes, np.array([ASTRONAUT_FACE], float)).max() > 0.5


def test_camera_speed_takes_the_faster_of_the_moves_into_and_out_of_a_frame():
    pan = np.array([[1.0, 0.0, -40.0], [0.0, 1.0, 5.0]])
    steps = [Step(IDENTITY.copy(), cut=True), Step(IDENTITY.copy()), Step(pan), Step(IDENTITY.copy())]
    steps.append(Step(pan.copy(), cut=True))  # a cut is no motion
    speed = camera_speed(steps)
    assert speed.tolist() == [[0, 0], [40, 5], [40, 5], [0, 0], [0, 0]]
    assert camera_speed([]).shape == (0, 2)


@pytest.mark.parametrize("blur_growth", [0.0, 0.5])
def test_masks_stretch_along_a_fast_pan_only_when_asked(blur_growth):
    pan = np.array([[1.0, 0.0, 100.0], [0.0, 1.0, 0.0]])
    steps = [Step(IDENTITY.copy(), cut=True), Step(IDENTITY.copy()), Step(pan), Step(IDENTITY.copy())]
    face = np.array([[200, 100, 240, 140, 0.9]], np.float32)
    settings = TrackSettings(growth_per_frame=0.0, blur_growth=blur_growth)
    tracks = VideoTracks(steps, {0: face, 3: face + [100, 0, 100, 0, 0]}, settings)
    (still,) = tracks.regions(0)
    (panning,) = tracks.regions(1)  # the picture moves 100 px into the next frame
    assert still.x1 - still.x0 == pytest.approx(40)
    assert panning.x1 - panning.x0 == pytest.approx(40 + 2 * 100 * blur_growth)
    assert panning.y1 - panning.y0 == pytest.approx(40)  # no vertical move, no vertical stretch


def test_realtime_keeps_its_measured_recipe():
    assert VIDEO_REALTIME.tracking.blur_growth == 0.0
    assert VIDEO_REALTIME.detection.verify is None
    assert VIDEO_REALTIME.detection.passes == (Pass("retinaface", 0.16, scale=0.75),)
    assert VIDEO_REALTIME.weak_score == 0.35


@pytest.mark.parametrize("mode", [VIDEO_THOROUGH, VIDEO_REALTIME])
def test_weak_faces_get_smaller_masks_whatever_their_size(mode):
    from safepost.anonymize.masks import coverage_mask
    from safepost.anonymize.spec import MaskSpec
    from safepost.core import Region

    spec = mode.masks(MaskSpec(style="noise", shape="box"))
    assert (spec.style, spec.shape) == ("noise", "box")  # the user's choices stay

    def area(score):
        face = Region("t1", "face", 100, 100, 180, 180, score=score)  # 80 px: not small
        return int(coverage_mask((400, 400), [face], spec).sum())

    assert area(mode.weak_score - 0.01) < area(mode.weak_score) == area(0.9)
    assert area(0.0) > 80 * 80  # still more than the box itself


def test_a_mode_without_a_weak_rule_leaves_the_masks_alone():
    from safepost.anonymize.spec import MaskSpec
    from safepost.flows.video import VideoMode

    spec = MaskSpec()
    assert VideoMode("t", VIDEO_REALTIME.detection, stride=2).masks(spec) is spec


def test_a_pass_keeps_only_the_face_sizes_it_answers_for(monkeypatch):
    small, large = [10, 10, 30, 30, 0.5], [100, 10, 160, 70, 0.5]  # 20 px and 60 px in the 2x image
    monkeypatch.setitem(faces._DETECTORS, "centerface", lambda image, threshold: np.array([small, large], np.float32))
    image = np.zeros((120, 200, 3), np.uint8)
    small_only = faces.run_pass(image, Pass("centerface", 0.1, scale=2.0, max_size=20.0))
    assert small_only[:, :4].tolist() == [[5, 5, 15, 15]]  # 10 px in the frame: kept; 30 px: dropped
    large_only = faces.run_pass(image, Pass("centerface", 0.1, scale=2.0, min_size=20.0))
    assert large_only[:, :4].tolist() == [[50, 5, 80, 35]]


def test_the_small_face_pass_runs_on_frames_too_big_to_upscale(monkeypatch):
    """A pass that alone answers for small faces is run at the largest allowed size, never skipped:
    skipping it would leave small faces to no pass at all."""
    sizes = []

    def fake(image, threshold):
        sizes.append(image.shape[1])
        return np.empty((0, 5), np.float32)

    monkeypatch.setitem(faces._DETECTORS, "centerface", fake)
    frame = np.zeros((216, 384, 3), np.uint8)
    faces.run_pass(frame, Pass("centerface", 0.1, scale=1.5, max_size=28.0, max_long_side=400))
    faces.run_pass(frame, Pass("centerface", 0.1, scale=1.5, max_long_side=400))  # no window: skipped
    assert sizes == [400]


def test_thorough_video_splits_face_sizes_between_two_scales():
    small, large = VIDEO_THOROUGH.detection.passes
    assert small.scale > 1 and large.scale < 1
    assert small.max_size > large.min_size  # every size is some pass's job, even measured a little off
    assert small.min_size == 0 and large.max_size == float("inf")
