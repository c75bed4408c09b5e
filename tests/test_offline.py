"""safepost makes no network connection and leaves no tracking files: onnxruntime's telemetry is off.

Every model is loaded: the face models and the text reader that the build copied into safepost.vendor.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_LOAD_MODELS = """
import safepost, os, sys
assert os.environ["ORT_DISABLE_TELEMETRY"] == "1"
import numpy as np
from safepost.detect.models import centerface_session, ocr_engine, retinaface_session
retinaface_session(1)
ocr_engine()  # rapidocr's reader as the build copied it into safepost.vendor
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


_HOLD_MODEL = (
    _LOAD_MODELS
    + """
import time
time.sleep(float(sys.argv[1]))  # onnxruntime's telemetry first tries to reach its collector ~10 s after a load
session.run(None, feed)
"""
)


@pytest.mark.skipif(not (shutil.which("strace") and shutil.which("unshare")), reason="needs strace and unshare")
def test_a_model_held_for_over_a_minute_makes_no_network_call(tmp_path: Path):
    """Inside a network namespace (loopback only), every connect/sendto is traced: none may leave the
    machine, DNS lookups included. Without safepost's switch, onnxruntime resolves its collector here."""
    assert _network_calls(tmp_path, _HOLD_MODEL, "65") == []


_WEB_CHECK = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from fastapi.testclient import TestClient
from safepost.web.checking import PostChecker
from tests.web.test_web_support import csrf_of, make_app, make_workspace, unlock
folder = Path(sys.argv[2]) / "ws"
make_workspace(folder)
photo = (Path(sys.argv[1]) / "src" / "safepost" / "samples" / "astronaut.jpg").read_bytes()
with TestClient(make_app(folder, checker=PostChecker())) as client:
    unlock(client)
    form = {"csrf": csrf_of(client.get("/posts/new").text), "platforms": "instagram", "audience": "public",
            "text": "At the forum"}
    made = client.post("/posts", data=form, files={"media": ("a.jpg", photo, "image/jpeg")}, follow_redirects=False)
    assert made.status_code == 303, made.text
    review = client.get(made.headers["location"])
    assert review.status_code == 200 and 'data-region="f1"' in review.text, review.text[-2000:]
    time.sleep(float(sys.argv[3]))  # the app stays open after the check, as a person reads the page
"""


@pytest.mark.skipif(not (shutil.which("strace") and shutil.which("unshare")), reason="needs strace and unshare")
def test_the_web_app_after_a_real_check_makes_no_network_call(tmp_path: Path):
    """The web app runs the real post check (its face models load in child processes), then stays open."""
    root = str(Path(__file__).resolve().parents[1])
    assert _network_calls(tmp_path, _WEB_CHECK, root, str(tmp_path), "40") == []


def _network_calls(tmp_path: Path, script: str, *args: str) -> list[str]:
    """The connect/sendto calls of ``script`` (and its children) that leave loopback, run inside a
    network namespace with onnxruntime's telemetry asked for."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("no permission to make a network namespace")
    home, tmp, log = tmp_path / "home", tmp_path / "tmp", tmp_path / "net.log"
    home.mkdir()
    tmp.mkdir()
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp), "ORT_DISABLE_TELEMETRY": "0"}
    command = ["unshare", "-n", "strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log)]
    run = subprocess.run([*command, sys.executable, "-c", script, *args], env=env, timeout=400, capture_output=True)
    assert run.returncode == 0, run.stderr.decode()[-3000:]
    calls = [line for line in log.read_text().splitlines() if "AF_INET" in line]
    return [line for line in calls if "127.0.0.1" not in line and '"::1"' not in line]
