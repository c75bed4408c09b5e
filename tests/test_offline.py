"""safepost makes no network connection and leaves no tracking files: onnxruntime's telemetry is off."""

import os
import subprocess
import sys
from pathlib import Path

_LOAD_MODELS = """
import safepost, os, sys
assert os.environ["ORT_DISABLE_TELEMETRY"] == "1"
import numpy as np
from safepost.detect.models import centerface_session
session = centerface_session(1)
feed = {session.get_inputs()[0].name: np.zeros((1, 3, 32, 32), np.float32)}
session.run(None, feed)
"""


def test_loading_a_face_model_writes_no_telemetry_files(tmp_path: Path):
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(home / ".cache")}
    env["ORT_DISABLE_TELEMETRY"] = "0"  # safepost must override a user's (or a malicious) setting
    subprocess.run([sys.executable, "-c", _LOAD_MODELS], env=env, check=True, timeout=120)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert written == ["home", "tmp"], written  # without the switch: tmp/.ses, home/.cache/Microsoft/...
