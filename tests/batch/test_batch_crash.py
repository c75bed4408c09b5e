"""R3: `kill -9` in the middle of a batch run, then resume: no partial or duplicated outputs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from tests.batch.test_batch import MANIFEST_NAME, astronaut, sha

FILES = [f"photo{i:02d}.jpg" for i in range(6)] + [f"album/shot{i}.png" for i in range(4)]

# The CLI with every photo write slowed down: half the bytes, a pause, then the rest. A kill
# during the pause leaves a half-written temporary file, as a crash in a real encode would.
SLOW_CLI = """
import io, sys, time
import safepost.media.images as images
real = images.atomic_write
def slow(path, write):
    def halves(stream):
        buffer = io.BytesIO(); write(buffer); data = buffer.getvalue()
        stream.write(data[: len(data) // 2]); stream.flush(); time.sleep(0.25); stream.write(data[len(data) // 2 :])
    real(path, halves)
images.atomic_write = slow
from safepost.cli import run
sys.argv = ["safepost", *sys.argv[1:]]
run()
"""


def _manifest_lines(out: Path) -> list[bytes]:
    try:
        return (out / MANIFEST_NAME).read_bytes().split(b"\n")[:-1]
    except FileNotFoundError:
        return []


def _visible_files(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")}


def test_kill_9_mid_run_then_resume(tmp_path):
    source = tmp_path / "in"
    (source / "album").mkdir(parents=True)
    for i, name in enumerate(FILES):
        astronaut(120 + 4 * i).save(source / name)
    out = tmp_path / "out"
    args = ["batch", str(source), "-o", str(out), "--mode", "fast"]

    run = subprocess.Popen([sys.executable, "-c", SLOW_CLI, *args], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(_manifest_lines(out)) < 4 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # now inside the slow write of the fifth file
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert run.returncode == -signal.SIGKILL, run.stderr.read().decode()

    finished = [json.loads(line) for line in _manifest_lines(out)]
    assert 4 <= len(finished) < len(FILES)
    for name in _visible_files(out) - {MANIFEST_NAME}:  # whatever is under a final name is complete
        with Image.open(out / name) as image:
            image.load()
    partials = list(out.rglob(".safepost-*.part"))

    cli = "import sys; from safepost.cli import run; sys.argv = ['safepost', *sys.argv[1:]]; run()"
    resumed = subprocess.run([sys.executable, "-c", cli, *args, "--json"], capture_output=True)
    assert resumed.returncode == 0, resumed.stderr.decode()
    summary = json.loads(resumed.stdout)
    assert summary["already_done"] == len(finished) and summary["done"] == len(FILES) - len(finished)
    assert summary["removed_partial_files"] == len(partials)
    assert not list(out.rglob("*.part"))
    assert _visible_files(out) == {MANIFEST_NAME, *FILES}
    entries = [json.loads(line) for line in _manifest_lines(out)]
    assert sorted(e["input"] for e in entries) == sorted(FILES)  # one line per input, no duplicate
    for entry in entries:
        assert entry["status"] == "done" and entry["output"] == entry["input"]
        assert entry["input_sha256"] == sha(source / entry["input"])
        assert entry["output_sha256"] == sha(out / entry["output"])
        with Image.open(out / entry["output"]) as image:
            image.load()
