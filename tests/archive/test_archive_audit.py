"""Archive audit (A1) end to end: planted risks found and ranked first, resume, no plaintext media."""

from __future__ import annotations

import os
import tempfile

import pytest

from safepost.archive.state import KIND
from safepost.consent import people, registry
from safepost.flows.archive import AuditOptions, audit_archive
from safepost.workspace.db import Workspace
from safepost.workspace.keys import KdfParams
from tests.archive.test_archive_formats import EXPORTS, HASHTAG, PLANTED, FakeTextCheck, write_tree, write_zip

PASS = "correct horse battery staple"
EXPECTED_REASON = {
    "name": "name_no_consent",
    "phone": "pii",
    "hashtag": "affiliation_generic",
    "gps": "gps_media",
    "face": "face",
}


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.create(tmp_path / "ws", PASS, kdf=KdfParams.insecure_fast(), actor="tester")
    people.add_person(workspace, "Ana Ruiz")
    dan = people.add_person(workspace, "Dan Mbeki")
    registry.grant(
        workspace, dan.id, "name", recorded_by="Staff", method="written", explained="posts", given_at="2020-01-01"
    )
    yield workspace
    workspace.close()


def run(path, ws=None, **kw):
    options = kw.pop("options", None) or AuditOptions(checkpoint_items=kw.pop("every", 2000))
    return audit_archive(path, workspace=ws, options=options, text_check=FakeTextCheck, **kw)


@pytest.mark.parametrize("platform", sorted(EXPORTS))
def test_planted_items_found_and_ranked_above_harmless(tmp_path, ws, platform):
    files, planted, harmless = EXPORTS[platform]()
    report = run(write_zip(tmp_path / f"{platform}.zip", files), ws)
    ranked = [r.id for r in report.items]
    scores = {r.id: r for r in report.items}
    for what in PLANTED:
        item = scores.get(planted[what])
        assert item is not None, f"{what} not found in {platform}"
        kinds = {r.kind for r in item.reasons + item.media_reasons}
        assert EXPECTED_REASON[what] in kinds, (what, kinds)
        assert item.level in ("low", "medium", "high")
    lowest_planted = min(scores[planted[w]].score for w in PLANTED)
    for item_id in harmless:
        assert item_id not in ranked or scores[item_id].score < lowest_planted
    assert ranked[: len(PLANTED)] and set(ranked[:3]) <= set(planted.values())
    name_item = scores[planted["name"]]
    assert name_item.people[0]["consent"] is False
    assert report.summary["people"]["registry"][0]["name"] == "Ana Ruiz"
    assert any(a["label"] == "#" + HASHTAG for a in report.summary["affiliations"])
    assert any("4.60972" in loc["label"] for loc in report.summary["locations"])
    face = scores[planted["face"]]
    assert face.media[0]["faces"] >= 1 and face.media[0]["thumbnail"].startswith("data:image/jpeg;base64,")
    assert all(a["action"] in ("delete", "edit", "make private", "untag", "check by hand") for a in face.actions)
    assert report.stats["text_items_checked"] == report.summary["items"]


def test_consented_name_and_configured_affiliation(tmp_path, ws):
    from safepost.archive import AffiliationConfig

    chat = "[01/02/2024, 09:16:01] Ben: Dan Mbeki joined the Frente Amplio meeting\n"
    options = AuditOptions(affiliations=AffiliationConfig(keywords=["Frente Amplio"]))
    report = run(write_tree(tmp_path / "wa", {"_chat.txt": chat}), ws, options=options)
    item = report.items[0]
    kinds = {r.kind: r for r in item.reasons}
    assert item.people[0]["consent"] is True and "name_consented" in kinds
    assert kinds["affiliation"].points == 20 and "Frente Amplio" in kinds["affiliation"].why


def test_without_workspace_it_runs_and_says_it_cannot_resume(tmp_path):
    files, planted, _ = EXPORTS["x"]()
    report = run(write_zip(tmp_path / "x.zip", files))
    assert any("cannot resume" in note for note in report.notes)
    assert planted["gps"] in {r.id for r in report.items}


class Stop(Exception):
    pass


def stop_after(phase: str, count: int):
    def progress(current: str, done: int, total: int) -> None:
        if current == phase and done == count:
            raise Stop

    return progress


@pytest.mark.parametrize(("phase", "count"), [("text", 5), ("media", 1)])
def test_interrupted_audit_resumes_from_encrypted_checkpoints(tmp_path, ws, phase, count):
    files, _, _ = EXPORTS["x"]()
    export = write_zip(tmp_path / "x.zip", files)
    expected = run(export, ws)  # uninterrupted: leaves no checkpoint behind
    with pytest.raises(Stop):
        run(export, ws, every=2, progress=stop_after(phase, count))
    saved = [f for f in ws.vault.list() if f.kind == KIND]
    assert saved, "no checkpoint in the vault"
    report = run(export, ws, every=2)
    resumed = report.stats["resumed_from"]
    assert resumed and resumed[phase] >= (count if phase == "media" else 4)
    assert report.stats["text_items_checked"] < report.stats["items"] or phase == "media"
    assert [(r.id, r.score) for r in report.items] == [(r.id, r.score) for r in expected.items]
    assert not [f for f in ws.vault.list() if f.kind == KIND], "checkpoints left after success"


def test_restart_ignores_saved_progress(tmp_path, ws):
    files, _, _ = EXPORTS["telegram"]()
    export = write_zip(tmp_path / "tg.zip", files)
    with pytest.raises(Stop):
        run(export, ws, every=1, progress=stop_after("text", 3))
    report = run(export, ws, restart=True)
    assert report.stats["resumed_from"] is None


def test_no_plaintext_media_on_disk(tmp_path, ws, monkeypatch):
    """Only the report and the encrypted workspace are written; no JPEG bytes anywhere but the input."""
    from safepost.archive import write_report

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    files, _, _ = EXPORTS["whatsapp"]()
    export = write_zip(tmp_path / "chat.zip", files)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(Stop):
        run(export, ws, every=1, progress=stop_after("media", 1))
    report = run(export, ws)
    for fmt in ("html", "json", "csv"):
        write_report(report, out / f"audit.{fmt}")
    assert sorted(p.name for p in out.iterdir()) == ["audit.csv", "audit.html", "audit.json"]
    assert list(scratch.iterdir()) == []
    pieces = [data[n : n + 32] for data in files.values() if isinstance(data, bytes) for n in (200, len(data) // 2)]
    for folder, _, names in os.walk(tmp_path):
        for name in names:
            path = os.path.join(folder, name)
            if path == str(export):
                continue
            data = open(path, "rb").read()
            assert not any(piece in data for piece in pieces), f"media bytes in {path}"
            assert b"JFIF" not in data and b"Exif\x00" not in data, path


def test_real_text_check_finds_registry_name_and_phone(tmp_path, ws):
    """The same audit with safepost.text (not the test stand-in) behind it."""
    files, planted, _ = EXPORTS["x"]()
    report = audit_archive(write_zip(tmp_path / "x.zip", files), workspace=ws)
    by_id = {r.id: r for r in report.items}
    assert "name_no_consent" in {r.kind for r in by_id[planted["name"]].reasons}
    assert "pii" in {r.kind for r in by_id[planted["phone"]].reasons}
