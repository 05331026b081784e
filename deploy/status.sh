#!/usr/bin/env bash
# Print which jobmatch services are running, with their address, pid and log file.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
show() {
  local name=$1 pidfile=$2 pattern=$3 addr=$4 logfile=$5
  if pid_alive "$pidfile" "$pattern"; then
    printf '  %-10s running  %-16s pid %-7s log %s\n' "$name" "$addr" "$(cat "$pidfile")" "$logfile"
  else
    printf '  %-10s stopped\n' "$name"
  fi
}
echo "jobmatch services:"
show kafka "$JOBMATCH_RUN_DIR/kafka/kafka.pid" kafka.Kafka 127.0.0.1:9092 "$JOBMATCH_RUN_DIR/kafka/kafka.log"
show redis "$JOBMATCH_RUN_DIR/redis/redis.pid" redis-server 127.0.0.1:6379 "$JOBMATCH_RUN_DIR/redis/redis.log"
show prometheus "$JOBMATCH_RUN_DIR/prometheus/prometheus.pid" prometheus "127.0.0.1:${JOBMATCH_PROMETHEUS_PORT:-9090}" "$JOBMATCH_RUN_DIR/prometheus/prometheus.log"
