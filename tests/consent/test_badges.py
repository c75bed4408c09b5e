"""Name-tag PDFs: NO PHOTO tags carry ArUco marker 7 (DICT_4X4_50) that OpenCV finds; others carry none."""

from __future__ import annotations

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from safepost.consent import badges, events, people, registry
from safepost.consent.badges import NO_PHOTO_MARKER_ID, Badge, render_badge
from safepost.core import RegistryError
from safepost.flows.consent import make_badges, plan_badges
from safepost.workspace.db import Workspace
from safepost.workspace.keys import KdfParams


def markers(rgb: np.ndarray) -> list[int]:
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    _, ids, _ = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters()).detectMarkers(grey)
    return sorted(int(i) for i in ids.ravel()) if ids is not None else []


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.create(tmp_path / "ws", "correct horse battery staple", kdf=KdfParams.insecure_fast())
    events.add_event(ws, "E-forum", "Human Rights Forum", starts_on="2026-05-01")
    yield ws
    ws.close()


def _grant(ws, person, **kw):
    registry.grant(ws, person, "face", recorded_by="Staff", method="written", explained="event photos", **kw)


def test_no_photo_badge_has_the_marker_and_a_consented_one_does_not(ws):
    event = events.get_event(ws, "E-forum")
    no_photo = np.asarray(render_badge(Badge("P-AAAAAA", "Maria Fernanda Oyelaran-Castillo", True, "x"), event))
    consented = np.asarray(render_badge(Badge("P-BBBBBB", "Ahmed", False, "y"), event))
    assert no_photo.shape == consented.shape == (badges.mm(55), badges.mm(90), 3)
    assert markers(no_photo) == [NO_PHOTO_MARKER_ID]
    assert markers(consented) == []
    # the marker is at least 35 mm wide: find its black bounding box
    dark = (no_photo.min(axis=2) < 60).astype(np.uint8)
    x, y, w, h = cv2.boundingRect(cv2.findNonZero(dark[:, : badges.mm(50)]))
    assert w >= badges.mm(35) and h >= badges.mm(35)
    # and a still-readable copy a camera across the room sees: 1/8 of the size, blurred
    small = cv2.GaussianBlur(cv2.resize(no_photo, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA), (3, 3), 0)
    assert markers(small) == [NO_PHOTO_MARKER_ID]


def test_badge_pdf_for_an_event(ws, tmp_path):
    ids = {}
    for name in ["Zed Consented", "Amy Nophoto", "Bo Refused", "Cy Standing", "Dee Minor"] + [
        f"Extra {i}" for i in range(5)
    ]:
        kw = {"is_minor": True, "guardian": "Mum"} if name == "Dee Minor" else {}
        ids[name] = people.add_person(ws, name, **kw).id
    events.add_participants(ws, "E-forum", list(ids.values()))
    _grant(ws, ids["Zed Consented"], event_id="E-forum", platforms=["instagram"])
    _grant(ws, ids["Cy Standing"])
    _grant(ws, ids["Dee Minor"], event_id="E-forum", guardian_consent=True)
    registry.refuse(ws, ids["Bo Refused"], "face", "E-forum", recorded_by="Staff", method="verbal")

    event, planned = plan_badges(ws, "E-forum")
    flags = {b.display_name: b.no_photo for b in planned}
    assert [b.display_name for b in planned][:2] == ["Amy Nophoto", "Bo Refused"]
    assert flags["Zed Consented"] is False and flags["Cy Standing"] is False and flags["Dee Minor"] is False
    assert flags["Amy Nophoto"] and flags["Bo Refused"] and all(flags[f"Extra {i}"] for i in range(5))

    out = tmp_path / "badges.pdf"
    sheet = make_badges(ws, "E-forum", out)
    assert sheet.pages == 2 and sheet.no_photo == 7 and out.is_file()
    assert "Amy" not in str(sheet.to_dict())
    pdf = pdfium.PdfDocument(str(out))
    try:
        assert len(pdf) == 2
        width, height = pdf[0].get_size()
        assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1  # A4 in points
        found = []
        for page in pdf:
            pixels = page.render(scale=150 / 72).to_numpy()[..., :3]
            found.append(markers(pixels))
    finally:
        pdf.close()
    # page 1: Amy, Bo, Cy, Dee, Extra 0-3 (6 NO PHOTO); page 2: Extra 4, Zed (1 NO PHOTO)
    assert found == [[NO_PHOTO_MARKER_ID] * 6, [NO_PHOTO_MARKER_ID]]
    raw = out.read_bytes()
    assert b"/Info" not in raw and b"Producer" not in raw


def test_no_participants_or_unknown_event(ws, tmp_path):
    with pytest.raises(RegistryError, match="no participants"):
        make_badges(ws, "E-forum", tmp_path / "b.pdf")
    with pytest.raises(RegistryError, match="No event"):
        make_badges(ws, "E-none", tmp_path / "b.pdf")
    assert not (tmp_path / "b.pdf").exists()


def test_no_photo_event_needs_an_event_consent_for_a_plain_badge(ws):
    events.add_event(ws, "E-np", "Shelter", default_documentation="no_photo")
    person = people.add_person(ws, "Standing Only").id
    _grant(ws, person)
    events.add_participants(ws, "E-np", [person])
    _, planned = plan_badges(ws, "E-np")
    assert planned[0].no_photo and "NO PHOTO" in planned[0].reason


def test_without_dejavu_pillows_own_font_is_used(ws, monkeypatch):
    monkeypatch.setattr(badges, "_BOLD_FONTS", ())
    event = events.get_event(ws, "E-forum")
    tile = np.asarray(render_badge(Badge("P-AAAAAA", "Amira Haddad", True, "x"), event))
    assert markers(tile) == [NO_PHOTO_MARKER_ID]
    assert (tile[..., 0] > 150).sum() > 0 and ((tile[..., 0] > 150) & (tile[..., 1] < 80)).sum() > 5000  # red text
