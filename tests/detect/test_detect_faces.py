import numpy as np
import pytest

from safepost.core import DetectionError
from safepost.detect import faces, models
from safepost.detect.faces import FaceDetector, Mode, Pass, fuse, iou_matrix, nms, run_pass
from tests.conftest import ASTRONAUT_FACE, SAMPLES, rgb


def _iou(region, box):
    return float(iou_matrix(np.array([[region.x0, region.y0, region.x1, region.y1]]), np.array([box]))[0, 0])


@pytest.mark.parametrize("mode", ["thorough", "fast"])
def test_finds_the_astronaut(mode):
    found = FaceDetector(mode).detect(rgb(SAMPLES / "astronaut.jpg").astype(np.uint8))
    assert max(_iou(r, ASTRONAUT_FACE) for r in found) > 0.5
    assert [r.id for r in found] == [f"f{i}" for i in range(1, len(found) + 1)]


def test_every_face_of_a_generated_crowd_is_found(crowd):
    image, boxes = crowd
    found = FaceDetector("thorough").detect(image)
    assert len(boxes) >= 3
    for box in boxes:
        assert max((_iou(r, box) for r in found), default=0) > 0.4, box


def test_flat_image_has_no_faces():
    assert FaceDetector("thorough").detect(np.full((300, 400, 3), 128, np.uint8)) == []


@pytest.mark.parametrize("detector", ["centerface", "retinaface", "yunet"])
def test_each_shipped_detector_runs_and_mirrors_back(detector):
    if detector == "yunet":
        pytest.importorskip("yuface", reason="yuface has wheels for Python 3.11 on Linux and Windows only")
    image = rgb(SAMPLES / "astronaut.jpg").astype(np.uint8)
    plain = run_pass(image, Pass(detector, 0.3))
    mirrored = run_pass(image, Pass(detector, 0.3, flip=True))
    assert len(plain) and len(mirrored)
    assert iou_matrix(plain[:1], mirrored[:1])[0, 0] > 0.6
    assert iou_matrix(plain[:1], np.array([ASTRONAUT_FACE]))[0, 0] > 0.4


def test_upscaled_pass_returns_boxes_in_original_coordinates():
    image = rgb(SAMPLES / "astronaut.jpg").astype(np.uint8)
    boxes = run_pass(image, Pass("centerface", 0.3, scale=2.0))
    assert iou_matrix(boxes[:1], np.array([ASTRONAUT_FACE]))[0, 0] > 0.4


def test_nms_and_iou():
    boxes = np.array([[0, 0, 10, 10, 0.9], [1, 1, 10, 10, 0.8], [20, 20, 30, 30, 0.7]], np.float32)
    assert sorted(nms(boxes, 0.5).tolist()) == [0, 2]
    assert iou_matrix(boxes[:1], boxes[:1])[0, 0] == pytest.approx(1.0)
    assert iou_matrix(boxes[:1], boxes[2:3])[0, 0] == 0


def test_fusion_merges_agreeing_passes_and_drops_weak_large_boxes():
    mode = Mode("t", (Pass("centerface", 0.05), Pass("centerface", 0.05, flip=True)), large_face_threshold=0.3)
    a = np.array([[0, 0, 10, 10, 0.1], [50, 50, 60, 60, 0.1], [100, 100, 300, 300, 0.2]], np.float32)
    b = np.array([[1, 0, 10, 11, 0.12], [400, 400, 600, 600, 0.9]], np.float32)
    kept = fuse([a, b], mode)
    assert len(kept) == 3  # the agreed face, the lone small one, the confident large one
    assert sorted(support for _, support, _ in kept) == [1, 1, 2]
    assert all(box[0] != 100 for box, _, _ in kept)  # the weak 200-px box is gone


def test_low_confidence_small_faces_get_a_tighter_mask():
    from safepost.anonymize.masks import MaskSpec, grown_box
    from safepost.core import Region

    sure = Region(id="a", kind="face", x0=0, y0=0, x1=20, y1=20, score=0.9)
    unsure = Region(id="b", kind="face", x0=0, y0=0, x1=20, y1=20, score=0.1)
    big_unsure = Region(id="c", kind="face", x0=0, y0=0, x1=60, y1=60, score=0.1)
    assert grown_box(unsure, MaskSpec())[0] > grown_box(sure, MaskSpec())[0]
    assert grown_box(big_unsure, MaskSpec())[0] == -0.3 * 60


def test_missing_model_file_is_a_detection_error(monkeypatch, tmp_path):
    monkeypatch.setattr(models, "VENDOR", tmp_path)  # as if the build had not put the model files in
    models.centerface_session.cache_clear()
    try:
        with pytest.raises(DetectionError, match="CenterFace model file is missing .* reinstall safepost"):
            models.centerface_session()
    finally:
        models.centerface_session.cache_clear()


def test_a_crashing_model_becomes_a_detection_error(monkeypatch):
    def boom(image, threshold):
        raise RuntimeError("simulated failure")

    monkeypatch.setitem(faces._DETECTORS, "retinaface", boom)
    monkeypatch.setitem(faces._DETECTORS, "centerface", boom)
    with pytest.raises(DetectionError, match="simulated failure"):
        FaceDetector("fast").detect(np.zeros((64, 64, 3), np.uint8))


def test_unknown_mode_and_bad_pixels_are_refused():
    with pytest.raises(DetectionError):
        FaceDetector("sloppy")
    with pytest.raises(DetectionError):
        FaceDetector("fast").detect(np.zeros((64, 64), np.uint8))
