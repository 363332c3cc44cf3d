#!/bin/sh
# Registers the custom search attributes the workflows and the API set (workflows/definitions.ts).
# Idempotent: an attribute that already exists is fine, so re-running `docker compose up` is safe.
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
ATTRIBUTES="ResellerId:Keyword CustomerId:Keyword Lifecycle:Keyword LifecycleStatus:Keyword NeedsAttention:Bool"

# retry TIMES COMMAND...: runs the command until it succeeds, TIMES times at the most, 2 seconds apart.
retry() {
  times=$1
  shift
  attempt=1
  until "$@"; do
    [ "$attempt" -lt "$times" ] || return 1
    attempt=$((attempt + 1))
    sleep 2
  done
}

# create NAME TYPE: registers one attribute (one that already exists is fine); the CLI's answer is left in $out.
create() {
  if out=$(temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" \
    --name "$1" --type "$2" 2>&1); then
    echo "created search attribute $1"
  elif echo "$out" | grep -qi 'already exists'; then
    echo "search attribute $1 already exists"
  else
    return 1
  fi
}

# all_listed: whether the frontend lists every attribute; the names it does not list are left in $missing.
all_listed() {
  listed=$(temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" 2>/dev/null || true)
  missing=""
  for attribute in $ATTRIBUTES; do
    echo "$listed" | grep -qw "${attribute%%:*}" || missing="$missing ${attribute%%:*}"
  done
  [ -z "$missing" ]
}

# The frontend can still be warming up just after it reports healthy: retry transient errors.
for attribute in $ATTRIBUTES; do
  name="${attribute%%:*}"
  if ! retry 15 create "$name" "${attribute#*:}"; then
    echo "could not create search attribute $name: $out" >&2
    exit 1
  fi
done

# Starting a workflow with an attribute the namespace cache has not seen yet is rejected:
# wait until the frontend lists all of them before the worker and the API start.
if ! retry 30 all_listed; then
  echo "search attributes not visible after registration:$missing" >&2
  exit 1
fi
echo "search attributes ready in namespace $NAMESPACE: $ATTRIBUTES"
