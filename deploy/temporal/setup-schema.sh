#!/bin/sh
# One-shot job: creates the Temporal databases if missing and brings both schemas up to the version this
# temporal-sql-tool carries (its embedded schemas, `postgresql/v12/temporal` and `.../visibility`). Idempotent:
# `setup-schema -v 0.0` is a no-op on a versioned database and `update-schema` applies only newer versions, so it
# runs on every start and is also the upgrade step after bumping the Temporal version.
# Run by docker-compose.yml (service `temporal-schema-setup`) and by `npm run cluster`, with the same variables.
# Needs only temporal-sql-tool: no psql (admin-tools images from 1.30 on no longer ship it).
set -eu

: "${SQL_PLUGIN:=postgres12}"
: "${SQL_HOST:=postgresql}"
: "${SQL_PORT:=5432}"
: "${SQL_USER:=temporal}"
: "${SQL_PASSWORD:=}"
: "${TEMPORAL_DB:=temporal}"
: "${TEMPORAL_VISIBILITY_DB:=temporal_visibility}"
: "${DB_WAIT_SECONDS:=120}"
# temporal-sql-tool reads the password from SQL_PASSWORD: kept off the command line
export SQL_PASSWORD

log() { printf '[temporal-schema-setup] %s\n' "$*"; }

sql_tool() {
  temporal-sql-tool --plugin "$SQL_PLUGIN" --ep "$SQL_HOST" -p "$SQL_PORT" -u "$SQL_USER" "$@"
}

# Creates the database, or finds it there; waits while PostgreSQL does not accept connections yet.
ensure_db() {
  db="$1"
  waited=0
  while :; do
    # the tool treats an existing database as done
    if out=$(sql_tool --db "$db" create-database 2>&1); then
      log "database $db ready"
      return
    fi
    case "$out" in
      *'already exists'*)
        log "database $db ready"
        return
        ;;
      *'permission denied to create database'*)
        # a managed PostgreSQL whose databases were made for us: setup-schema says so if this one is missing
        log "no CREATEDB privilege: assuming database $db was created by the administrator"
        return
        ;;
      *'connection refused'* | *'the database system is starting up'* | *'no such host'* | *'i/o timeout'*)
        if [ "$waited" -ge "$DB_WAIT_SECONDS" ]; then
          log "PostgreSQL at $SQL_HOST:$SQL_PORT did not accept connections within ${DB_WAIT_SECONDS}s"
          printf '%s\n' "$out" >&2
          exit 1
        fi
        log "waiting for PostgreSQL at $SQL_HOST:$SQL_PORT"
        sleep 2
        waited=$((waited + 2))
        ;;
      *)
        printf '%s\n' "$out" >&2
        exit 1
        ;;
    esac
  done
}

setup_db() {
  db="$1"
  schema="$2"
  ensure_db "$db"
  log "schema $db: setup-schema -v 0.0 (no-op when already versioned)"
  sql_tool --db "$db" setup-schema -v 0.0
  log "schema $db: update-schema --schema-name $schema"
  sql_tool --db "$db" update-schema --schema-name "$schema"
}

command -v temporal-sql-tool >/dev/null 2>&1 || { log 'temporal-sql-tool not found'; exit 1; }

setup_db "$TEMPORAL_DB" postgresql/v12/temporal
setup_db "$TEMPORAL_VISIBILITY_DB" postgresql/v12/visibility
log 'done'
