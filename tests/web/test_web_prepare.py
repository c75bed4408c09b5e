"""The web app's Prepare with the real post check (issue 17 item 3): a real photo prepares, the page
says it is working while it runs (no inline script), and the covered face is in the bundle."""

from __future__ import annotations

import io
import re
import warnings
import zipfile

import numpy as np
import pytest
from PIL import Image

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.conftest import ASTRONAUT_FACE, SAMPLES, changed_fraction
from tests.web.test_web_support import csrf_of, make_app, make_workspace, unlock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_web_prepare_succeeds_on_a_real_photo(tmp_path):
    from safepost.web.checking import PostChecker

    folder = tmp_path / "ws"
    make_workspace(folder)
    photo = (SAMPLES / "astronaut.jpg").read_bytes()  # a real photo, with EXIF and GPS
    with TestClient(make_app(folder, checker=PostChecker())) as client:
        unlock(client)
        csrf = csrf_of(client.get("/posts/new").text)
        form = {"csrf": csrf, "platforms": "instagram", "audience": "public", "text": "Our workshop today."}
        made = client.post(
            "/posts", data=form, files={"media": ("astronaut.jpg", photo, "image/jpeg")}, follow_redirects=False
        )
        assert made.status_code == 303, made.text
        draft = made.headers["location"].split("/")[2]

        report = client.get(f"/posts/{draft}/report")
        assert report.status_code == 200 and 'id="prepare"' in report.text
        button = re.search(r'<button[^>]*id="prepare"[^>]*>', report.text).group(0)
        assert 'data-busy-text="Preparing… this can take a minute"' in button
        assert re.search(r'<p [^>]*id="preparing"[^>]*data-busy-notice hidden', report.text)
        assert not re.search(r"<script(?![^>]*\bsrc=)", report.text)  # the CSP allows no inline scripts
        assert "script-src 'self'" in report.headers["content-security-policy"]

        prepared = client.post(f"/posts/{draft}/prepare", data={"csrf": csrf})
        assert prepared.status_code == 200, prepared.text
        assert "Download the sanitised post" in prepared.text

        archive = zipfile.ZipFile(io.BytesIO(client.get(f"/posts/{draft}/bundle.zip").content))
        name = next(n for n in archive.namelist() if n.startswith("astronaut."))
        before = np.asarray(Image.open(SAMPLES / "astronaut.jpg").convert("RGB")).astype(np.int16)
        after = np.asarray(Image.open(io.BytesIO(archive.read(name))).convert("RGB")).astype(np.int16)
        assert changed_fraction(before, after, ASTRONAUT_FACE) > 0.5
        assert not Image.open(io.BytesIO(archive.read(name))).getexif()


def test_the_busy_text_and_notice_are_set_by_the_apps_own_script():
    script = (SAMPLES.parent / "web" / "static" / "hx.js").read_text()
    assert "data-busy-text" in script and "data-busy-notice" in script
