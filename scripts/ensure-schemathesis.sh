#!/usr/bin/env bash
# Install schemathesis (PyPI, pinned) in a virtual environment under target/ and print the path
# of its executable. The API conformance tests run it against the served OpenAPI document.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.32.5
VENV=target/schemathesis-venv
EXE="$VENV/bin/schemathesis"
if [ ! -x "$EXE" ] || ! "$EXE" --version 2>/dev/null | grep -q "$VERSION"; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    echo "python3-venv manquant : installation (apt-get)…" >&2
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2; else sudo apt-get update -qq >&2 && sudo apt-get install -y -qq python3-venv >&2; fi
  fi
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$VERSION" >&2
fi
echo "$PWD/$EXE"
