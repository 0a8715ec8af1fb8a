#!/usr/bin/env bash
# A Python with SciPy and NumPy (pinned) in target/bench-venv, for the relocation benchmark's
# anchor (scipy.optimize.linear_sum_assignment); prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c 'import scipy, numpy' 2>/dev/null; then
  "$venv/bin/pip" install --quiet 'numpy==2.1.3' 'scipy==1.14.1' >&2
fi
echo "$PWD/$venv/bin/python"
