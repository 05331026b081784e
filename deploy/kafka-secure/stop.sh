#!/usr/bin/env bash
# Stop the secured Kafka broker that deploy/kafka-secure/start.sh started (by its pid file only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"
if stop_pid "$JOBMATCH_RUN_DIR/kafka-secure/kafka.pid" kafka.Kafka 60; then
  log "kafka-secure: stopped"
else
  log "kafka-secure: not running (nothing started by jobmatch)"
fi
