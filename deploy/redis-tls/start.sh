#!/usr/bin/env bash
# Start Debian's redis-server speaking TLS only, on 127.0.0.1:${JOBMATCH_REDIS_TLS_PORT:-26380}
# (no plain port), with the jobmatch ACL users of deploy/redis (same template, same
# passwords: deploy/redis/dev.env). It runs beside, never instead of, the Redis of
# deploy/redis/start.sh, with its data, log and pid file under $JOBMATCH_RUN_DIR/redis-tls.
#
# The server certificate is signed by the local development CA of deploy/tls/certs.sh (the
# one the secured Kafka broker uses). Clients do not present certificates
# (--tls-auth-clients no): they log in as their ACL users. Clients set
#   JOBMATCH_REDIS_URL=rediss://127.0.0.1:26380/0
#   JOBMATCH_REDIS_TLS_CAFILE=$JOBMATCH_RUN_DIR/tls/ca.pem
#
# Idempotent: a Redis this script started earlier is reused (its ACL file is re-rendered and
# reloaded, so changed passwords apply).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"
redis="$JOBMATCH_ROOT/deploy/redis"  # redis.conf, the ACL template and the dev passwords
source "$redis/dev.env"

run="$JOBMATCH_RUN_DIR/redis-tls"
tls="$JOBMATCH_RUN_DIR/tls"
pidfile="$run/redis.pid"
logfile="$run/redis.log"
port="${JOBMATCH_REDIS_TLS_PORT:-26380}"
timeout="${JOBMATCH_REDIS_START_TIMEOUT:-30}"

if ! command -v redis-server >/dev/null; then
  log "redis-tls: redis-server not found; installing Debian's redis-server"
  "$JOBMATCH_ROOT/deploy/apt-install.sh" redis-server
fi
# Debian builds redis-server with TLS built in (BUILD_TLS=yes: linked against libssl); a
# build without it would refuse --tls-port.
# (ldd's output is read whole first: `ldd | grep -q` under pipefail fails at random when
# grep stops reading early and ldd gets SIGPIPE.)
libs="$(ldd "$(command -v redis-server)" 2>/dev/null || true)"
[[ $libs == *libssl* ]] \
  || die "redis-tls: $(command -v redis-server) has no TLS support (Debian's has: apt-get install redis-server)"

mkdir -p "$run"
"$JOBMATCH_ROOT/deploy/tls/certs.sh" redis

render_acl "$redis/users.acl.template" "$run/users.acl"

cli() {
  local user=$1 password=$2
  shift 2
  REDISCLI_AUTH="$password" redis-cli --tls --cacert "$tls/ca.pem" -h 127.0.0.1 -p "$port" \
    --user "$user" --no-auth-warning "$@" 2>/dev/null
}

if pid_alive "$pidfile" redis-server; then
  [ "$(cli jobmatch-admin "$JOBMATCH_REDIS_ADMIN_PASSWORD" ACL LOAD)" = "OK" ] \
    || log "redis-tls: could not reload the ACL users (restart Redis to apply $run/users.acl)"
  log "redis-tls: already running (pid $(cat "$pidfile"), log $logfile)"
  exit 0
fi
if port_open "$port"; then
  die "redis-tls: port $port on 127.0.0.1 is already in use by another process, so jobmatch's TLS Redis cannot start (its log would be $logfile)."
fi

log "redis-tls: starting on 127.0.0.1:$port, TLS only (log $logfile)"
redis-server "$redis/redis.conf" --port 0 --tls-port "$port" \
  --tls-cert-file "$tls/redis.pem" --tls-key-file "$tls/redis.key" \
  --tls-ca-cert-file "$tls/ca.pem" --tls-auth-clients no \
  --dir "$run" --pidfile "$pidfile" --logfile "$logfile" --aclfile "$run/users.acl" \
  || die "redis-tls: redis-server failed to start; see $logfile"

deadline=$((SECONDS + timeout))
until [ "$(cli jobmatch-worker "$JOBMATCH_REDIS_WORKER_PASSWORD" PING)" = "PONG" ]; do
  if ((SECONDS >= deadline)); then
    die "redis-tls: no TLS answer on 127.0.0.1:$port within ${timeout}s; see $logfile"
  fi
  sleep 0.1
done
log "redis-tls: ready on 127.0.0.1:$port, TLS (pid $(cat "$pidfile"))"
log "redis-tls: clients set JOBMATCH_REDIS_URL=rediss://127.0.0.1:$port/0 JOBMATCH_REDIS_TLS_CAFILE=$tls/ca.pem"
