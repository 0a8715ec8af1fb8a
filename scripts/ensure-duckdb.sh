#!/usr/bin/env bash
# A Python with DuckDB (pinned) in target/bench-venv, for the benchmarks' anchor; prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet 'duckdb==1.1.3' >&2
fi
echo "$PWD/$venv/bin/python"
