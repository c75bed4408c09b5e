#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run the whole suite: on Python 3.11
# (in .venv) and on Python 3.13 (in .venv-3.13), each where it is installed; with neither, on the
# Python scripts/setup.sh finds. SAFEPOST_PYTHONS="python3.12" picks others. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
usable() { command -v "$1" >/dev/null && "$1" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null; }
# A pyenv shim answers `command -v python3.13` but refuses to run a version that is not the selected
# one ("pyenv: python3.13: command not found"): then the interpreter is taken from pyenv's folder.
find_python() {
  if usable "$1"; then echo "$1"; return; fi
  local candidate
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"${1#python}"*/bin/"$1"; do
    if [ -x "$candidate" ] && usable "$candidate"; then echo "$candidate"; return; fi
  done
  return 1
}
ran=0
for name in ${SAFEPOST_PYTHONS:-python3.11 python3.13}; do
  if ! python=$(find_python "$name"); then
    echo "($name is not installed here: the suite does not run on it)" >&2
    continue
  fi
  venv=.venv
  [ "$ran" = 0 ] || venv=".venv-$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  echo "== the suite on $("$python" --version) in $venv" >&2
  PYTHON=$python VENV=$venv bash scripts/setup.sh --test
  "$venv/bin/ruff" check src tests benchmarks
  "$venv/bin/python" -m pytest "$@"
  ran=$((ran + 1))
done
if [ "$ran" = 0 ]; then
  bash scripts/setup.sh --test
  .venv/bin/ruff check src tests benchmarks
  .venv/bin/python -m pytest "$@"
fi
