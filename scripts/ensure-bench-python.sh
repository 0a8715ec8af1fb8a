#!/usr/bin/env bash
# A Python with the benchmarks' anchors, pinned, in target/bench-venv: DuckDB (the imports' and
# the land bank's reports), NumPy and SciPy (the relocation's assignment); prints its path, for
# LOGIS_BENCH_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c 'import duckdb, numpy, scipy' 2>/dev/null; then
  "$venv/bin/pip" install --quiet 'duckdb==1.1.3' 'numpy==2.1.3' 'scipy==1.14.1' >&2
fi
echo "$PWD/$venv/bin/python"
