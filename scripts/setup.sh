#!/usr/bin/env bash
# Install safepost into ./.venv (Python 3.11, 3.12 or 3.13). Usage: bash scripts/setup.sh [--test]
# PYTHON=python3.13 picks the interpreter, VENV=.venv-3.13 the folder (docs/install.md).
# --test also installs what the test suite needs: pytest, ruff, Playwright, and from Debian:
# exiftool (tests read outputs with it), libheif-examples (heif-enc makes HEIC fixtures with
# thumbnails), chromium (the web app's browser tests drive it) and the DejaVu fonts (PDFs).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}
python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null; then
      python=$candidate
      break
    fi
  done
fi
[ -n "$python" ] || { echo "safepost needs Python 3.11, 3.12 or 3.13; none was found." >&2; exit 1; }
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
# An ordinary editable install: the build (hatch_build.py) puts the pinned model files into
# src/safepost/vendor/; YuNet (optional, Python 3.11 on Linux and Windows only) for the tests.
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
if [ "${1:-}" = "--test" ]; then
  "${pip[@]}" -e ".[test,yunet]"
else
  "${pip[@]}" -e .
fi
"$venv/bin/safepost" doctor
if [ "${1:-}" = "--test" ]; then
  # hand-writing and non-Latin fonts: tests/detect/test_nophoto_hands.py, benchmarks/nophoto_synth.py and text_scripts.py
  fonts="fonts-dancingscript fonts-breip fonts-bwht fonts-femkeklaver fonts-kristi fonts-rufscript fonts-leckerli-one
    fonts-lobster fonts-rampart fonts-league-spartan fonts-cabin fonts-ecolier-court fonts-freefont-ttf
    fonts-hosny-amiri culmus fonts-lohit-deva fonts-wqy-microhei"
  if ! command -v exiftool >/dev/null || ! command -v heif-enc >/dev/null || ! command -v chromium >/dev/null \
    || [ ! -e /usr/share/fonts/opentype/dancingscript/DancingScript-Bold.otf ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libimage-exiftool-perl libheif-examples chromium fonts-dejavu-core $fonts >/dev/null
  fi
fi
