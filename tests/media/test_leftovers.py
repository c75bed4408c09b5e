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


def test_staging_locks_with_msvcrt_where_there_is_no_fcntl(monkeypatch, tmp_path):
    """Windows has no fcntl: the staging lock is msvcrt.locking there, with the same behaviour (here a
    stand-in msvcrt that locks the way Windows does: held by the open file, refused to another)."""
    import fcntl
    import importlib
    import os
    import sys
    import types

    from safepost.media import staging

    calls = []

    def locking(fd, mode, nbytes):
        calls.append((mode, nbytes))
        fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if mode == fake.LK_NBLCK else 0))

    fake = types.ModuleType("msvcrt")
    fake.LK_LOCK, fake.LK_NBLCK, fake.locking = 1, 2, locking
    monkeypatch.setitem(sys.modules, "fcntl", None)  # import fcntl fails, as on Windows
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    try:
        windows = importlib.reload(staging)
        assert windows.fcntl is None
        fd, part = windows.new_part(tmp_path)
        assert calls == [(fake.LK_LOCK, 1)]
        assert windows.sweep(tmp_path) == [] and part.exists()  # held: never removed
        os.close(fd)
        assert windows.sweep(tmp_path) == [part] and not part.exists()  # its writer is gone
        assert (fake.LK_NBLCK, 1) in calls
        with windows.staging_folder(tmp_path) as folder:
            assert windows.sweep(tmp_path) == [] and folder.is_dir()
        assert not folder.exists()
    finally:
        monkeypatch.undo()
        importlib.reload(staging)
    assert staging.fcntl is fcntl
