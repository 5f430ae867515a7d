#!/usr/bin/env bash
# Installs (if absent) and starts the PostgreSQL and MariaDB servers the tests use, creates the
# test role and database in each, and prints the environment variables that point tests at
# them. Idempotent: running it again on a ready machine only checks and prints.
#
# Usage: scripts/services.sh            # human-readable
#        eval "$(scripts/services.sh --env)"   # export MESHGATE_TEST_PG / MESHGATE_TEST_MYSQL
set -euo pipefail

PG_PORT=${MESHGATE_PG_PORT:-5432}
MY_PORT=${MESHGATE_MYSQL_PORT:-3306}
USER_NAME=meshgate
USER_PASS=meshgate
DB=meshgate_test

log() { if [ "${1:-}" != "" ]; then echo "services: $*" >&2; fi; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_pkgs=()
command -v pg_lsclusters >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_pkgs+=(postgresql postgresql-contrib)
command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1 || need_pkgs+=(mariadb-server)
# The Python client suite (make test-python) creates a venv; Debian's python3 needs python3-venv for it.
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need_pkgs+=(python3-venv)
fi
# The JDBC client suite (make test-jdbc) needs a JDK and Maven.
command -v java >/dev/null 2>&1 || need_pkgs+=(default-jdk-headless)
command -v mvn >/dev/null 2>&1 || need_pkgs+=(maven)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >&2
fi

# --- PostgreSQL ----------------------------------------------------------------------------
pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -q "^$pg_version main$"; then
  log "creating PostgreSQL $pg_version cluster"
  as_root pg_createcluster "$pg_version" main --port "$PG_PORT" >&2
fi
if ! pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  log "starting PostgreSQL $pg_version"
  as_root pg_ctlcluster "$pg_version" main start >&2
fi
for _ in $(seq 1 60); do
  as_root su postgres -c "psql -p $PG_PORT -qAtc 'select 1'" >/dev/null 2>&1 && break
  sleep 0.5
done
pg() { as_root su postgres -c "psql -p $PG_PORT -v ON_ERROR_STOP=1 -qAt $*"; }
if [ "$(pg "-c \"select 1 from pg_roles where rolname='$USER_NAME'\"")" != 1 ]; then
  pg "-c \"create role $USER_NAME login createdb password '$USER_PASS'\"" >&2
fi
if [ "$(pg "-c \"select 1 from pg_database where datname='$DB'\"")" != 1 ]; then
  pg "-c \"create database $DB owner $USER_NAME\"" >&2
fi

# --- MariaDB -------------------------------------------------------------------------------
my_running() { mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1; }
if ! my_running; then
  log "starting MariaDB"
  as_root mkdir -p /run/mysqld
  as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  if [ ! -d /var/lib/mysql/mysql ]; then
    as_root mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null 2>&1 || as_root mysql_install_db --user=mysql >/dev/null 2>&1
  fi
  if command -v service >/dev/null 2>&1 && as_root service mariadb start >/dev/null 2>&1; then :; else
    as_root sh -c "nohup mysqld_safe --port=$MY_PORT >/dev/null 2>&1 &"
  fi
  for _ in $(seq 1 120); do my_running && break; sleep 0.5; done
  my_running || { echo "services: MariaDB did not start" >&2; exit 1; }
fi
as_root mysql --protocol=socket -uroot <<SQL
CREATE DATABASE IF NOT EXISTS $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS '$USER_NAME'@'localhost' IDENTIFIED BY '$USER_PASS';
CREATE USER IF NOT EXISTS '$USER_NAME'@'127.0.0.1' IDENTIFIED BY '$USER_PASS';
GRANT ALL PRIVILEGES ON \`meshgate%\`.* TO '$USER_NAME'@'localhost';
GRANT ALL PRIVILEGES ON \`meshgate%\`.* TO '$USER_NAME'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL

PG_DSN="postgres://$USER_NAME:$USER_PASS@127.0.0.1:$PG_PORT/$DB?sslmode=disable"
MY_DSN="$USER_NAME:$USER_PASS@tcp(127.0.0.1:$MY_PORT)/$DB"
if [ "${1:-}" = "--env" ]; then
  echo "export MESHGATE_TEST_PG='$PG_DSN'"
  echo "export MESHGATE_TEST_MYSQL='$MY_DSN'"
else
  echo "PostgreSQL and MariaDB are running. Point the tests at them with:"
  echo "  export MESHGATE_TEST_PG='$PG_DSN'"
  echo "  export MESHGATE_TEST_MYSQL='$MY_DSN'"
fi
