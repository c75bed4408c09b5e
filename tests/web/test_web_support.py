"""Shared helpers of the web app tests: a workspace with people, a running server, a fast fake check.

The fake post check follows the contract of ``safepost.check`` (same report classes, the product's
own review rules from ``safepost.decide.media``, real masks) but takes its face boxes from the test
instead of running the detectors, so the route tests stay fast. The browser test uses the real check.
"""

from __future__ import annotations

import io
import re
import socket
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

from safepost.consent import events, people, registry
from safepost.workspace import KdfParams, Workspace

PASS = "correct horse battery staple"
CHROMIUM = Path("/usr/bin/chromium")


def make_workspace(folder: Path) -> dict[str, str]:
    """A workspace with Ana (face consent for any platform, public), Ben (no consent) and one event."""
    ws = Workspace.create(folder, PASS, kdf=KdfParams.insecure_fast(), actor="tester")
    try:
        events.add_event(ws, "E-forum", "Forum", starts_on="2026-03-01", place="Hall")
        ana = people.add_person(ws, "Ana Ruiz", event_id="E-forum")
        ben = people.add_person(ws, "Ben Okafor", event_id="E-forum")
        registry.grant(
            ws, ana.id, "face", recorded_by="Staff A", method="written", explained="Photos.", given_at="2026-01-01"
        )
    finally:
        ws.close()
    return {"ana": ana.id, "ben": ben.id}


def jpeg_with_gps(rgb: np.ndarray) -> bytes:
    """A JPEG of ``rgb`` carrying EXIF with a camera model and GPS coordinates."""
    image = Image.fromarray(rgb.astype(np.uint8))
    exif = Image.Exif()
    exif[0x0110] = "SecretCam 3000"  # Model
    gps = {1: "N", 2: (40.0, 25.0, 0.0), 3: "W", 4: (3.0, 42.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]*)"', html) or re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1 in a background thread."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


class FakeChecker:
    """The post check's contract with preset face boxes (see the module docstring)."""

    def __init__(self, boxes: list[list[int]], block_minors: bool = True) -> None:
        self.boxes = boxes
        self.block_minors = block_minors
        self.checks = 0

    def _analyse(self, ws, draft):
        from safepost.core.report import AnalysedMedia, MediaRegion, MediaReport, PostReport
        from safepost.decide.media import decide_media
        from safepost.media.images import load_image
        from safepost.web.checking import build_post

        post, review = build_post(ws, draft)
        media, pixels = [], {}
        for name in post.meta.media:
            rgb = load_image(name, data=post.media[name]).frames[0]
            regions = [MediaRegion(f"f{i}", "face", list(box)) for i, box in enumerate(self.boxes, start=1)]
            media.append(AnalysedMedia(MediaReport(name, "image", rgb.shape[1], rgb.shape[0], regions), rgb))
            pixels[name] = rgb
        with ws.read() as conn:  # the product's own review rules: keep, drop, add
            findings, _ = decide_media(conn, media, review, post.meta, "2026-06-01T00:00:00Z", self.block_minors)
        reports = [m.report for m in media]
        masked = any(r.decision == "mask" for m in reports for r in m.regions)
        report = PostReport("medium" if masked else "low", 2, ["fake check"], findings, reports, [])
        return report, pixels

    def check(self, ws, draft):
        self.checks += 1
        return self._analyse(ws, draft)[0]

    def prepare(self, ws, draft, approve_by):
        from safepost.anonymize.masks import apply_masks
        from safepost.anonymize.spec import MaskSpec
        from safepost.core import Region
        from safepost.flows.prepare import PrepareResult

        report, pixels = self._analyse(ws, draft)
        files = {}
        for media in report.media:
            regions = [Region(r.id, r.kind, *r.box) for r in media.regions if r.decision == "mask"]
            out = apply_masks(pixels[media.name].copy(), regions, MaskSpec())
            buffer = io.BytesIO()
            Image.fromarray(out).save(buffer, "PNG")
            files[Path(media.name).stem + ".png"] = buffer.getvalue()
        files["post.txt"] = draft.text.encode()
        result = PrepareResult(before=report, after=report, files=files, approved_by=approve_by)
        # the publication record, as the real prepare writes it (the people shown: the faces kept)
        from safepost.decide.consent import ConsentUse
        from safepost.flows.prepare import _record
        from safepost.web.checking import build_post

        post, _ = build_post(ws, draft)
        report.publish_at = report.publish_at or "2026-06-01T12:00:00Z"
        kept = {r.person_id for m in report.media for r in m.regions if r.decision == "keep" and r.person_id}
        _record(ws, post, post.meta, [ConsentUse(p, "face") for p in sorted(kept)], result)
        return result


class Clock:
    """A clock the tests move by hand (idle locking)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_app(folder: Path, checker=None, clock=None, **settings):
    """An app on the workspace ``folder`` that TestClient can reach (its Host header is ``testserver``)."""
    from safepost.web import WebConfig, create_app

    settings.setdefault("unlock_delay_s", 0.01)
    settings.setdefault("allowed_hosts", ("testserver", "127.0.0.1", "localhost"))
    config = WebConfig(workspace=folder, **settings)
    extra = {"clock": clock} if clock is not None else {}
    return create_app(config, checker=checker or FakeChecker([]), **extra)


def unlock(client, passphrase: str = PASS):
    """Unlock through the form; returns the response of the first page after it."""
    token = csrf_of(client.get("/").text)
    return client.post("/unlock", data={"csrf": token, "passphrase": passphrase})


def crowd_jpeg(crowd) -> bytes:
    """The conftest crowd scene as a JPEG with EXIF and GPS."""
    return jpeg_with_gps(crowd[0])
