#!/usr/bin/env bash
# Stop the Redis that deploy/redis/start.sh started (by its pid file only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"
if stop_pid "$JOBMATCH_RUN_DIR/redis/redis.pid" redis-server 30; then
  log "redis: stopped"
else
  log "redis: not running (nothing started by jobmatch)"
fi
