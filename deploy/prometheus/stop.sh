#!/usr/bin/env bash
# Stop the Prometheus that deploy/prometheus/start.sh started (by its pid file only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"
run="$JOBMATCH_RUN_DIR/prometheus"
if stop_pid "$run/prometheus.pid" "$run/prometheus.yml" 30; then
  log "prometheus: stopped"
else
  log "prometheus: not running (nothing started by jobmatch)"
fi
