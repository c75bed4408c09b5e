"""safepost batch: mirrored outputs, manifest, resume by hash, bad input, vault ingest, CLI."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner
from PIL import Image

from safepost.batch import BATCH_FAILED_EXIT, MANIFEST_NAME, Options, run_batch
from safepost.batch.manifest import Manifest
from safepost.cli import main
from safepost.core import InputError, OutputError, SafepostError
from safepost.workspace import KdfParams, Workspace
from tests.conftest import ASTRONAUT_FACE, SAMPLES, changed_fraction

FAST = Options(mode="fast")
PASS = "correct horse battery staple"
SIDE = 160
FACE = tuple(round(v * SIDE / 512) for v in ASTRONAUT_FACE)
MEDIA = ["a.jpg", "b.png", "gps.jpg", "nested/c.jpg", "nested/deeper/d.webp", "scan.pdf"]


def astronaut(side: int = SIDE) -> Image.Image:
    return Image.open(SAMPLES / "astronaut.jpg").convert("RGB").resize((side, side))


def make_tree(root: Path, photos: int = 0) -> Path:
    """Photos (one with EXIF GPS), a nested folder, a PDF, a corrupt photo, a text file, a hidden file."""
    (root / "nested" / "deeper").mkdir(parents=True)
    face = astronaut()
    face.save(root / "a.jpg")
    face.save(root / "b.png")
    (root / "gps.jpg").write_bytes((SAMPLES / "astronaut.jpg").read_bytes())  # demo EXIF with GPS
    face.save(root / "nested" / "c.jpg")
    face.save(root / "nested" / "deeper" / "d.webp")
    face.save(root / "scan.pdf", resolution=72.0, title="Secret Title", author="Jane Doe")
    for i in range(photos):
        face.rotate(i).save(root / f"p{i:02d}.jpg")
    (root / "corrupt.jpg").write_bytes((SAMPLES / "astronaut.jpg").read_bytes()[:3000])
    (root / "notes.txt").write_text("meeting notes")
    (root / ".hidden.jpg").write_bytes((SAMPLES / "astronaut.jpg").read_bytes())
    return root


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / MANIFEST_NAME).read_text().splitlines()]


def outputs(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")}


class Recorder:
    def __init__(self):
        self.total, self.items = None, []

    def start(self, total):
        self.total = total

    def item(self, entry, reused):
        self.items.append((entry.input, entry.status, reused))


@pytest.fixture
def tree(tmp_path) -> Path:
    return make_tree(tmp_path / "in")


def test_mirrors_the_tree_masks_faces_and_writes_one_manifest_line_per_file(tree, tmp_path):
    out = tmp_path / "out"
    recorder = Recorder()
    summary = run_batch(tree, out, options=FAST, reporter=recorder)

    assert outputs(out) == {MANIFEST_NAME, *MEDIA}
    assert (summary.done, summary.failed, summary.skipped, summary.reused) == (6, 1, 1, 0)
    assert summary.exit_code == BATCH_FAILED_EXIT
    assert recorder.total == 8 and len(recorder.items) == 8
    before = np.asarray(astronaut())
    for name in ("a.jpg", "b.png", "nested/c.jpg", "nested/deeper/d.webp"):
        assert changed_fraction(before, np.asarray(Image.open(out / name).convert("RGB")), FACE) > 0.6, name
    with Image.open(out / "gps.jpg") as clean:
        assert not clean.getexif() and "exif" not in clean.info
    page = pdfium.PdfDocument(out / "scan.pdf")[0].render(scale=1).to_pil().convert("RGB").resize((SIDE, SIDE))
    assert changed_fraction(before, np.asarray(page), FACE) > 0.6
    assert b"Secret Title" not in (out / "scan.pdf").read_bytes()

    entries = {e["input"]: e for e in lines(out)}
    assert sorted(entries) == sorted([*MEDIA, "corrupt.jpg", "notes.txt"])  # no hidden file
    for name in MEDIA:
        entry = entries[name]
        assert entry["status"] == "done" and entry["output"] == name
        assert entry["input_sha256"] == sha(tree / name) and entry["output_sha256"] == sha(out / name)
        assert entry["findings"] >= 1 and entry["masked"] >= 1 and entry["input_size"] == (tree / name).stat().st_size
        assert entry["options"] == {"mode": "fast", "style": "solid", "shape": "ellipse"}
    assert entries["corrupt.jpg"]["status"] == "failed" and entries["corrupt.jpg"]["exit_code"] == 3
    assert "corrupt.jpg" in entries["corrupt.jpg"]["error"] and "output" not in entries["corrupt.jpg"]
    assert entries["notes.txt"] == entries["notes.txt"] | {"status": "skipped", "reason": "not a photo, video or PDF"}


def test_resume_skips_verified_files_and_redoes_changed_or_missing_outputs(tree, tmp_path):
    out = tmp_path / "out"
    run_batch(tree, out, options=FAST)
    first = {e["input"]: e for e in lines(out)}
    (out / "b.png").write_bytes(b"tampered")
    (out / "nested" / "c.jpg").unlink()
    recorder = Recorder()
    summary = run_batch(tree, out, options=FAST, reporter=recorder)

    assert (summary.done, summary.reused, summary.failed, summary.skipped) == (2, 4, 1, 1)
    redone = {name for name, status, reused in recorder.items if status == "done" and not reused}
    assert redone == {"b.png", "nested/c.jpg"}
    entries = lines(out)
    assert len(entries) == 8 and len({e["input"] for e in entries}) == 8  # compacted: one line per input
    for entry in entries:
        if entry["status"] == "done":
            assert sha(out / entry["output"]) == entry["output_sha256"]
    assert {e["input"]: e["output_sha256"] for e in entries if e["status"] == "done"} == {
        n: first[n]["output_sha256"] for n in MEDIA
    }


def test_changed_input_or_options_are_processed_again(tree, tmp_path):
    out = tmp_path / "out"
    run_batch(tree, out, options=FAST)
    astronaut().rotate(90).save(tree / "a.jpg")
    summary = run_batch(tree, out, options=FAST)
    assert summary.done == 1 and summary.reused == 5
    summary = run_batch(tree, out, options=Options(mode="fast", style="noise"))
    assert summary.done == 6 and summary.reused == 0


def test_torn_last_manifest_line_is_dropped_and_that_file_redone(tree, tmp_path):
    out = tmp_path / "out"
    run_batch(tree, out, options=FAST)
    data = (out / MANIFEST_NAME).read_bytes()
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    torn_name = json.loads(data[last_start:])["input"]
    (out / MANIFEST_NAME).write_bytes(data[: last_start + 40])  # killed while writing the last line
    summary = run_batch(tree, out, options=FAST)
    assert summary.reused + summary.done == 6
    assert summary.done == (1 if torn_name in MEDIA else 0)
    entries = lines(out)
    assert sorted(e["input"] for e in entries) == sorted([*MEDIA, "corrupt.jpg", "notes.txt"])


def test_damaged_manifest_line_is_a_clear_error_and_nothing_changes(tree, tmp_path):
    out = tmp_path / "out"
    run_batch(tree, out, options=FAST)
    text = (out / MANIFEST_NAME).read_text().splitlines()
    text[2] = '{"input": "../../etc/passwd", "status": "done", "finished_at": "x"}'
    (out / MANIFEST_NAME).write_text("\n".join(text) + "\n")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(InputError, match="line 3"):
        run_batch(tree, out, options=FAST)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    (out / MANIFEST_NAME).write_text("not json\n" + "\n".join(text[3:]) + "\n")
    with pytest.raises(InputError, match="line 1"):
        run_batch(tree, out, options=FAST)


def test_partial_files_of_a_killed_run_are_removed(tree, tmp_path):
    out = tmp_path / "out"
    run_batch(tree, out, options=FAST)
    partial = out / "nested" / ".safepost-x1y2.part"
    partial.write_bytes(b"half a picture")
    summary = run_batch(tree, out, options=FAST)
    assert summary.removed_partials == 1 and not partial.exists()


def test_a_file_that_now_fails_loses_its_earlier_output(tree, tmp_path):
    out = tmp_path / "out"
    run_batch(tree, out, options=FAST)
    (tree / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    summary = run_batch(tree, out, options=FAST)
    assert {f["input"] for f in summary.failures} == {"b.png", "corrupt.jpg"}
    assert not (out / "b.png").exists()


@pytest.mark.parametrize("where", ["inside", "same", "parent"])
def test_nested_folders_are_refused(tree, where):
    out = {"inside": tree / "nested" / "out", "same": tree, "parent": tree.parent}[where]
    with pytest.raises(OutputError, match="inside"):
        run_batch(tree, out, options=FAST)
    assert not (tree / "nested" / "out").exists()


def test_bad_folders_and_options_are_refused(tree, tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        run_batch(tmp_path / "missing", tmp_path / "out")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.pdf").write_bytes(b"precious")
    with pytest.raises(OutputError, match="not empty"):
        run_batch(tree, foreign, options=FAST)
    assert (foreign / "thesis.pdf").read_bytes() == b"precious"
    with pytest.raises(SafepostError, match="unknown mode"):
        run_batch(tree, tmp_path / "out", options=Options(mode="slowest"))
    with pytest.raises(SafepostError, match="style"):
        run_batch(tree, tmp_path / "out", options=Options(style="crayon"))


def test_links_special_files_and_name_clashes(tmp_path):
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "secret.jpg"
    astronaut().save(outside)
    astronaut().save(root / "real.jpg")
    (root / "inside-link.jpg").symlink_to(root / "real.jpg")
    (root / "outside-link.jpg").symlink_to(outside)
    (root / "linked-folder").symlink_to(tmp_path)
    os.mkfifo(root / "pipe.jpg")
    astronaut().save(root / "sub" / "x.png")
    astronaut().save(root / "sub" / "X.PNG")
    astronaut().save(root / "sub" / "photo.dat", format="JPEG")
    (root / "sub" / "letter.docx").write_bytes(b"PK\x03\x04" + bytes(60))

    out = tmp_path / "out"
    summary = run_batch(root, out, options=FAST)
    entries = {e["input"]: e for e in lines(out)}
    assert entries["inside-link.jpg"]["status"] == "done"
    assert "outside" in entries["outside-link.jpg"]["reason"] and not (out / "outside-link.jpg").exists()
    assert "not followed" in entries["linked-folder"]["reason"]
    assert entries["pipe.jpg"]["reason"] == "not a regular file"
    assert entries["sub/letter.docx"]["status"] == "skipped"
    assert entries["sub/photo.dat"]["output"] == "sub/photo.dat.png"
    assert entries["sub/X.PNG"]["status"] == "done"
    assert entries["sub/x.png"]["status"] == "failed" and "already used by sub/X.PNG" in entries["sub/x.png"]["error"]
    assert summary.failed == 1 and summary.skipped == 4


def test_video_becomes_mp4_with_faces_masked(tmp_path):
    import av

    root = tmp_path / "in"
    root.mkdir()
    face = np.asarray(astronaut(128))
    with av.open(str(root / "clip.mov"), "w", format="mov") as container:
        stream = container.add_stream("libx264", rate=8)
        stream.width = stream.height = 128
        stream.pix_fmt = "yuv420p"
        for _ in range(6):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(face, format="rgb24")))
        container.mux(stream.encode(None))
    out = tmp_path / "out"
    summary = run_batch(root, out, options=Options(mode="fast", audio="drop"))
    assert summary.done == 1
    (entry,) = lines(out)
    assert entry["output"] == "clip.mp4" and entry["options"]["audio"] == "drop" and entry["findings"] >= 1
    with av.open(str(out / "clip.mp4")) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert changed_fraction(face, frame, tuple(round(v * 128 / 512) for v in ASTRONAUT_FACE)) > 0.6


def test_vault_ingests_each_original_once_with_hash_and_provenance(tree, tmp_path):
    ws = Workspace.create(tmp_path / "ws", PASS, kdf=KdfParams.insecure_fast(), actor="tester")
    try:
        out = tmp_path / "out"
        run_batch(tree, out, options=FAST, workspace=ws)
        originals = {f.provenance["path"]: f for f in ws.vault.list() if f.kind == "original"}
        assert sorted(originals) == sorted([*MEDIA, "corrupt.jpg"])  # not the skipped text file
        entries = {e["input"]: e for e in lines(out)}
        for name, record in originals.items():
            assert record.sha256 == sha(tree / name) == entries[name]["input_sha256"]
            assert entries[name]["vault_id"] == record.id
            assert record.provenance["size"] == (tree / name).stat().st_size and record.provenance["modified"]
            assert ws.vault.get(record.id) == (tree / name).read_bytes()
        blobs = b"".join(p.read_bytes() for p in (tmp_path / "ws" / "vault").iterdir())
        assert (tree / "b.png").read_bytes()[:4000] not in blobs
        puts = [e for e in ws.audit_log() if e["action"] == "vault.put"]
        assert len(puts) == 7
        summary = run_batch(tree, out, options=FAST, workspace=ws)  # resume: nothing stored twice
        assert summary.reused == 6 and len(ws.vault.list()) == 7
    finally:
        ws.close()


def _cli(*args, **env):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def test_cli_exit_codes_summary_and_json(tree, tmp_path):
    out = tmp_path / "out"
    result = _cli("batch", tree, "-o", out, "--mode", "fast", "--json")
    assert result.exit_code == BATCH_FAILED_EXIT
    summary = json.loads(result.stdout)
    assert (summary["done"], summary["failed"], summary["skipped"]) == (6, 1, 1)
    assert "failed: corrupt.jpg" in result.stderr and "6 anonymised" in result.stderr
    (tree / "corrupt.jpg").unlink()
    again = _cli("batch", tree, "-o", out, "--mode", "fast")
    assert again.exit_code == 0 and "6 already done" in again.stderr
    inside = _cli("batch", tree, "-o", tree / "out")
    assert inside.exit_code == 7 and "inside the input folder" in inside.stderr


def test_cli_refuses_a_second_run_on_the_same_output(tree, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".safepost-batch.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = _cli("batch", tree, "-o", out, "--mode", "fast")
    assert result.exit_code == 7 and "another batch run" in result.stderr
    assert not (out / MANIFEST_NAME).exists()


def test_cli_vault_uses_the_workspace_and_a_wrong_passphrase_stops_everything(tree, tmp_path):
    ws_path = tmp_path / "ws"
    Workspace.create(ws_path, PASS, kdf=KdfParams.insecure_fast()).close()
    out = tmp_path / "out"
    wrong = _cli("--workspace", ws_path, "batch", tree, "-o", out, "--vault", SAFEPOST_PASSPHRASE="not the one at all")
    assert wrong.exit_code == 10 and not out.exists()
    ok = _cli("--workspace", ws_path, "batch", tree, "-o", out, "--vault", "--mode", "fast", SAFEPOST_PASSPHRASE=PASS)
    assert ok.exit_code == BATCH_FAILED_EXIT, ok.output
    with Workspace.open(ws_path, PASS) as ws:
        assert len(ws.vault.list()) == 7


def test_manifest_repairs_only_a_torn_tail(tmp_path):
    good = '{"input": "a.jpg", "status": "skipped", "finished_at": "t"}'
    (tmp_path / MANIFEST_NAME).write_text(good)  # complete, but its newline was not written yet
    manifest = Manifest.open(tmp_path)
    manifest.close()
    assert list(manifest.latest) == ["a.jpg"] and (tmp_path / MANIFEST_NAME).read_text() == good + "\n"


def test_an_input_replaced_by_a_non_media_file_loses_its_earlier_output(tree, tmp_path):
    out = tmp_path / "out"
    run_batch(tree, out, options=FAST)
    (tree / "a.jpg").write_text("now a text file")  # .jpg name, unknown content: tried, fails
    (tree / "b.png").unlink()
    (tree / "b.png").symlink_to(tmp_path / "elsewhere.png")  # now a link outside: skipped
    summary = run_batch(tree, out, options=FAST)
    assert not (out / "a.jpg").exists() and not (out / "b.png").exists()
    assert {f["input"] for f in summary.failures} == {"a.jpg", "corrupt.jpg"}
    assert "b.png" in {s["input"] for s in summary.skips}


def test_a_file_the_vault_cannot_store_is_not_anonymised(tree, tmp_path, monkeypatch):
    from safepost.core import WorkspaceError

    ws = Workspace.create(tmp_path / "ws", PASS, kdf=KdfParams.insecure_fast())
    real_put = ws.vault.put

    def put(path, kind, name="", provenance=None):
        if name == "b.png":
            raise WorkspaceError("cannot write to the vault: disk full")
        return real_put(path, kind, name, provenance)

    monkeypatch.setattr(ws.vault, "put", put)
    try:
        summary = run_batch(tree, tmp_path / "out", options=FAST, workspace=ws)
    finally:
        ws.close()
    failure = next(f for f in summary.failures if f["input"] == "b.png")
    assert "disk full" in failure["error"] and failure["exit_code"] == 9
    assert not (tmp_path / "out" / "b.png").exists() and (tmp_path / "out" / "a.jpg").exists()
