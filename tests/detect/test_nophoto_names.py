"""Registry names read in photos (issue #6, M8): "--redact-text names" masks them too."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFont

from safepost.cli import main
from safepost.flows.media import redact_file
from safepost.text import NameEntry, NameIndex

BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
PASS = "correct horse battery staple"


def _font(size: int):
    return ImageFont.truetype(str(BOLD), size) if BOLD.exists() else ImageFont.load_default(size=size)


@pytest.fixture(scope="module")
def poster(tmp_path_factory) -> Path:
    """No face: a banner naming a person, and a line naming nobody."""
    canvas = Image.new("RGB", (900, 360), (235, 235, 225))
    draw = ImageDraw.Draw(canvas)
    draw.text((60, 60), "Thanks to Maria Lopez", font=_font(44), fill=(20, 20, 20))
    draw.text((60, 220), "Open day at the centre", font=_font(44), fill=(20, 20, 20))
    path = tmp_path_factory.mktemp("names") / "poster.png"
    canvas.save(path)
    return path


def _changed(a: np.ndarray, b: np.ndarray, box) -> float:
    x0, y0, x1, y1 = (int(v) for v in box)
    return float((np.abs(a[y0:y1, x0:x1].astype(int) - b[y0:y1, x0:x1].astype(int)).max(axis=2) > 24).mean())


def _line(result, word: str) -> dict:
    return next(t for t in result.texts if word in t["text"].replace(" ", "").lower())


def test_a_registry_name_is_masked_with_names_and_only_then(poster, tmp_path):
    index = NameIndex([NameEntry("P-ana", "Maria Lopez"), NameEntry("P-ben", "Ben Okafor")])
    result = redact_file(poster, tmp_path / "out.png", redact_text="names", names=index)
    named, other = _line(result, "marialopez"), _line(result, "openday")
    assert named["masked"] and named["registry_people"] == ["P-ana"] and "region" in named
    assert not other["masked"] and "registry_people" not in other
    before = np.asarray(Image.open(poster).convert("RGB"))
    after = np.asarray(Image.open(result.output).convert("RGB"))
    assert _changed(before, after, named["box"]) > 0.5
    assert _changed(before, after, other["box"]) == 0.0

    plain = redact_file(poster, tmp_path / "plain.png", redact_text="names")  # no registry: a sign, kept
    assert not _line(plain, "marialopez")["masked"]
    nobody = redact_file(poster, tmp_path / "none.png", find_tags=True, names=index)  # listed, not masked
    assert not _line(nobody, "marialopez")["masked"]


@pytest.fixture
def workspace_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFEPOST_INSECURE_FAST_KDF", "1")
    monkeypatch.setenv("SAFEPOST_PASSPHRASE", PASS)
    monkeypatch.setenv("SAFEPOST_ACTOR", "Staff A")
    ws = tmp_path / "ws"

    def run(*args):
        return CliRunner().invoke(main, ["--workspace", str(ws), *[str(a) for a in args]])

    assert run("init").exit_code == 0
    assert run("people", "add", "Maria Lopez").exit_code == 0
    return run


def test_cli_registry_names_unlocks_the_workspace(workspace_cli, poster, tmp_path, monkeypatch):
    out = tmp_path / "cli.png"
    done = workspace_cli("redact", poster, "-o", out, "--registry-names", "--json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["redact_text"] == "names"
    named = next(t for t in data["texts"] if "lopez" in t["text"].lower())
    assert named["masked"] and named["registry_people"]

    monkeypatch.setenv("SAFEPOST_PASSPHRASE", "wrong passphrase")
    refused = workspace_cli("redact", poster, "-o", tmp_path / "no.png", "--registry-names")
    assert refused.exit_code == 10 and not (tmp_path / "no.png").exists()
