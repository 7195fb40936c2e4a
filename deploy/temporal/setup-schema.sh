#!/bin/sh
# One-shot job (docker-compose service `temporal-schema-setup`, temporalio/admin-tools image): creates the Temporal
# databases if missing and brings both schemas up to the version this admin-tools release ships. Idempotent: on an
# existing database `setup-schema -v 0.0` is a no-op and `update-schema` applies only newer versions, so it runs on
# every `docker compose up` and is also the upgrade step after bumping the Temporal image tags.
set -eu

: "${SQL_PLUGIN:=postgres12}"
: "${SQL_HOST:=postgresql}"
: "${SQL_PORT:=5432}"
: "${SQL_USER:=temporal}"
: "${SQL_PASSWORD:=}"
: "${TEMPORAL_DB:=temporal}"
: "${TEMPORAL_VISIBILITY_DB:=temporal_visibility}"
: "${SCHEMA_DIR:=/etc/temporal/schema/postgresql/v12}"
: "${DB_WAIT_SECONDS:=120}"
# temporal-sql-tool reads the password from SQL_PASSWORD (kept off the command line); psql from PGPASSWORD.
export SQL_PASSWORD
PGPASSWORD="$SQL_PASSWORD"
export PGPASSWORD

log() { printf '[temporal-schema-setup] %s\n' "$*"; }

sql_tool() {
  temporal-sql-tool --plugin "$SQL_PLUGIN" --ep "$SQL_HOST" -p "$SQL_PORT" -u "$SQL_USER" "$@"
}

# Prints 1 when the database exists; needs psql (postgresql-client is part of the admin-tools image).
db_exists() {
  psql -h "$SQL_HOST" -p "$SQL_PORT" -U "$SQL_USER" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1
}

wait_for_db() {
  waited=0
  until psql -h "$SQL_HOST" -p "$SQL_PORT" -U "$SQL_USER" -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; do
    if [ "$waited" -ge "$DB_WAIT_SECONDS" ]; then
      log "PostgreSQL at $SQL_HOST:$SQL_PORT did not accept connections within ${DB_WAIT_SECONDS}s"
      exit 1
    fi
    log "waiting for PostgreSQL at $SQL_HOST:$SQL_PORT"
    sleep 2
    waited=$((waited + 2))
  done
}

setup_db() {
  db="$1"
  versioned_dir="$2"
  if db_exists "$db"; then
    log "database $db exists"
  else
    log "creating database $db"
    sql_tool --db "$db" create
  fi
  log "schema $db: setup-schema -v 0.0 (no-op when already versioned)"
  sql_tool --db "$db" setup-schema -v 0.0
  log "schema $db: update-schema -d $versioned_dir"
  sql_tool --db "$db" update-schema -d "$versioned_dir"
}

command -v psql >/dev/null 2>&1 || { log 'psql not found in this image'; exit 1; }
command -v temporal-sql-tool >/dev/null 2>&1 || { log 'temporal-sql-tool not found in this image'; exit 1; }

wait_for_db
setup_db "$TEMPORAL_DB" "$SCHEMA_DIR/temporal/versioned"
setup_db "$TEMPORAL_VISIBILITY_DB" "$SCHEMA_DIR/visibility/versioned"
log 'done'
