#!/usr/bin/env bash
# Derives logis's reference geography (data/*.csv) from the pinned npm package
# @etalab/decoupage-administratif@6.0.0 (Licence Ouverte / MIT, see data/SOURCES.md).
# Deterministic: running it again on the same package version rewrites the same files.
set -euo pipefail
PKG="@etalab/decoupage-administratif@6.0.0"
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PKG" >/dev/null && tar xzf ./*.tgz)
node "$root/scripts/derive-geography.mjs" "$tmp/package/data" "$root/data"
echo "data/ regenerated from $PKG"
