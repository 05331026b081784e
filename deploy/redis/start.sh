#!/usr/bin/env bash
# Start Debian's redis-server on 127.0.0.1:6379 with the jobmatch ACL users.
# Idempotent: a Redis this script started earlier is reused (its ACL file is re-rendered
# and reloaded, so changed passwords apply). Installs redis-server with apt-get when it
# is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"
source "$here/dev.env"

run="$JOBMATCH_RUN_DIR/redis"
pidfile="$run/redis.pid"
logfile="$run/redis.log"
port="${JOBMATCH_REDIS_PORT:-6379}"  # the fault suite runs a Redis of its own beside it
timeout="${JOBMATCH_REDIS_START_TIMEOUT:-30}"

if ! command -v redis-server >/dev/null; then
  log "redis: redis-server not found; installing Debian's redis-server"
  "$JOBMATCH_ROOT/deploy/apt-install.sh" redis-server
fi

mkdir -p "$run"
render_acl "$here/users.acl.template" "$run/users.acl"

ping() {
  REDISCLI_AUTH="$JOBMATCH_REDIS_WORKER_PASSWORD" redis-cli -h 127.0.0.1 -p "$port" \
    --user jobmatch-worker --no-auth-warning "$@" 2>/dev/null
}
admin() {
  REDISCLI_AUTH="$JOBMATCH_REDIS_ADMIN_PASSWORD" redis-cli -h 127.0.0.1 -p "$port" \
    --user jobmatch-admin --no-auth-warning "$@" 2>/dev/null
}

if pid_alive "$pidfile" redis-server; then
  # A Redis started before the admin user existed refuses this: restart it to apply.
  [ "$(admin ACL LOAD)" = "OK" ] || log "redis: could not reload the ACL users (restart Redis to apply $run/users.acl)"
  log "redis: already running (pid $(cat "$pidfile"), log $logfile)"
  exit 0
fi
if port_open "$port"; then
  die "redis: port $port on 127.0.0.1 is already in use by another process (a system redis-server? stop it with \`service redis-server stop\`), so jobmatch's Redis cannot start (its log would be $logfile)."
fi

log "redis: starting on 127.0.0.1:$port (log $logfile)"
redis-server "$here/redis.conf" --port "$port" --dir "$run" --pidfile "$pidfile" --logfile "$logfile" \
  --aclfile "$run/users.acl" || die "redis: redis-server failed to start; see $logfile"

deadline=$((SECONDS + timeout))
until [ "$(ping PING)" = "PONG" ]; do
  if ((SECONDS >= deadline)); then
    die "redis: no answer on 127.0.0.1:$port within ${timeout}s; see $logfile"
  fi
  sleep 0.1
done
log "redis: ready on 127.0.0.1:$port (pid $(cat "$pidfile"))"
