#!/usr/bin/env bash
# Load benchmark of the web pages on loopback with wrk (Debian package): the demo territory in a
# fresh SQLite file, served by the release binary, each page requested for DURATION seconds by
# CONNECTIONS connections with an administrator's session. With FILE, the lines of FILE (the
# exchange format, e.g. bench-data/operations-v3-1000000.csv from logis-bench, its programme
# column dropped) are imported on top of the demo first.
#
# Usage: scripts/bench-pages.sh [FILE]   (env: DURATION=10 CONNECTIONS=4 THREADS=2 PORT=18181 PAGES="/ /carte")
# Prints one Markdown row per page: requests/s, p50, p99, max. With AFTER_WRITE=1, then imports one
# line by the CLI beside the server, prints how long the server took to compute again the pages
# it had served (its log), and measures the pages again.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-4}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18181}"
command -v wrk >/dev/null || { echo "wrk absent : apt-get install wrk" >&2; exit 1; }

cargo build --release --locked --bin logis >&2
bin=target/release/logis
dir="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$dir"' EXIT
export LOGIS_DATABASE_URL="sqlite://$dir/pages.db"
"$bin" demo --sans-serveur >&2
if [ -n "${1:-}" ]; then
  # The bench file names programmes the demo does not have: the column is dropped.
  col="$(head -1 "$1" | tr ';' '\n' | grep -nx 'programme' | cut -d: -f1 || true)"
  if [ -n "$col" ]; then cut --complement -d';' -f"$col" "$1" > "$dir/lines.csv"; else cp "$1" "$dir/lines.csv"; fi
  head -1 "$dir/lines.csv" >&2
  time "$bin" import operations "$dir/lines.csv" >&2
fi
"$bin" serve --addr "127.0.0.1:$PORT" 2> >(tee "$dir/server.log" >&2) &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/sante" >/dev/null && break; sleep 0.1; done

jar="$dir/cookies"
csrf="$(curl -s -c "$jar" "http://127.0.0.1:$PORT/connexion" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)"
curl -s -b "$jar" -c "$jar" -o /dev/null \
  --data-urlencode "csrf=$csrf" --data-urlencode "identifiant=admin" \
  --data-urlencode "mot_de_passe=demo-logis-2030" --data-urlencode "suite=/" \
  "http://127.0.0.1:$PORT/connexion"
session="$(awk '$6=="logis_session"{print $7}' "$jar")"
[ -n "$session" ] || { echo "connexion impossible" >&2; exit 1; }

op="$(curl -s -b "logis_session=$session" "http://127.0.0.1:$PORT/operations" | sed -n 's/.*href="\/operations\/\([0-9]*\)".*/\1/p' | head -1)"
pages=(
  "/"
  "/operations"
  "/operations?q=residence&tri=logements&ordre=desc"
  "/operations?q=gravelines"
  "/operations?commune=Grande-Synthe&annee_min=2026&annee_max=2028&page=2"
  "/operations/$op"
  "/operations/$op/modifier"
  "/operations/nouvelle"
  "/rapports/production"
  "/rapports/rehabilitation"
  "/rapports/programme"
  "/rapports/renouvellement"
  "/rapports/financement"
  "/rapports/reequilibrage"
  "/carte"
  "/carte?indicateur=demolitions&annee_min=2024"
  "/referentiel"
  "/import"
)
# PAGES="/ /carte" measures only those.
if [ -n "${PAGES:-}" ]; then read -r -a pages <<<"$PAGES"; fi
# One Markdown table of every page: requests/s, p50, p99, max (the first column headed "$1").
measure_pages() {
  echo "| $1 | requêtes/s | p50 | p99 | max |"
  echo "|---|---:|---:|---:|---:|"
  for p in "${pages[@]}"; do
    status="$(curl -s -o /dev/null -w '%{http_code}' -b "logis_session=$session" "http://127.0.0.1:$PORT$p")"
    out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Cookie: logis_session=$session" "http://127.0.0.1:$PORT$p")"
    rps="$(awk '/Requests\/sec/{print $2}' <<<"$out")"
    p50="$(awk '$1=="50%"{print $2}' <<<"$out")"
    p99="$(awk '$1=="99%"{print $2}' <<<"$out")"
    max="$(awk '$1=="Latency"{print $4}' <<<"$out")"
    non2xx="$(awk '/Non-2xx/{print $NF}' <<<"$out")"
    echo "| \`$p\` ($status${non2xx:+, $non2xx non-2xx}) | $rps | $p50 | $p99 | $max |"
  done
}
measure_pages "page"
if [ "${AFTER_WRITE:-0}" = "1" ]; then
  printf 'reference;bailleur;commune;nature;produit;logements;annee\nBENCH-ECRITURE;Vilogia;Gravelines;Construction neuve;PLUS;%s;2031\n' "$RANDOM" > "$dir/one.csv"
  before="$(grep -c 'recalculée' "$dir/server.log" || true)"
  t0="$(date +%s.%N)"
  "$bin" import operations "$dir/one.csv" >&2
  t1="$(date +%s.%N)"
  for _ in $(seq 1 600); do
    [ "$(grep -c 'recalculée' "$dir/server.log" || true)" -gt "$before" ] && break
    sleep 0.1
  done
  t2="$(date +%s.%N)"
  echo
  echo "Après l'import d'une ligne par la CLI ($(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s) : pages recalculées en arrière-plan $(awk "BEGIN{printf \"%.1f\", $t2-$t1}") s plus tard ($(grep -o '[0-9]* page(s) recalculée(s) après une écriture en [0-9.]* s' "$dir/server.log" | tail -1))."
  echo
  measure_pages "page (après l'écriture)"
fi
