#!/bin/sh
# Registers the custom search attributes the workflows and the API set (workflows/definitions.ts).
# Idempotent: an attribute that already exists is fine, so re-running `docker compose up` is safe.
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
ATTRIBUTES="ResellerId:Keyword CustomerId:Keyword Lifecycle:Keyword LifecycleStatus:Keyword NeedsAttention:Bool"

for attribute in $ATTRIBUTES; do
  name="${attribute%%:*}" type="${attribute#*:}"
  attempt=1
  while :; do
    if out=$(temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" \
      --name "$name" --type "$type" 2>&1); then
      echo "created search attribute $name"
      break
    fi
    if echo "$out" | grep -qi 'already exists'; then
      echo "search attribute $name already exists"
      break
    fi
    # The frontend can still be warming up just after it reports healthy: retry transient errors.
    if [ "$attempt" -ge 15 ]; then
      echo "could not create search attribute $name: $out" >&2
      exit 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
done

# Starting a workflow with an attribute the namespace cache has not seen yet is rejected:
# wait until the frontend lists all of them before the worker and the API start.
attempt=1
while :; do
  listed=$(temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" 2>/dev/null || true)
  missing=""
  for attribute in $ATTRIBUTES; do
  name="${attribute%%:*}" type="${attribute#*:}"
    echo "$listed" | grep -qw "$name" || missing="$missing $name"
  done
  [ -z "$missing" ] && break
  if [ "$attempt" -ge 30 ]; then
    echo "search attributes not visible after registration:$missing" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done
echo "search attributes ready in namespace $NAMESPACE: $NAMES"
