"""The web app in a real browser (Debian's chromium driven by Playwright) with the real post check.

The full flow of issue 9: unlock, upload a photo, keep one face for a person who consented, draw
a region, read the report, prepare and download the bundle, and check its pixels and metadata.
Also: a wrong passphrase, a request without its CSRF token, a non-image upload.

Set SAFEPOST_SCREENSHOTS=docs/screenshots to save a picture of every screen (docs/web.md).
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import changed_fraction
from tests.web.test_web_support import CHROMIUM, PASS, ServerThread, crowd_jpeg, make_workspace

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (bash scripts/setup.sh --test installs it)",
    ),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
ADDED = (420, 420, 600, 560)  # an empty stretch of the crowd picture, in picture pixels


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def site(tmp_path):
    from safepost.web import WebConfig, create_app

    folder = tmp_path / "ws"
    ids = make_workspace(folder)
    app = create_app(WebConfig(workspace=folder, unlock_delay_s=0.2))
    with ServerThread(app) as server:
        yield server, ids, tmp_path


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


class Shots:
    """Screenshots of each screen when SAFEPOST_SCREENSHOTS names a folder; otherwise nothing."""

    def __init__(self) -> None:
        folder = os.environ.get("SAFEPOST_SCREENSHOTS")
        self.folder = Path(folder) if folder else None
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, page, name: str) -> None:
        if self.folder:
            shot = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
            shot = shot.resize((shot.width * 3 // 4, shot.height * 3 // 4), Image.Resampling.LANCZOS)
            shot.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(self.folder / f"{name}.png", optimize=True)


def unlock(page, url: str, passphrase: str = PASS) -> None:
    page.goto(url)
    page.get_by_label("Passphrase").fill(passphrase)
    page.get_by_role("button", name="Unlock").click()


def overlap(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return ix * iy / ((b[2] - b[0]) * (b[3] - b[1]))


def test_full_flow_keep_one_face_draw_a_region_download_the_bundle(site, page, crowd):
    server, ids, tmp = site
    shots = Shots()
    photo = tmp / "crowd.jpg"
    photo.write_bytes(crowd_jpeg(crowd))

    unlock(page, server.url, "not my passphrase")
    assert page.get_by_role("alert").inner_text().startswith("Wrong passphrase")
    shots(page, "unlock")
    page.get_by_label("Passphrase").fill(PASS)
    page.get_by_role("button", name="Unlock").click()
    page.wait_for_url("**/posts/new")

    page.set_input_files("#media", str(photo))
    page.get_by_label("Post text").fill("Thank you to everyone who came to the forum!")
    page.get_by_label("instagram").check()
    shots(page, "new-post")
    page.get_by_role("button", name="Check this post").click()
    page.wait_for_url("**/review", timeout=120_000)

    rows = page.locator("tr[data-region]")
    boxes = {
        rows.nth(i).get_attribute("data-region"): rows.nth(i).get_attribute("data-box") for i in range(rows.count())
    }
    faces = {rid: [int(v) for v in box.split(",")] for rid, box in boxes.items() if rid.startswith("f")}
    assert len(faces) >= 3, boxes
    big = max(faces, key=lambda rid: overlap(faces[rid], crowd[1][0]))
    assert overlap(faces[big], crowd[1][0]) > 0.5

    page.select_option(f"#keep-0-{big}", ids["ana"])
    page.locator(f"#region-0-{big}").get_by_role("button", name="Keep visible").click()
    page.wait_for_selector(f"#region-0-{big}.kept", timeout=120_000)
    assert "Visible: Ana Ruiz" in page.locator(f"#region-0-{big}").inner_text()

    canvas = page.locator("canvas.overlay")
    canvas.scroll_into_view_if_needed()
    frame = canvas.bounding_box()
    scale = frame["width"] / 900
    page.mouse.move(frame["x"] + ADDED[0] * scale, frame["y"] + ADDED[1] * scale)
    page.mouse.down()
    page.mouse.move(frame["x"] + ADDED[2] * scale, frame["y"] + ADDED[3] * scale, steps=8)
    page.mouse.up()
    drawn = [int(page.input_value(f"#add-0 [name={k}]")) for k in ("x0", "y0", "x1", "y1")]
    assert all(abs(a - b) <= 3 for a, b in zip(drawn, ADDED, strict=True)), drawn
    page.get_by_role("button", name="Cover this area").click()
    page.wait_for_selector("tr[data-region='m1']", timeout=120_000)
    shots(page, "review")
    # each note is its title, then its fix on a line of its own (it read as one run-on sentence)
    note = page.locator("ul.findings li").first.inner_text()
    assert "\nFix: " in note, note

    page.get_by_role("link", name="See the report").click()
    page.wait_for_url("**/report")
    assert page.locator("#level").inner_text().startswith("Risk:")
    page.get_by_label("Second reviewer (needed when the risk is High)").fill("Staff B")
    page.get_by_role("button", name="Prepare the sanitised post").click()
    page.wait_for_selector("#download, #messages [role=alert]", timeout=120_000)
    assert not page.locator("#messages [role=alert]").count(), page.locator("#messages").inner_text()
    shots(page, "report")
    with page.expect_download() as download_info:
        page.locator("#download").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download_info.value.path()).read_bytes()))

    pictures = [n for n in archive.namelist() if n.endswith((".jpg", ".png"))]
    assert pictures == ["crowd.jpg"], archive.namelist()
    data = archive.read("crowd.jpg")
    after_image = Image.open(io.BytesIO(data))
    assert not after_image.getexif() and b"Exif\x00\x00" not in data and b"SecretCam" not in data
    after = np.asarray(after_image.convert("RGB")).astype(np.int16)
    original = crowd[0].astype(np.int16)
    kept = crowd[1][0]
    assert changed_fraction(original, after, kept) < 0.1, "the kept face must be left as it was"
    for box in crowd[1][1:]:
        assert changed_fraction(original, after, box) > 0.8, f"face {box} must be masked"
    inner = (ADDED[0] + 10, ADDED[1] + 10, ADDED[2] - 10, ADDED[3] - 10)
    assert changed_fraction(original, after, inner) > 0.9, "the drawn region must be masked"

    # The same session, without the CSRF token: refused, nothing changes.
    draft = page.url.split("/")[-2]
    refused = page.request.post(
        f"{server.url}/posts/{draft}/add", form={"media": "crowd.jpg", "x0": "1", "y0": "1", "x1": "50", "y1": "50"}
    )
    assert refused.status == 403

    for path, name in (("/people", "people"), (f"/people/{ids['ana']}", "person"), ("/audit", "audit")):
        page.goto(server.url + path)
        shots(page, name)
    assert "post.prepare" in page.content() and "The log is intact" in page.content()
    page.goto(server.url + "/guidance")
    shots(page, "guidance")


def test_browser_refuses_a_non_image_upload_and_missing_csrf(site, page):
    server, _, tmp = site
    fake = tmp / "holiday.jpg"
    fake.write_text("name,phone\nAna Ruiz,+34 600 000 000\n", encoding="utf-8")
    unlock(page, server.url)
    page.wait_for_url("**/posts/new")
    page.set_input_files("#media", str(fake))
    page.get_by_label("instagram").check()
    with page.expect_response(lambda r: r.url.endswith("/posts")) as answer:
        page.get_by_role("button", name="Check this post").click()
    assert answer.value.status == 415
    message = page.locator("#messages [role=alert]").inner_text()
    assert "holiday.jpg is not a photo or a video" in message
    assert page.url.endswith("/posts/new")

    no_token = page.request.post(f"{server.url}/events", form={"event_id": "E-x", "name": "X"})
    assert no_token.status == 403
    page.goto(server.url + "/people")
    assert "E-x" not in page.content()


def test_browser_people_consent_withdrawal_and_spanish(site, page):
    server, ids, _ = site
    unlock(page, server.url)
    page.wait_for_url("**/posts/new")
    page.get_by_role("link", name="People and consent").click()
    page.get_by_label("Name", exact=True).fill("Gala Ortiz")
    page.get_by_role("button", name="Add person").click()
    page.wait_for_selector("h1:has-text('Gala Ortiz')")
    page.get_by_label("What was explained to them").fill("Photos of the forum on our channels.")
    page.get_by_role("button", name="Record consent").click()
    page.wait_for_selector("text=Consent recorded.")
    assert page.locator("header.top").count() == 1  # only the page's main part was replaced
    assert page.locator("tbody tr").first.inner_text().split("\t")[1] == "face"
    page.get_by_role("button", name="Withdraw").click()
    page.wait_for_selector("#confirm-withdrawal")  # asked first: nothing is withdrawn yet
    assert "active" in page.locator("tbody tr").first.inner_text()
    page.get_by_role("button", name="Yes, withdraw").click()
    page.wait_for_selector("#takedown-result")
    assert "withdrawn" in page.locator("tbody tr").first.inner_text()

    page.get_by_role("link", name="Español").click()
    page.wait_for_selector("h1:has-text('Gala Ortiz')")
    assert page.get_by_role("button", name="Bloquear").is_visible()
    page.get_by_role("button", name="Bloquear").click()
    page.wait_for_selector("text=Desbloquee su espacio de trabajo")
    page.goto(server.url + "/people")
    assert page.url.endswith("/?locked=1")
