#!/usr/bin/env bash
# Stop the TLS Redis that deploy/redis-tls/start.sh started (by its pid file only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"
if stop_pid "$JOBMATCH_RUN_DIR/redis-tls/redis.pid" redis-server 30; then
  log "redis-tls: stopped"
else
  log "redis-tls: not running (nothing started by jobmatch)"
fi
