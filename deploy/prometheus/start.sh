#!/usr/bin/env bash
# Start Debian's Prometheus on 127.0.0.1:$JOBMATCH_PROMETHEUS_PORT (default 9090) in the
# background, scraping JOBMATCH_WORKERS workers (default 1) on ports JOBMATCH_WEB_PORT
# (default 6066), +1, ... or the explicit host:port list JOBMATCH_PROMETHEUS_TARGETS
# (comma separated). Data, log and pid file live under $JOBMATCH_RUN_DIR/prometheus.
#
# Idempotent: when the Prometheus this script started is still running, the target list
# and rules are refreshed (file_sd re-reads the targets; SIGHUP reloads the rules) and
# nothing else happens. That is also how to add workers to a running Prometheus:
#   JOBMATCH_WORKERS=3 deploy/prometheus/start.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"

run="$JOBMATCH_RUN_DIR/prometheus"
pidfile="$run/prometheus.pid"
logfile="$run/prometheus.log"
config="$run/prometheus.yml"
port="${JOBMATCH_PROMETHEUS_PORT:-9090}"
timeout="${JOBMATCH_PROMETHEUS_START_TIMEOUT:-30}"
workers="${JOBMATCH_WORKERS:-1}"
first_port="${JOBMATCH_WEB_PORT:-6066}"
retention="${JOBMATCH_PROMETHEUS_RETENTION:-15d}"

[[ $port =~ ^[0-9]+$ ]] || die "JOBMATCH_PROMETHEUS_PORT: expected a port number, got '$port'"
[[ $workers =~ ^[0-9]+$ ]] || die "JOBMATCH_WORKERS: expected a number of workers, got '$workers'"
[[ $first_port =~ ^[0-9]+$ ]] || die "JOBMATCH_WEB_PORT: expected a port number, got '$first_port'"

for tool in prometheus promtool; do
  if ! command -v "$tool" >/dev/null; then
    log "prometheus: $tool not found; installing Debian's prometheus"
    "$JOBMATCH_ROOT/deploy/apt-install.sh" prometheus
    break
  fi
done

# The scrape targets, one YAML list item per worker.
targets=()
if [ -n "${JOBMATCH_PROMETHEUS_TARGETS:-}" ]; then
  IFS=, read -r -a targets <<<"${JOBMATCH_PROMETHEUS_TARGETS// /}"
else
  for ((i = 0; i < workers; i++)); do targets+=("127.0.0.1:$((first_port + i))"); done
fi

# The run-time config is the repository's prometheus.yml with `rules` and `targets` next to
# it: the rules folder is linked, so edited rules apply on the next start or reload.
mkdir -p "$run/targets" "$run/data"
cp "$here/prometheus.yml" "$config"
ln -sfn "$here/rules" "$run/rules"
{
  echo "# Written by deploy/prometheus/start.sh; rerun it to change the list."
  if [ ${#targets[@]} -eq 0 ]; then
    echo "[]"
  else
    printf -- '- targets:\n'
    for t in "${targets[@]}"; do printf '    - "%s"\n' "$t"; done
  fi
} >"$run/targets/.workers.yml.tmp"
# Renamed into place so that Prometheus, which watches the folder, never reads half a file.
mv "$run/targets/.workers.yml.tmp" "$run/targets/workers.yml"
scraping="${targets[*]:-no worker (JOBMATCH_WORKERS=0)}"

if ! check=$(promtool check config "$config" 2>&1); then
  printf '%s\n' "$check" >&2
  die "prometheus: the configuration in $config is invalid (see above); fix deploy/prometheus/"
fi

if pid_alive "$pidfile" "$config"; then
  kill -HUP "$(cat "$pidfile")"
  log "prometheus: already running on $(cat "$run/address" 2>/dev/null) (pid $(cat "$pidfile"), log $logfile); rules reloaded, scraping $scraping"
  exit 0
fi
if port_open "$port"; then
  die "prometheus: port $port on 127.0.0.1 is already in use by another process (Debian's own prometheus service? stop it with \`service prometheus stop\`), so jobmatch's Prometheus cannot start (its log would be $logfile). Free the port or set JOBMATCH_PROMETHEUS_PORT."
fi

# True when Prometheus answers 200 on /-/ready (bash's /dev/tcp: no curl needed).
ready() {
  local status
  (
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    read -r -t 2 _ status _ <&3 || exit 1
    [ "$status" = 200 ]
  ) 2>/dev/null
}

log "prometheus: starting on 127.0.0.1:$port, scraping $scraping (log $logfile)"
nohup prometheus --config.file="$config" --storage.tsdb.path="$run/data" \
  --storage.tsdb.retention.time="$retention" --web.listen-address="127.0.0.1:$port" \
  >>"$logfile" 2>&1 </dev/null &
echo $! >"$pidfile"
echo "127.0.0.1:$port" >"$run/address"

deadline=$((SECONDS + timeout))
until ready; do
  if ! pid_alive "$pidfile" "$config"; then
    rm -f "$pidfile"
    tail -n 20 "$logfile" >&2 || true
    die "prometheus: the server exited during start-up (port $port); see $logfile"
  fi
  if ((SECONDS >= deadline)); then
    stop_pid "$pidfile" "$config" 10 || true
    die "prometheus: not ready on 127.0.0.1:$port within ${timeout}s; see $logfile"
  fi
  sleep 0.2
done
log "prometheus: ready on http://127.0.0.1:$port (pid $(cat "$pidfile"))"
