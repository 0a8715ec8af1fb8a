#!/usr/bin/env bash
# Make sure the PostgreSQL server of the tests answers at $LOGIS_TEST_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/test): start the local cluster if it is installed
# but stopped, install it from Debian's packages if it is missing, allow local trust logins,
# and create the `test` database.
set -euo pipefail
URL="${LOGIS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

answers() { psql "$URL" -Atqc 'SELECT 1' >/dev/null 2>&1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if command -v psql >/dev/null && answers; then
  exit 0
fi

if ! ls /etc/postgresql/*/main/postgresql.conf >/dev/null 2>&1; then
  echo "PostgreSQL absent : installation du paquet Debian postgresql…" >&2
  root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive root apt-get install -y -qq postgresql postgresql-client >/dev/null
fi

version="$(ls /etc/postgresql | sort -V | tail -1)"
hba="/etc/postgresql/$version/main/pg_hba.conf"
if ! root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
  # Tests log in without a password on the loopback only.
  root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
fi
root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
  || root pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true

for _ in $(seq 1 60); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 0.5
done
if ! as_postgres psql -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1; then
  as_postgres createdb test
fi
if ! answers; then
  echo "PostgreSQL ne répond pas à $URL" >&2
  exit 1
fi
