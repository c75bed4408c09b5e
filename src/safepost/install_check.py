"""Is this installation the one safepost was tested with? (``safepost doctor``, run by scripts/setup.sh)

It looks at what safepost really needs: the Python version, every pinned package at its pin, the
headless OpenCV not replaced by another build, each model file that the build put into the wheel
present at its pinned sha256, and (unless ``--quick``) each model loaded and self-tested
(:mod:`safepost.detect.models`).
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys

from safepost.core import DetectionError

#: OpenCV builds that would shadow the headless ``cv2`` safepost pins.
OTHER_OPENCV = ("opencv-python", "opencv-contrib-python", "opencv-contrib-python-headless")

_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^;\s]+)\s*(?:;\s*(.+))?$")


def _pins() -> list[tuple[str, str]]:
    """(package, version) for each runtime pin of the installed safepost."""
    pins = []
    for requirement in metadata.requires("safepost") or []:
        match = _PIN.match(requirement.strip())
        if match and not (match[3] and "extra ==" in match[3]):
            pins.append((match[1], match[2]))
    return pins


def problems(load_models: bool = True) -> list[str]:
    """Everything wrong with this installation, in plain words; empty when all is well."""
    found = []
    if not (3, 11) <= sys.version_info[:2] < (3, 14):
        found.append(f"Python {sys.version.split()[0]} is not supported: use Python 3.11, 3.12 or 3.13.")
    for package, version in _pins():
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            found.append(f"{package} is missing (safepost needs {package} {version}).")
            continue
        if installed != version:
            found.append(f"{package} {installed} is installed; safepost was tested with {version}.")
    for package in OTHER_OPENCV:
        try:
            found.append(f"{package} {metadata.version(package)} is installed: it replaces the headless OpenCV.")
        except metadata.PackageNotFoundError:
            pass
    found += _model_file_problems()
    if load_models and not found:
        found += _model_problems()
    return found


def _model_file_problems() -> list[str]:
    """Each model file the build put into safepost, present and at its pinned sha256."""
    from safepost.detect import models

    found = []
    for name in models.MODEL_SHA256:
        try:
            models.read_weights(name)
        except DetectionError as exc:
            found.append(str(exc))
    return found


def _model_problems() -> list[str]:
    from safepost.detect import models

    found = []
    for load in (models.centerface_session, models.retinaface_session, models.ocr_engine):
        try:
            load()
        except DetectionError as exc:
            found.append(str(exc))
    return found
