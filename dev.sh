#!/usr/bin/env bash
# One entry point for people and CI:
#   bash dev.sh app    install everything (first time) and start the studio dashboard
#   bash dev.sh test   install everything (first time) and run the test suite
# Everything goes into .venv beside this file; requirements.txt is re-installed only when it changes.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV=.venv

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating $VENV ..." >&2
    "$PYTHON" -m venv "$VENV"
  fi
  local stamp="$VENV/.requirements.sha256"
  local want
  want=$(sha256sum requirements.txt | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing requirements (first time takes a few minutes) ..." >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
    echo "$want" > "$stamp"
  fi
}

case "${1:-}" in
  app)
    ensure_venv
    shift
    exec "$VENV/bin/python" -m streamlit run app.py "$@"
    ;;
  test)
    ensure_venv
    shift
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: bash dev.sh app | test [pytest args]" >&2
    exit 2
    ;;
esac
