#!/usr/bin/env bash
# A Python with DuckDB (pinned) in target/bench-venv, for the import benchmark's anchor (DuckDB
# loads the same file into its own database and groups it); prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
  "$venv/bin/pip" install --quiet 'duckdb==1.1.3' >&2
fi
echo "$PWD/$venv/bin/python"
