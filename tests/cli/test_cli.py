import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from safepost.cli import main
from tests.conftest import ASTRONAUT_FACE, changed_fraction, rgb


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _bad_inputs(folder: Path, astronaut: Path) -> dict[str, tuple[Path, int]]:
    folder.mkdir()
    empty = folder / "empty.jpg"
    empty.write_bytes(b"")
    text = folder / "notes.jpg"
    text.write_text("this is not a picture")
    truncated = folder / "cut.jpg"
    truncated.write_bytes(astronaut.read_bytes()[:4000])
    icon = folder / "logo.ico"
    Image.new("RGB", (32, 32), "red").save(icon)
    huge = folder / "bomb.png"
    Image.new("1", (20000, 20000)).save(huge)
    return {
        "missing": (folder / "nope.jpg", 3),
        "empty": (empty, 3),
        "text": (text, 3),
        "truncated": (truncated, 3),
        "unsupported": (icon, 4),
        "huge": (huge, 5),
    }


@pytest.fixture
def bad(tmp_path, astronaut):
    return _bad_inputs(tmp_path / "bad", astronaut)


@pytest.mark.parametrize("case", ["missing", "empty", "text", "truncated", "unsupported", "huge"])
def test_bad_input_gets_one_error_line_its_exit_code_and_no_output(bad, tmp_path, case):
    path, code = bad[case]
    out = tmp_path / "out.png"
    result = _run("redact", path, "-o", out, "--mode", "fast")
    assert result.exit_code == code, result.output
    assert "error:" in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(p.name for p, _ in bad.values() if p.exists())


def test_summary_json_and_regions_file(astronaut, tmp_path):
    result = _run("redact", astronaut, "-o", tmp_path / "a.png", "--mode", "fast")
    assert result.exit_code == 0
    assert "1 face found: f1 masked" in result.output and "a.png" in result.output

    regions = tmp_path / "regions.json"
    regions.write_text(json.dumps({"regions": [{"x": 0, "y": 0, "width": 50, "height": 50}]}))
    result = _run("redact", astronaut, "-o", tmp_path / "b.png", "--json", "--regions", regions, "--mode", "fast")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert {r["kind"] for r in data["regions"]} == {"face", "manual"}
    assert changed_fraction(rgb(astronaut), rgb(tmp_path / "b.png"), ASTRONAUT_FACE) > 0.95


def test_ignore_and_usage_errors(astronaut, tmp_path):
    result = _run("redact", astronaut, "-o", tmp_path / "c.png", "--ignore", "f1", "--json", "--mode", "fast")
    assert result.exit_code == 0 and json.loads(result.stdout)["ignored"] == ["f1"]
    assert _run("redact", astronaut, astronaut, "--ignore", "f1").exit_code == 2
    (tmp_path / "afile").write_text("x")
    assert _run("redact", astronaut, astronaut, "-o", tmp_path / "afile").exit_code == 2  # a file, not a folder
    bad_regions = tmp_path / "bad.json"
    bad_regions.write_text("{")
    assert _run("redact", astronaut, "--regions", bad_regions).exit_code == 8


def test_several_inputs_into_a_folder_continue_past_a_bad_one(astronaut, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    result = _run("redact", empty, astronaut, "-o", out, "--mode", "fast")
    assert result.exit_code == 3
    assert [p.name for p in out.iterdir()] == ["astronaut.jpg"]


def test_reversible_style_warns(astronaut, tmp_path):
    result = _run("redact", astronaut, "-o", tmp_path / "b.png", "--style", "blur", "--mode", "fast")
    assert result.exit_code == 0 and "reversed" in result.output


def test_demo_runs_on_bundled_samples(tmp_path):
    result = _run("demo", "-o", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    made = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert made[:2] == ["astronaut.jpg", "cameraman.jpg"]
    assert made[2:] == ["demo-post", "demo-post-report.html", "demo-post-safe", "demo-workspace"]
    assert "GPS" in result.output
    assert "demo-post: BLOCKED" in result.output and "prepare`: LOW" in result.output
    safe_text = (tmp_path / "demo" / "demo-post-safe" / "post.txt").read_text()
    assert "Tomás" not in safe_text and "555" not in safe_text


def test_installed_command_exit_codes(tmp_path):
    exe = Path(sys.executable).with_name("safepost")
    empty = tmp_path / "e.jpg"
    empty.write_bytes(b"")
    proc = subprocess.run(
        [str(exe), "redact", str(empty)], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    assert proc.returncode == 3 and "empty" in proc.stderr
    assert subprocess.run([str(exe), "--version"], capture_output=True).returncode == 0
