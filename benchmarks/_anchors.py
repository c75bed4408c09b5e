"""Anchor tools shared by the benchmarks: deface in its own venv, and a python for the eval scorers.

deface==1.5.0 is installed on first use in benchmarks/.venvs/deface (it needs the GUI build of OpenCV,
which conflicts with our headless one). Same venv and version as faces.py uses.
The eval folder's score_false_masks.py needs scipy, which safepost does not: it runs in
benchmarks/.venvs/scoring (numpy, Pillow, scipy, pinned below), made on first use.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFACE_VERSION = "1.5.0"
DEFACE_VENV = REPO / "benchmarks" / ".venvs" / "deface"
SCORING_VENV = REPO / "benchmarks" / ".venvs" / "scoring"
SCORING_PACKAGES = ("numpy==2.4.6", "pillow==13.0.0", "scipy==1.17.1")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ensure_deface() -> Path:
    """The deface executable, installing deface==DEFACE_VERSION in DEFACE_VENV first if needed."""
    exe = DEFACE_VENV / "bin" / "deface"
    if not exe.exists():
        log(f"creating {DEFACE_VENV} with deface=={DEFACE_VERSION} ...")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(DEFACE_VENV)], check=True)
        pip = DEFACE_VENV / "bin" / "pip"
        subprocess.run([str(pip), "install", "-q", f"deface=={DEFACE_VERSION}"], check=True)
    return exe


def deface_backend() -> str:
    """What deface's --backend auto picks: 'onnxrt' when onnx and onnxruntime import in its venv, else 'opencv'."""
    py = DEFACE_VENV / "bin" / "python"
    proc = subprocess.run([str(py), "-c", "import onnx, onnxruntime"], capture_output=True)
    return "onnxrt" if proc.returncode == 0 else "opencv"


def scorer_python() -> Path:
    """A python with numpy, Pillow and scipy for the eval scorers, making SCORING_VENV first if needed."""
    py = SCORING_VENV / "bin" / "python"
    if not py.exists() or subprocess.run([str(py), "-c", "import scipy, PIL"], capture_output=True).returncode:
        log(f"creating {SCORING_VENV} with {', '.join(SCORING_PACKAGES)} ...")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(SCORING_VENV)], check=True)
        subprocess.run([str(SCORING_VENV / "bin" / "pip"), "install", "-q", *SCORING_PACKAGES], check=True)
    return py
