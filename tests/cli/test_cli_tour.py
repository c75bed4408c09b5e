"""The README's short tour as a new user types it: folders made, ids printed, registry steps in order."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from safepost.cli import main
from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"


def _run(*args, **env):
    return CliRunner().invoke(main, [str(a) for a in args], env=env or None)


@pytest.fixture
def photos(tmp_path, monkeypatch):
    """march.jpg (one face) and two.jpg (two faces) in the current folder, as in the tour."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLES / "astronaut.jpg", "march.jpg")
    single = Image.open("march.jpg")
    pair = Image.new("RGB", (single.width * 2, single.height))
    pair.paste(single, (0, 0))
    pair.paste(single.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (single.width, 0))
    pair.save("two.jpg")
    return tmp_path


def test_several_photos_into_a_folder_that_does_not_exist_yet(photos):
    result = _run("redact", "march.jpg", "two.jpg", "-o", "cleaned/", "--mode", "fast")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (photos / "cleaned").iterdir()) == ["march.jpg", "two.jpg"]
    assert "march.jpg: 1 face found: f1 masked -> cleaned/march.jpg" in result.output
    assert "two.jpg: 2 faces found: f1, f2 masked" in result.output


def test_one_photo_into_a_new_folder_named_with_a_slash(photos):
    result = _run("redact", "march.jpg", "-o", "out/sub/", "--mode", "fast")
    assert result.exit_code == 0, result.output
    assert (photos / "out" / "sub" / "march.jpg").is_file()


def test_a_file_given_as_the_folder_for_several_photos_is_refused(photos):
    Path("taken").write_text("x")
    result = _run("redact", "march.jpg", "two.jpg", "-o", "taken", "--mode", "fast")
    assert result.exit_code == 2 and "is a file" in result.output
    assert Path("taken").read_text() == "x"


def test_ignore_reports_the_face_left_visible_and_the_hand_drawn_region(photos):
    Path("extra.json").write_text('{"regions": [{"x": 10, "y": 10, "width": 40, "height": 40}]}')
    result = _run("redact", "two.jpg", "--regions", "extra.json", "--ignore", "f2", "--mode", "fast")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("two.jpg:"))
    assert "2 faces found: f1 masked, f2 left visible; also masked: 1 region added by hand (m1)" in line


def _video(path: Path, sound: bool) -> Path:
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=12)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        audio = out.add_stream("aac", rate=16000) if sound else None
        if audio is not None:
            audio.layout = "mono"
        for _ in range(3):
            out.mux(video.encode(av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")))
        out.mux(video.encode(None))
        if audio is not None:
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate = 16000
            out.mux(audio.encode(frame))
            out.mux(audio.encode(None))
    return path


def test_sound_warning_only_for_a_video_with_sound(tmp_path):
    from safepost.cli.media import _has_sound

    assert _has_sound(_video(tmp_path / "loud.mp4", sound=True))
    assert not _has_sound(_video(tmp_path / "quiet.mp4", sound=False))
    result = _run("redact", tmp_path / "quiet.mp4", "--mode", "realtime")
    assert result.exit_code == 0, result.output
    assert "sound is kept" not in result.output


def test_registry_tour_in_readme_order_with_ids_printed_and_names_accepted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"SAFEPOST_WORKSPACE": str(tmp_path / "ws"), "SAFEPOST_PASSPHRASE": PASSPHRASE}
    Path("registrations.csv").write_text("name,event,photo\nAna Rojas,E-2026-forum,yes\nLuis Pérez,E-2026-forum,no\n")
    tour = _tour_block("# The encrypted consent registry")
    assert [line.split()[1] for line in tour] == ["init", "events", "people", "consent", "badges"]
    outputs = []
    for line in tour:
        result = _run(*_words(line), **env)
        assert result.exit_code == 0, (line, result.output)
        outputs.append(result.output)
    assert re.search(r"P-[0-9A-Z]{6}  Ana Rojas", outputs[2]) and re.search(r"P-[0-9A-Z]{6}  Luis Pérez", outputs[2])
    assert outputs[3].startswith("ALLOWED")
    assert Path("badges.pdf").read_bytes().startswith(b"%PDF")


def test_a_name_two_people_share_is_refused_with_their_ids(tmp_path):
    env = {"SAFEPOST_WORKSPACE": str(tmp_path / "ws"), "SAFEPOST_PASSPHRASE": PASSPHRASE}
    assert _run("init", **env).exit_code == 0
    for _ in range(2):
        assert _run("people", "add", "Ana Rojas", **env).exit_code == 0
    result = _run("consent", "show", "Ana Rojas", **env)
    assert result.exit_code == 12 and "2 people are called Ana Rojas" in result.output


def _tour_block(heading: str) -> list[str]:
    """The commands under ``heading`` in the README's tour, up to the next blank line."""
    text = (ROOT / "README.md").read_text()
    block = text[text.index(heading) :].split("\n\n", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines()[1:] if line.startswith("safepost ")]


def _words(line: str) -> list[str]:
    import shlex

    return shlex.split(line)[1:]


def test_working_spinner_only_at_a_terminal(monkeypatch):
    """The spinner is on standard error at a terminal, and silent for --json or a pipe."""
    import contextlib
    import sys

    from safepost.cli import working

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert isinstance(working("Checking…"), contextlib.nullcontext)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert isinstance(working("Checking…", quiet=True), contextlib.nullcontext)
    assert not isinstance(working("Checking…"), contextlib.nullcontext)
