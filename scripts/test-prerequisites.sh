#!/usr/bin/env bash
# What the test suite needs besides Python packages, set up on a Debian machine: the
# Debian packages below, a running PostgreSQL with the tests' own role and database, and a
# running RabbitMQ. `make test` runs this first; `.ci/run` runs `make test`.
#
# As root (CI, a fresh container) it installs what is missing with apt-get and starts the
# services. As another user it only checks, and stops in its first seconds with the exact
# commands to run.
set -euo pipefail

packages=(python3.11 python3.11-venv make postgresql rabbitmq-server softhsm2 espeak-ng sox)
pg_role=custodio_test  # also the password and the database: see tests/conftest.py
root=0
[ "$(id -u)" -eq 0 ] && root=1

need() {  # the commands the user must run, then stop
  echo "make test needs, on this machine:" >&2
  printf '  %s\n' "$@" >&2
  echo "(run them, or run make test as root to have them done)" >&2
  exit 1
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() {
  for _ in $(seq "$2"); do listening "$1" && return 0; sleep 1; done
  echo "nothing listens on 127.0.0.1:$1 after $2 s" >&2
  return 1
}

missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ $root -eq 1 ] || need "sudo apt-get install -y ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  [ $root -eq 1 ] || need "sudo pg_ctlcluster $cluster main start"
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
  wait_for_port 5432 30
fi
# The tests log in with a password (a fresh cluster trusts no one on 127.0.0.1).
as_postgres=(psql -X -q -h 127.0.0.1 -U postgres)
"${as_postgres[@]}" -tAc "SELECT 1" >/dev/null 2>&1 || as_postgres=(runuser -u postgres -- psql -X -q)
if [ $root -eq 0 ] && ! "${as_postgres[@]}" -tAc "SELECT 1" >/dev/null 2>&1; then
  as_postgres=(sudo -n -u postgres psql -X -q)
fi
sql() { "${as_postgres[@]}" -tAc "$1"; }
if ! sql "SELECT 1 FROM pg_roles WHERE rolname = '$pg_role'" 2>/dev/null | grep -q 1; then
  sql "CREATE ROLE $pg_role LOGIN PASSWORD '$pg_role'" >/dev/null 2>&1 \
    || need "sudo -u postgres psql -c \"CREATE ROLE $pg_role LOGIN PASSWORD '$pg_role'\"" \
            "sudo -u postgres createdb -O $pg_role $pg_role"
fi
if ! sql "SELECT 1 FROM pg_database WHERE datname = '$pg_role'" | grep -q 1; then
  sql "CREATE DATABASE $pg_role OWNER $pg_role" >/dev/null
fi
sql "ALTER DATABASE $pg_role OWNER TO $pg_role" >/dev/null  # made by postgres before
# Search (migration 9, docs/search.md) needs unaccent in schema public; the database's owner
# could create it (a trusted extension), made here once so that no test races for it.
"${as_postgres[@]}" -d "$pg_role" -tAc "SET client_min_messages TO warning; CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public" >/dev/null

if ! listening 5672; then
  [ $root -eq 1 ] || need "sudo rabbitmq-server -detached"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for_port 5672 90
fi
echo "test prerequisites: Debian packages, PostgreSQL ($cluster, database $pg_role), RabbitMQ: ready"
