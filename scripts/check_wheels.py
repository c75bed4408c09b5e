"""Check that every pinned dependency has a binary wheel for each supported Python and system.

Usage: python scripts/check_wheels.py [--python 3.11,3.12,3.13]

For each Python version and system it asks pip to resolve the pins of pyproject.toml (with their own
dependencies), the test extra and the yunet extra using wheels only, without downloading them
(``pip install --dry-run``). The model wheels are pure Python and go into safepost's own wheel at build
time (hatch_build.py), so they are the same everywhere. Needs the package index; writes nothing but a temp folder.
Exit 1 when any combination cannot be resolved.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_LINUX = [f"manylinux_2_{n}_x86_64" for n in range(34, 16, -1)] + ["manylinux2014_x86_64"]
#: system name: (pip platform tags, sys_platform for markers)
SYSTEMS = {
    "Linux x86_64": (_LINUX, "linux"),
    "macOS arm64": ([f"macosx_{n}_0_arm64" for n in range(14, 10, -1)], "darwin"),
    "Windows x86_64": (["win_amd64"], "win32"),
}


def _for(pins: list[str], python: str, sys_platform: str) -> list[str]:
    """The pins whose markers hold on that Python and system (pip would judge them by this machine)."""
    from packaging.requirements import Requirement

    env = {"python_version": python, "python_full_version": f"{python}.0", "sys_platform": sys_platform}
    kept = []
    for pin in pins:
        requirement = Requirement(pin)
        if requirement.marker is None or requirement.marker.evaluate(env):
            kept.append(f"{requirement.name}{requirement.specifier}")
    return kept


def _resolve(python: str, platforms: list[str], pins: list[str], work: Path) -> list[str]:
    """The wheel file names pip picks, or raises CalledProcessError with pip's message."""
    report = work / "report.json"
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"]
    command += ["--only-binary=:all:", "--python-version", python, "--target", str(work / "t")]
    command += [arg for p in platforms for arg in ("--platform", p)]
    command += ["--report", str(report), *pins]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return [item["download_info"]["url"].rsplit("/", 1)[-1] for item in json.loads(report.read_text())["install"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.11,3.12,3.13")
    args = parser.parse_args()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    groups = {"dependencies": project["dependencies"], "test": extras["test"], "yunet": extras["yunet"]}
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for python in args.python.split(","):
            for system, (platforms, sys_platform) in SYSTEMS.items():
                for group, pins in groups.items():
                    pins = _for(pins, python, sys_platform)
                    if not pins:
                        continue  # yunet where its marker excludes it
                    try:
                        wheels = _resolve(python, platforms, pins, Path(tmp))
                    except subprocess.CalledProcessError as exc:
                        failed += 1
                        lines = [line for line in exc.stderr.splitlines() if line.startswith("ERROR")]
                        print(f"FAIL  Python {python}  {system:15} {group}: {' '.join(lines)[:300]}")
                        continue
                    native = sum(not w.endswith("-none-any.whl") for w in wheels)
                    print(f"ok    Python {python}  {system:15} {group}: {len(wheels)} wheels ({native} binary)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
