"""core.Region: the one box type, with its two documented serialisations."""

from __future__ import annotations

from safepost.core import Region

REDACT_KEYS = ["id", "kind", "x0", "y0", "x1", "y1", "score", "source", "frame", "label"]
REPORT_KEYS = ["id", "kind", "box", "score", "decision", "person_id", "reason", "nophoto", "text", "unsure"]


def test_redact_json_keeps_its_keys_and_shows_decide_fields_only_when_set():
    face = Region("f1", "face", 10.12345, 20, 50, 80, score=0.91234, source="yunet")
    assert list(face.to_dict()) == REDACT_KEYS
    assert face.to_dict()["x0"] == 10.123 and face.to_dict()["score"] == 0.912
    face.decision, face.person, face.reason = "keep", "P-1", "consent 3"
    assert {k: face.to_dict()[k] for k in ("decision", "person", "reason")} == {
        "decision": "keep",
        "person": "P-1",
        "reason": "consent 3",
    }
    assert "track" not in face.to_dict()


def test_report_form_round_trips_and_hides_the_thumbnail_unless_asked():
    region = Region.of_box("t1", "track", [1, 2, 30, 40], 0.8, nophoto=True, text="NO PHOTO", track="t1")
    region.decision, region.person = "keep", "P-9"
    region.thumbnail = "FACE-PIXELS"
    d = region.report_dict()
    assert list(d) == REPORT_KEYS
    assert d["box"] == [1, 2, 30, 40] and d["nophoto"] is True and d["text"] == "NO PHOTO" and d["unsure"] is False
    assert "FACE-PIXELS" not in str(d)
    shown = region.report_dict(thumbnails=True)
    assert shown["thumbnail_jpeg_base64"] == "FACE-PIXELS"
    again = Region.from_report_dict(shown)
    assert again.report_dict(thumbnails=True) == shown
    assert (again.x0, again.y1, again.person, again.decision) == (1, 40, "P-9", "keep")


def test_a_plain_face_is_masked_by_default():
    face = Region.of_box("f2", "face", [0, 0, 5, 5])
    assert (face.decision, face.person, face.nophoto, face.unsure, face.text) == ("mask", None, False, False, None)
