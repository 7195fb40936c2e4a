#!/bin/sh
# One-shot job (docker-compose service `temporal-namespace-setup`, and `npm run cluster`): waits for the
# Temporal frontend, creates the namespace with the configured retention (or updates the retention when it exists)
# and registers the search attributes the receiver and the workflows set. Idempotent: safe on every
# `docker compose up`.
set -eu

: "${TEMPORAL_ADDRESS:=temporal-frontend:7233}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${TEMPORAL_NAMESPACE_RETENTION:=168h}"
: "${SERVER_WAIT_SECONDS:=180}"
: "${REGISTRY_WAIT_SECONDS:=120}"

# name:type pairs, kept in step with SEARCH_ATTRIBUTES in src/workflows/contracts.ts (the dev stack registers the same).
SEARCH_ATTRIBUTES='EventType:Keyword SessionId:Keyword DeadLettered:Bool FailedStep:Keyword SessionStatus:Keyword'

log() { printf '[temporal-namespace-setup] %s\n' "$*"; }

tcli() { temporal "$@" --address "$TEMPORAL_ADDRESS"; }

wait_for_server() {
  waited=0
  until tcli operator cluster health >/dev/null 2>&1; do
    if [ "$waited" -ge "$SERVER_WAIT_SECONDS" ]; then
      log "Temporal at $TEMPORAL_ADDRESS was not SERVING within ${SERVER_WAIT_SECONDS}s"
      tcli operator cluster health || true
      exit 1
    fi
    log "waiting for Temporal at $TEMPORAL_ADDRESS"
    sleep 2
    waited=$((waited + 2))
  done
  log "Temporal at $TEMPORAL_ADDRESS is SERVING"
}

ensure_namespace() {
  if tcli operator namespace describe -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
    log "namespace $TEMPORAL_NAMESPACE exists; setting retention $TEMPORAL_NAMESPACE_RETENTION"
    tcli operator namespace update -n "$TEMPORAL_NAMESPACE" --retention "$TEMPORAL_NAMESPACE_RETENTION"
    return
  fi
  log "creating namespace $TEMPORAL_NAMESPACE (retention $TEMPORAL_NAMESPACE_RETENTION)"
  if out=$(tcli operator namespace create -n "$TEMPORAL_NAMESPACE" \
    --retention "$TEMPORAL_NAMESPACE_RETENTION" \
    --description 'Vesper WhatsApp webhooks' 2>&1); then
    printf '%s\n' "$out"
    return
  fi
  case "$out" in
    *'already exists'* | *AlreadyExists* | *'already registered'*)
      # Created concurrently (e.g. a second `up` at the same time): make sure the retention is ours.
      log "namespace $TEMPORAL_NAMESPACE already exists; setting retention $TEMPORAL_NAMESPACE_RETENTION"
      tcli operator namespace update -n "$TEMPORAL_NAMESPACE" --retention "$TEMPORAL_NAMESPACE_RETENTION"
      ;;
    *)
      printf '%s\n' "$out" >&2
      exit 1
      ;;
  esac
}

# Creates one search attribute; "already exists" with the same type counts as success, a different type does not.
# Retries while the new namespace is not yet in the server's namespace registry (refreshed every few seconds).
ensure_search_attribute() {
  name="$1"
  type="$2"
  waited=0
  while :; do
    if out=$(tcli operator search-attribute create -n "$TEMPORAL_NAMESPACE" --name "$name" --type "$type" 2>&1); then
      log "search attribute $name ($type) registered"
      return
    fi
    case "$out" in
      *'different type'*)
        log "search attribute $name exists with a different type than $type:"
        printf '%s\n' "$out" >&2
        exit 1
        ;;
      *'already exists'* | *AlreadyExists*)
        log "search attribute $name ($type) already registered"
        return
        ;;
    esac
    if [ "$waited" -ge "$REGISTRY_WAIT_SECONDS" ]; then
      log "could not register search attribute $name:"
      printf '%s\n' "$out" >&2
      exit 1
    fi
    log "search attribute $name not registered yet, retrying: $(printf '%s' "$out" | tail -n 1)"
    sleep 2
    waited=$((waited + 2))
  done
}

# The api and worker start right after this job: wait until every attribute is listed for the namespace, so the
# first workflow start does not fail on an attribute the frontend does not know yet.
wait_for_search_attributes() {
  waited=0
  while :; do
    listed=$(tcli operator search-attribute list -n "$TEMPORAL_NAMESPACE" 2>/dev/null || true)
    missing=''
    for pair in $SEARCH_ATTRIBUTES; do
      name=${pair%%:*}
      printf '%s\n' "$listed" | grep -qw "$name" || missing="$missing $name"
    done
    if [ -z "$missing" ]; then
      log "search attributes visible:$(for pair in $SEARCH_ATTRIBUTES; do printf ' %s' "${pair%%:*}"; done)"
      return
    fi
    if [ "$waited" -ge "$REGISTRY_WAIT_SECONDS" ]; then
      log "search attributes still not listed after ${REGISTRY_WAIT_SECONDS}s:$missing"
      exit 1
    fi
    sleep 2
    waited=$((waited + 2))
  done
}

command -v temporal >/dev/null 2>&1 || { log 'temporal CLI not found in this image'; exit 1; }

wait_for_server
ensure_namespace
for pair in $SEARCH_ATTRIBUTES; do
  ensure_search_attribute "${pair%%:*}" "${pair#*:}"
done
wait_for_search_attributes
log 'done'
