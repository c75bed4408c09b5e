"""No leftovers (issue 18 item 9): staging of a killed run is removed by the next run in that folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
from click.testing import CliRunner
from PIL import Image

from safepost.cli import main
from safepost.media import staging
from safepost.media.atomic import atomic_write_bytes

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from safepost.media import staging
    fd, part = staging.new_part(Path(sys.argv[1]))
    with staging.staging_folder(Path(sys.argv[1])) as folder:
        (folder / "masked.jpg").write_bytes(b"x")
        print(part, folder, flush=True)
        time.sleep(600)
    """
)


def _held_by_child(folder):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True, env=env)
    part, stage = child.stdout.readline().split()
    return child, part, stage


def test_a_killed_runs_staging_is_removed_by_the_next_run_and_a_live_one_is_kept(tmp_path):
    child, part, stage = _held_by_child(tmp_path)
    try:
        atomic_write_bytes(tmp_path / "other.bin", b"data")  # a live writer's files are left alone
        assert os.path.exists(part) and os.path.isdir(stage)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert os.path.exists(part) and os.path.isdir(stage)  # kill -9: nothing cleaned up by the child
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(photo)
    result = CliRunner().invoke(main, ["clean", str(photo)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not os.path.exists(part) and not os.path.exists(stage)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.bin", "photo.clean.png", "photo.png"]


def test_sweep_leaves_other_hidden_files(tmp_path):
    (tmp_path / ".safepost-notes.txt").write_text("mine")
    (tmp_path / ".hidden.part").write_text("mine")
    assert staging.sweep(tmp_path) == []
    assert len(list(tmp_path.iterdir())) == 2


def test_prepare_never_stages_in_the_machine_temp_folder():
    import inspect

    from safepost.flows import prepare

    source = inspect.getsource(prepare)
    assert "tempfile" not in source and "staging_folder" in source
