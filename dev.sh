#!/usr/bin/env bash
# One entry point for people and CI:
#   bash dev.sh app    install everything (first time) and start the studio dashboard
#   bash dev.sh share  like app, but for the network: friends are guests, the printed owner link is you
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
  share)
    ensure_venv
    shift
    port="${NST_SHARE_PORT:-8501}"
    # this machine's LAN address, read locally (no network traffic); loopback if it has none
    addr=$(hostname -I 2>/dev/null | awk '{print $1}')
    addr="${addr:-127.0.0.1}"
    export NST_SHARE=1
    NST_OWNER_TOKEN=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(24))')
    export NST_OWNER_TOKEN
    echo "Sharing the studio on the network."
    echo "  Give friends (guests: paint and browse): http://$addr:$port/"
    echo "  Your owner link (keep it to yourself):   http://$addr:$port/?owner=$NST_OWNER_TOKEN"
    # NST_SHARE_DRY_RUN=1: print the lines and stop (tests)
    if [ "${NST_SHARE_DRY_RUN:-}" = "1" ]; then exit 0; fi
    exec "$VENV/bin/python" -m streamlit run app.py --server.address 0.0.0.0 --server.port "$port" \
      --client.showErrorDetails none "$@"
    ;;
  test)
    ensure_venv
    shift
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: bash dev.sh app | share | test [pytest args]" >&2
    exit 2
    ;;
esac
