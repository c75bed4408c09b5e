"""The post check end to end (issue #7): a risky post is Blocked with every finding; after
`prepare` it is Low, its pixels are masked, its metadata gone, and the publication recorded."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFont

from safepost.cli import main
from safepost.consent import events, people, registry
from safepost.core import InputError, PostBlockedError
from safepost.flows.post import check_post
from safepost.flows.prepare import prepare_post, write_bundle
from safepost.post import Post, PostMeta, load_post, new_post
from safepost.workspace.db import Workspace
from safepost.workspace.keys import KdfParams

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "safepost" / "samples"
BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
PASS = "correct horse battery staple"
FACE_SIDE = 200


def _face() -> Image.Image:
    face = Image.open(SAMPLES / "astronaut.jpg").convert("RGB")
    return face.crop((150, 20, 370, 260)).resize((FACE_SIDE, int(FACE_SIDE * 240 / 220)))


def _card(text: str, size: int, width: int) -> Image.Image:
    font = ImageFont.truetype(str(BOLD), size) if BOLD.exists() else ImageFont.load_default(size=size)
    card = Image.new("RGB", (width, int(size * 2)), "white")
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, width - 1, card.height - 1), outline=(0, 0, 0), width=3)
    draw.text((width // 2, size // 2), text, font=font, fill=(0, 0, 0), anchor="mt")
    return card


def _scene() -> tuple[bytes, dict[str, tuple[int, int, int, int]]]:
    """Three people: Ana (consented, left), a stranger (middle), a NO PHOTO wearer (right); GPS in EXIF."""
    canvas = Image.new("RGB", (1500, 760), (90, 110, 130))
    face = _face()
    spots = {"ana": (60, 60), "stranger": (620, 60), "wearer": (1180, 60)}
    for x, y in spots.values():
        canvas.paste(face, (x, y))
    canvas.paste(_card("NO PHOTO", 44, 300), (1130, 360))
    exif = Image.open(SAMPLES / "astronaut.jpg").info["exif"]  # the sample carries a GPS position
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=92, exif=exif)
    # The whole pasted crop (a reviewer's loose box), and the face inside it (brows to chin).
    boxes = {k: (x, y, x + face.width, y + face.height) for k, (x, y) in spots.items()}
    boxes |= {f"{k}_face": (x + 30, y + 40, x + 108, y + 140) for k, (x, y) in spots.items()}
    return out.getvalue(), boxes


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("post")
    ws = Workspace.create(root / "ws", PASS, kdf=KdfParams.insecure_fast(), actor="tester")
    ana = people.add_person(ws, "Ana Ruiz")
    bruno = people.add_person(ws, "Bruno Díaz")
    events.add_event(ws, "E-march", "Women's march", starts_on="2026-12-01", ends_on="2026-12-01")
    common = dict(recorded_by="Staff A", method="written", explained="Photos on our channels.", given_at="2026-01-01")
    registry.grant(ws, ana.id, "face", **common)
    registry.grant(ws, ana.id, "name", **common)
    registry.grant(ws, bruno.id, "face", platforms=["website"], **common)
    photo, boxes = _scene()
    bundle = root / "bundle"
    new_post(bundle)
    (bundle / "march.jpg").write_bytes(photo)
    (bundle / "post.txt").write_text("Great day at the march with Bruno Díaz. Thanks to everyone!\n")
    meta = yaml.safe_load((bundle / "post.yaml").read_text())
    meta.update(
        media=["march.jpg"],
        platforms=["instagram"],
        event="E-march",
        publish_at="2026-12-01T15:00:00Z",
        people=[ana.id],
    )
    (bundle / "post.yaml").write_text(yaml.safe_dump(meta))
    review = {"keep": [{"media": "march.jpg", "box": list(boxes["ana"]), "person_id": ana.id}]}
    (bundle / "review.yaml").write_text(yaml.safe_dump(review))
    yield {"ws": ws, "bundle": bundle, "boxes": boxes, "ana": ana, "bruno": bruno, "root": root}
    ws.close()


@pytest.fixture(scope="module")
def checked(world):
    return check_post(load_post(world["bundle"]), world["ws"])


@pytest.fixture(scope="module")
def prepared(world):
    result = prepare_post(load_post(world["bundle"]), world["ws"])
    out = write_bundle(result, world["root"] / "safe")
    return result, out


def test_risky_post_is_blocked_with_every_finding(checked, world):
    kinds = {f.kind for f in checked.findings}
    assert checked.level == "blocked" and checked.exit_code == 3
    assert "face_without_consent" in kinds  # the stranger
    assert "nophoto_visible" in kinds or "nophoto_tag" in kinds  # the NO PHOTO wearer
    named = [f for f in checked.findings if f.kind == "name_without_consent"]
    assert [f.person_id for f in named] == [world["bruno"].id]
    assert "metadata_location" in kinds  # GPS in the photo
    assert "live_posting" in kinds  # posted during the event
    kept = [r for m in checked.media for r in m.regions if r.decision == "keep"]
    assert [r.person_id for r in kept] == [world["ana"].id]  # her consent covers instagram


def test_prepare_makes_it_low(prepared, world):
    result, out = prepared
    assert result.before.level == "blocked"
    assert result.after.level == "low", result.after.factors
    again = check_post(load_post(out), world["ws"])
    assert again.level == "low"


def test_prepared_pixels_text_time_and_metadata(prepared, world):
    _, out = prepared
    original = np.asarray(Image.open(io.BytesIO(_scene()[0])).convert("RGB")).astype(int)
    after = np.asarray(Image.open(out / "march.jpg").convert("RGB")).astype(int)

    def changed(box):
        x0, y0, x1, y1 = box
        return (np.abs(original[y0:y1, x0:x1] - after[y0:y1, x0:x1]) > 24).any(axis=2).mean()

    assert changed(world["boxes"]["stranger_face"]) > 0.9
    assert changed(world["boxes"]["wearer_face"]) > 0.9
    assert changed(world["boxes"]["ana_face"]) < 0.1  # consented: left visible
    text = (out / "post.txt").read_text()
    assert "Bruno" not in text and "a participant" in text
    meta = yaml.safe_load((out / "post.yaml").read_text())
    assert meta["publish_at"] >= "2026-12-02T06:00:00"
    tags = json.loads(subprocess.run(["exiftool", "-j", "-G", str(out / "march.jpg")], capture_output=True).stdout)[0]
    assert not [k for k in tags if "GPS" in k]
    html = (out / "report.html").read_text()
    assert "data:image/jpeg;base64," in html and "http://" not in html and "https://" not in html


def test_publication_recorded_and_audited(prepared, world):
    result, _ = prepared
    ws = world["ws"]
    with ws.read() as conn:
        rows = conn.execute(
            "SELECT pp.person_id, pp.consent_id, pp.uses FROM publication_people pp WHERE pp.publication_id = ?",
            (result.publication_ids[0],),
        ).fetchall()
    assert [(r[0], sorted(json.loads(r[2]))) for r in rows] == [(world["ana"].id, ["face"])]
    assert rows[0][1] is not None
    assert any(e["action"] == "post.prepare" for e in ws.audit_log())
    assert registry.takedown_list(ws, world["ana"].id)  # withdrawing now would list this post


def test_keep_refused_without_covering_consent(world, tmp_path):
    post = load_post(world["bundle"])
    post.review.keep[0].person_id = world["bruno"].id  # Bruno's face consent is for the website only
    report = check_post(post, world["ws"])
    refused = [f for f in report.findings if f.kind == "keep_refused"]
    assert refused and "instagram" in refused[0].title
    assert not [r for m in report.media for r in m.regions if r.decision == "keep"]


def test_high_needs_a_second_reviewer(world, tmp_path):
    from safepost.decide.policy import Policy, Thresholds

    strict = Policy(thresholds=Thresholds(medium=1, high=1))
    with pytest.raises(PostBlockedError, match="approve"):
        prepare_post(load_post(world["bundle"]), world["ws"], policy=strict)
    result = prepare_post(load_post(world["bundle"]), world["ws"], policy=strict, approve_by="Second Reviewer")
    assert result.after.level == "high" and result.approved_by == "Second Reviewer"


def test_third_party_without_assessment_cannot_be_prepared(world, tmp_path):
    post = load_post(world["bundle"])
    post.meta.source.kind = "third-party"
    with pytest.raises(PostBlockedError, match="benefit"):
        prepare_post(post, world["ws"])


def test_bad_bundles_get_clear_errors(tmp_path):
    with pytest.raises(InputError, match="no post.yaml"):
        load_post(tmp_path)
    (tmp_path / "post.yaml").write_text("platforms: [myspace]\naudience: public\n")
    with pytest.raises(InputError, match="unknown platform"):
        load_post(tmp_path)
    (tmp_path / "post.yaml").write_text("platforms: [x]\naudience: public\nmedia: [../secret.jpg]\n")
    with pytest.raises(InputError, match="inside the bundle"):
        load_post(tmp_path)
    (tmp_path / "post.yaml").write_text("platforms: [x]\naudience: public\nmedia: [gone.jpg]\n")
    with pytest.raises(InputError, match="missing"):
        load_post(tmp_path)
    (tmp_path / "post.yaml").write_text(": : :\n")
    with pytest.raises(InputError, match="post.yaml, line 1: "):
        load_post(tmp_path)


def test_cli_check_exit_codes(world, monkeypatch, tmp_path):
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", PASS)
    monkeypatch.setenv("SAFEPOST_WORKSPACE", str(world["root"] / "ws"))
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(world["bundle"]), "--format", "json"])
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["level"] == "blocked"
    assert runner.invoke(main, ["check", str(tmp_path)]).exit_code == 11  # not a bundle: an error, not a level
    assert runner.invoke(main, ["check", "--format", "pdf", str(tmp_path)]).exit_code == 64
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", "wrong")
    assert runner.invoke(main, ["check", str(world["bundle"])]).exit_code == 10


def _text_post(text: str, **meta) -> Post:
    """A post built in memory (text only unless media are added)."""
    fields = {"platforms": ["x"], "audience": "public", "publish_at": "2026-12-20T10:00:00Z"} | meta
    return Post(meta=PostMeta.model_validate(fields), text=text, ref="memory")


@pytest.fixture(scope="module")
def forum(world):
    events.add_event(world["ws"], "E-forum", "Closed forum", starts_on="2026-11-01", chatham_house=True)
    return "E-forum"


def test_chatham_house_blocks_attribution_and_prepare_removes_it(world, forum):
    text = 'At the forum Ana Ruiz said: "The water permits were bought." A powerful evening.'
    post = _text_post(text, event=forum)
    report = check_post(post, world["ws"])
    kinds = {f.kind for f in report.findings if f.blocks}
    assert report.level == "blocked" and "chatham_house_name" in kinds  # even though Ana consented to her name
    result = prepare_post(post, world["ws"])
    assert "Ana" not in result.files["post.txt"].decode()
    assert "The water permits were bought." in result.files["post.txt"].decode()
    assert result.after.level == "low"


def test_personal_data_in_text_found_and_removed(world):
    text = (
        "Contact our coordinator at coord.ruiz@example.org or +57 310 555 0199. "
        "We met at 4.6097, -74.0817. Details: https://example.org/march?utm_source=fb&id=7"
    )
    post = _text_post(text)
    report = check_post(post, world["ws"])
    kinds = {f.kind for f in report.findings}
    assert {"pii_email", "pii_phone", "pii_gps", "pii_tracking_url"} <= kinds
    clean = prepare_post(post, world["ws"]).files["post.txt"].decode()
    assert "example.org/march?id=7" in clean
    assert "@example.org" not in clean and "555" not in clean and "74.0817" not in clean


def test_withdrawn_name_consent_blocks(world):
    cara = people.add_person(world["ws"], "Cara Lindqvist")
    common = dict(recorded_by="Staff A", method="written", explained="Name in posts.", given_at="2026-01-01")
    registry.grant(world["ws"], cara.id, "name", **common)
    post = _text_post("Thank you Cara Lindqvist for the workshop.")
    assert check_post(post, world["ws"]).level != "blocked"
    registry.withdraw(world["ws"], cara.id, "name")
    report = check_post(post, world["ws"])
    assert report.level == "blocked"
    assert any(f.kind == "name_without_consent" and f.person_id == cara.id for f in report.findings)


def test_third_party_original_goes_to_the_vault(world):
    meta = dict(
        media=["march.jpg"],
        source={
            "kind": "third-party",
            "uploader": "@witness_cali",
            "consent": "unknown",
            "benefit": "Shows the charge that officials deny.",
            "risk_to_filmer": "medium",
            "risk_to_people_shown": "high",
        },
    )
    post = _text_post("Video sent by @witness_cali from the march.", **meta)
    post.media = {"march.jpg": _scene()[0]}
    report = check_post(post, world["ws"])
    assert any(f.kind == "uploader_identifier" for f in report.findings)
    assert any(p.who == "the person who filmed it" for p in report.people)
    result = prepare_post(post, world["ws"], approve_by="Second Reviewer")
    assert "@witness_cali" not in result.files["post.txt"].decode()
    assert len(result.vault_ids) == 1
    stored = world["ws"].vault.info(result.vault_ids[0])
    assert stored.sha256 == hashlib.sha256(post.media["march.jpg"]).hexdigest()
    assert world["ws"].vault.get(result.vault_ids[0]) == post.media["march.jpg"]
    assert post.media["march.jpg"] not in result.files.values()  # only the anonymised derivative goes out


def test_lone_first_name_is_a_lead_not_a_block(world):
    report = check_post(_text_post("Bruno brought the banners. Thanks!"), world["ws"])
    possible = [f for f in report.findings if f.kind == "possible_name"]
    assert possible and not possible[0].blocks and report.level != "blocked"
    assert not [f for f in report.findings if f.kind == "name_without_consent"]


def test_registry_name_written_in_a_photo_is_masked(world):
    canvas = Image.new("RGB", (900, 500), (90, 110, 130))
    card_box = (250, 180)
    canvas.paste(_card("BRUNO DÍAZ", 56, 420), card_box)
    out = io.BytesIO()
    canvas.save(out, "PNG")
    post = _text_post("The banner at the gate.", media=["gate.png"])
    post.media = {"gate.png": out.getvalue()}
    report = check_post(post, world["ws"])
    named = [f for f in report.findings if f.kind == "readable_name"]
    assert named and "BRUNO" in named[0].title.upper()
    result = prepare_post(post, world["ws"])
    after = np.asarray(Image.open(io.BytesIO(result.files["gate.png"])).convert("RGB")).astype(int)
    before = np.asarray(canvas).astype(int)
    x0, y0 = card_box
    text_area = (slice(y0 + 20, y0 + 90), slice(x0 + 40, x0 + 380))
    assert (np.abs(before[text_area] - after[text_area]) > 24).any(axis=2).mean() > 0.3


def test_failed_bundle_write_records_no_publication(world, tmp_path):
    from safepost.core import OutputError

    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "something.txt").write_text("not ours")
    count = "SELECT COUNT(*) FROM publications"
    with world["ws"].read() as conn:
        before = conn.execute(count).fetchone()[0]
    with pytest.raises(OutputError):
        prepare_post(_text_post("Thanks to everyone who came."), world["ws"], output=taken)
    with world["ws"].read() as conn:
        assert conn.execute(count).fetchone()[0] == before
    assert sorted(p.name for p in taken.iterdir()) == ["something.txt"]


def test_analyser_detects_once_and_each_check_decides_afresh(world):
    from safepost.detect.faces import FaceDetector
    from safepost.flows.post_media import MediaAnalyser
    from safepost.post import Review

    calls = []

    class Counting(FaceDetector):
        def detect(self, rgb, frame=0, first_id=1):
            calls.append(rgb.shape)
            return super().detect(rgb, frame, first_id)

    analyser = MediaAnalyser(Counting("thorough"))
    post = load_post(world["bundle"])
    kept = check_post(post, world["ws"], analyser=analyser)
    masked = check_post(post, world["ws"], review=Review(), analyser=analyser)
    assert len(calls) == 1  # the photo was analysed once
    assert [r.decision for r in kept.media[0].regions if r.kind == "face"].count("keep") == 1
    assert all(r.decision == "mask" for r in masked.media[0].regions if r.kind == "face")
