"""`prepare` always converges (issue 17 item 3): what the check of the masked copy still finds is
covered from the original and listed; the only refusals left are decisions a person must take, said
without region ids."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from safepost.consent import people
from safepost.core import Finding, PostBlockedError, Region
from safepost.flows.post_media import MediaAnalyser
from safepost.flows.prepare import plain, prepare_post
from safepost.flows.recheck import MAX_RECHECKS
from safepost.post import load_post, new_post
from safepost.workspace.db import Workspace
from safepost.workspace.keys import KdfParams
from tests.conftest import SAMPLES, changed_fraction

PASS = "correct horse battery staple"
#: an internal region id (f9, t3, c1, m2, w0) as a word of its own
REGION_ID = re.compile(r"\b[a-z]{1,2}\d+\b")


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    ws = Workspace.create(tmp_path_factory.mktemp("ws") / "ws", PASS, kdf=KdfParams.insecure_fast(), actor="tester")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def detector():
    from safepost.detect.faces import FaceDetector

    return FaceDetector("thorough")


def _post(folder: Path, name: str, photo: bytes, **meta_fields):
    new_post(folder)
    (folder / name).write_bytes(photo)
    (folder / "post.txt").write_text("Our community workshop today. Thank you to everyone who came!\n")
    meta = yaml.safe_load((folder / "post.yaml").read_text())
    meta.update(media=[name], platforms=["instagram"], publish_at="2026-12-20T10:00:00Z", **meta_fields)
    (folder / "post.yaml").write_text(yaml.safe_dump(meta))
    return load_post(folder)


def _jpeg(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8)).save(out, "JPEG", quality=92)
    return out.getvalue()


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(np.int16)


def _photo(result) -> np.ndarray:
    return _pixels(result.files[result.after.media[0].name])


@pytest.mark.parametrize("which", ["crowd", "astronaut"])
def test_an_ordinary_photo_post_always_prepares(which, crowd, ws, detector, tmp_path):
    if which == "crowd":  # three generated faces on noise, 50 to 240 px wide
        rgb, faces = crowd[0], crowd[1]
    else:  # a real photo
        rgb, faces = np.asarray(Image.open(SAMPLES / "astronaut.jpg").convert("RGB")), [(180, 65, 265, 175)]
    post = _post(tmp_path / "post", "photo.jpg", _jpeg(rgb))
    result = prepare_post(post, ws, analyser=MediaAnalyser(detector))
    assert result.after.level != "blocked"
    after = _photo(result)
    for box in faces:
        assert changed_fraction(rgb, after, box) > 0.5, box
    assert "covered" in result.to_dict()


class MaskedCopyDetector:
    """Finds ``face`` on the original; on any other picture (a masked copy) also ``extra`` boxes:
    ``extra(n)`` gives the box of the n-th call on a masked copy, or None."""

    def __init__(self, original: np.ndarray, face, extra):
        self.original, self.face, self.extra = original, face, extra
        self.calls = 0
        self.found: list[tuple[int, int, int, int]] = []

    def detect(self, rgb, frame=0, first_id=1):
        boxes = [self.face]
        if not np.array_equal(rgb, self.original):  # the original is found once, the rest are masked copies
            box = self.extra(self.calls)
            if box is not None:
                boxes.append(box)
                self.found.append(box)
            self.calls += 1
        return [Region(f"f{first_id + n}", "face", *b, score=0.9, source="fake") for n, b in enumerate(boxes)]


def test_a_face_only_on_the_masked_copy_is_masked_not_refused(crowd, ws, tmp_path):
    rgb = crowd[0]
    extra = (560, 60, 640, 150)  # plain background in the crowd scene: a face the first look missed
    photo = _jpeg(rgb)
    fake = MaskedCopyDetector(_pixels(photo), crowd[1][0], lambda n: extra)
    post = _post(tmp_path / "post", "photo.jpg", photo)
    result = prepare_post(post, ws, analyser=MediaAnalyser(fake))
    after = _photo(result)
    assert changed_fraction(rgb, after, crowd[1][0]) > 0.5
    assert changed_fraction(rgb, after, extra) > 0.5  # the leak is covered
    assert result.covered == ["1 more face was found on the masked copy of photo.jpg and covered"]
    assert result.to_dict()["covered"] == result.covered
    assert b"1 more face was found on the masked copy" in result.files["report.md"]
    assert result.after.level != "blocked"
    # the second look sees the extra box on its own mask: that is the mask, not a new face
    assert fake.calls == 2


def test_a_detector_that_keeps_finding_more_is_bounded_and_everything_found_is_covered(crowd, ws, tmp_path):
    rgb = crowd[0]
    spots = [(560 + 70 * (n % 4), 40 + 120 * (n // 4), 620 + 70 * (n % 4), 110 + 120 * (n // 4)) for n in range(12)]
    photo = _jpeg(rgb)
    fake = MaskedCopyDetector(_pixels(photo), crowd[1][0], lambda n: spots[n])  # a new "face" on every masked copy
    post = _post(tmp_path / "post", "photo.jpg", photo)
    result = prepare_post(post, ws, analyser=MediaAnalyser(fake))
    assert fake.calls == MAX_RECHECKS  # never more looks than that
    after = _photo(result)
    for box in fake.found:
        assert changed_fraction(rgb, after, box) > 0.5, box
    assert result.covered == [f"{MAX_RECHECKS} more faces were found on the masked copy of photo.jpg and covered"]
    assert result.after.level != "blocked"


def _refusal(*args, **kwargs) -> str:
    with pytest.raises(PostBlockedError) as caught:
        prepare_post(*args, **kwargs)
    assert caught.value.exit_code == 14
    return str(caught.value)


def test_the_refusals_left_are_decisions_in_plain_words_without_region_ids(crowd, ws, detector, tmp_path):
    from safepost.decide.policy import Policy, Thresholds

    analyser = MediaAnalyser(detector)
    post = _post(tmp_path / "post", "photo.jpg", _jpeg(crowd[0]))
    strict = Policy(thresholds=Thresholds(medium=1, high=1), high_approvers=["Rosa Chief"])
    messages = [
        _refusal(post, ws, policy=strict, analyser=analyser),
        _refusal(post, ws, policy=strict, approve_by="Someone Else", analyser=analyser),
    ]
    assert "second reviewer" in messages[0] and "--approve-by" in messages[0]
    assert "Rosa Chief" in messages[1]
    third = _post(tmp_path / "third", "photo.jpg", _jpeg(crowd[0]), source={"kind": "third-party"})
    messages.append(_refusal(third, ws, analyser=analyser))
    assert "benefit" in messages[-1] and "post.yaml" in messages[-1]
    for message in messages:
        assert not REGION_ID.search(message), message
    assert prepare_post(post, ws, policy=strict, approve_by="Rosa Chief", analyser=analyser).approved_by == "Rosa Chief"


def test_a_refusal_says_a_finding_without_its_region_id():
    finding = Finding(
        "identifiable_minor", "high", "Face f9 is recognisable", "w", "Mask the face.", where="a.jpg", region="f9"
    )
    said = plain(finding)
    assert "f9" not in said and said.startswith("A face is recognisable (in a.jpg)") and "Mask the face." in said


def test_a_face_asked_to_be_shown_without_consent_stays_masked(crowd, ws, detector, tmp_path):
    """Not a refusal: the face stays masked (fail closed) and the report says why."""
    person = people.add_person(ws, "Nadia Consentless")
    rgb, faces = crowd
    _post(tmp_path / "post", "photo.jpg", _jpeg(rgb))
    (tmp_path / "post" / "review.yaml").write_text(
        yaml.safe_dump({"keep": [{"media": "photo.jpg", "box": list(faces[0]), "person_id": person.id}]})
    )
    result = prepare_post(load_post(tmp_path / "post"), ws, analyser=MediaAnalyser(detector))
    assert changed_fraction(rgb, _photo(result), faces[0]) > 0.5
    assert any(f.kind == "keep_refused" for f in result.before.findings)
