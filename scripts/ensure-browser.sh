#!/usr/bin/env bash
# What the browser tests need: Debian's Chromium (/usr/bin/chromium, installed with apt-get if
# missing) and the npm packages of browser/ (playwright-core, axe-core) at the versions of
# browser/package-lock.json (`npm ci`, skipped when this lock file was installed already).
set -euo pipefail
cd "$(dirname "$0")/../browser"

root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -x /usr/bin/chromium ]; then
  echo "Chromium absent : installation du paquet Debian chromium…" >&2
  root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive root apt-get install -y -qq chromium >/dev/null
fi

if ! cmp -s package-lock.json node_modules/.logis-installed-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error >&2
  cp package-lock.json node_modules/.logis-installed-lock
fi
