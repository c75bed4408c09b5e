"""The review canvas and unsure faces (issue 17 item 4): marked, dropped in one click, undone, and a
NO PHOTO wearer never dropped. The real post check runs, on the fake detector of test_unsure."""

from __future__ import annotations

import io
import json
import re
import warnings
import zipfile

import numpy as np
import pytest
from PIL import Image

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from safepost.flows.post_media import MediaAnalyser
from safepost.web.checking import PostChecker
from tests.conftest import changed_fraction
from tests.flows.test_unsure import FACES, FakeDetector, _png, _scene
from tests.web.test_web_support import csrf_of, make_app, make_workspace, unlock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
HX = {"HX-Request": "true"}


class FakeDetectorChecker(PostChecker):
    """The real post check, with the fake detector's faces."""

    def check(self, ws, draft):
        draft.analyser = draft.analyser or MediaAnalyser(FakeDetector())
        return super().check(ws, draft)

    def prepare(self, ws, draft, approve_by):
        draft.analyser = draft.analyser or MediaAnalyser(FakeDetector())
        return super().prepare(ws, draft, approve_by)


@pytest.fixture
def review(tmp_path):
    folder = tmp_path / "ws"
    make_workspace(folder)
    with TestClient(make_app(folder, checker=FakeDetectorChecker())) as client:
        unlock(client)
        csrf = csrf_of(client.get("/posts/new").text)
        form = {"csrf": csrf, "platforms": "instagram", "audience": "public", "text": "A good day"}
        media = {"media": ("photo.png", _png(_scene()), "image/png")}
        created = client.post("/posts", data=form, files=media, follow_redirects=False)
        assert created.status_code == 303, created.text
        yield client, csrf, created.headers["location"].split("/")[2]


def _row(html: str, region: str) -> str:
    found = re.search(rf'<tr id="region-0-{region}".*?</tr>', html, re.S)
    assert found, f"no row for {region}"
    return found.group(0)


def _published(client, draft) -> np.ndarray:
    bundle = zipfile.ZipFile(io.BytesIO(client.get(f"/posts/{draft}/bundle.zip").content))
    return np.asarray(Image.open(io.BytesIO(bundle.read("photo.png"))).convert("RGB")).astype(np.int16)


def test_unsure_face_is_marked_and_dropped_in_one_click(review):
    client, csrf, draft = review
    page = client.get(f"/posts/{draft}/review").text
    regions = json.loads(re.search(r'<script type="application/json" id="regions-0">(.*?)</script>', page, re.S)[1])
    assert {r["id"]: r["unsure"] for r in regions if r["kind"] == "face"} == {"f1": False, "f2": True, "f3": True}
    assert 'data-unsure-label="unsure"' in page  # the canvas labels (and dashes) unsure boxes
    unsure = _row(page, "f2")
    assert "Unsure: may not be a face" in unsure and 'class="masked unsure"' in unsure
    assert re.search(r'name="region" value="f2">\s*<button type="submit" data-drop[^>]*>Not a face</button>', unsure)
    assert "Unsure" not in _row(page, "f1") and "data-drop" in _row(page, "f1")  # a sure face can be dropped too
    assert "data-drop" not in _row(page, "f3")  # a NO PHOTO wearer: no button

    dropped = client.post(f"/posts/{draft}/drop", data={"csrf": csrf, "media": "photo.png", "region": "f2"}, headers=HX)
    assert "f2 will be left as it is" in dropped.text and "Left as it is (not a face)" in _row(dropped.text, "f2")
    assert client.post(f"/posts/{draft}/prepare", data={"csrf": csrf}).status_code == 200
    original = _scene().astype(np.int16)
    after = _published(client, draft)
    assert changed_fraction(original, after, FACES["unsure"][0]) < 0.02
    assert changed_fraction(original, after, FACES["sure"][0]) > 0.9
    assert changed_fraction(original, after, FACES["wearer"][0]) > 0.9

    undone = client.post(f"/posts/{draft}/undo", data={"csrf": csrf, "kind": "drop", "index": 0}, headers=HX)
    assert "Unsure: may not be a face" in _row(undone.text, "f2")  # covered again
    assert client.post(f"/posts/{draft}/prepare", data={"csrf": csrf}).status_code == 200
    assert changed_fraction(original, _published(client, draft), FACES["unsure"][0]) > 0.9


def test_nophoto_wearer_cannot_be_dropped(review):
    client, csrf, draft = review
    refused = client.post(f"/posts/{draft}/drop", data={"csrf": csrf, "media": "photo.png", "region": "f3"}, headers=HX)
    assert refused.status_code == 400 and "cannot be dropped" in refused.text
    no_token = client.post(f"/posts/{draft}/drop", data={"media": "photo.png", "region": "f2"}, headers=HX)
    assert no_token.status_code == 403
    assert "Unsure: may not be a face" in _row(client.get(f"/posts/{draft}/review").text, "f2")  # nothing changed
