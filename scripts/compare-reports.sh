#!/usr/bin/env bash
# Every report's CSV written by two logis binaries from one database, compared byte for byte:
#   scripts/compare-reports.sh OLD_LOGIS NEW_LOGIS DATABASE_URL [PROGRAMME]
# (the six reports on the whole register, then production, rehabilitation, financement and
# programme on PROGRAMME, "Bench 59" by default: it needs targets, `logis objectifs`). Exit 1 on
# the first difference.
set -euo pipefail
old=$1 new=$2 db=$3 programme=${4:-Bench 59}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
run() { # name, then the report's arguments
  local name=$1; shift
  "$old" report "$@" --db "$db" > "$dir/old-$name.csv"
  "$new" report "$@" --db "$db" > "$dir/new-$name.csv"
  if cmp -s "$dir/old-$name.csv" "$dir/new-$name.csv"; then
    echo "identique  $name ($(wc -c < "$dir/old-$name.csv") octets)"
  else
    echo "DIFFÉRENT  $name"; status=1
  fi
}
for r in production rehabilitation renouvellement financement reequilibrage; do run "$r" "$r"; done
for r in production rehabilitation financement programme; do run "$r-programme" "$r" --programme "$programme"; done
exit $status
