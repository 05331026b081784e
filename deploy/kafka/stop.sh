#!/usr/bin/env bash
# Stop the Kafka broker that deploy/kafka/start.sh started (by its pid file only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"
if stop_pid "$JOBMATCH_RUN_DIR/kafka/kafka.pid" kafka.Kafka 60; then
  log "kafka: stopped"
else
  log "kafka: not running (nothing started by jobmatch)"
fi
