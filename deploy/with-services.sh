#!/usr/bin/env bash
# Run a command with Kafka and Redis up: start the ones that are not running, create the
# topics, run the command, then stop only what this script started. Exit status is the
# command's. Used by `make test`, `make bench` and CI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
[ $# -gt 0 ] || die "usage: $0 COMMAND [ARGS...]"

started=()
cleanup() {
  local status=$?
  for svc in "${started[@]}"; do "$here/$svc/stop.sh" || true; done
  exit "$status"
}
trap cleanup EXIT INT TERM

if ! pid_alive "$JOBMATCH_RUN_DIR/kafka/kafka.pid" kafka.Kafka; then
  "$here/kafka/start.sh"
  started+=(kafka)
fi
if ! pid_alive "$JOBMATCH_RUN_DIR/redis/redis.pid" redis-server; then
  "$here/redis/start.sh"
  started+=(redis)
fi
"$JOBMATCH_ROOT/.venv/bin/jobmatch" topics >/dev/null

set +e
"$@"
status=$?
set -e
exit "$status"
