# Shared helpers for the service scripts under deploy/. Source it; do not run it.
# Every path the scripts write lives under $JOBMATCH_RUN_DIR (default: <repo>/.run).

JOBMATCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBMATCH_RUN_DIR="${JOBMATCH_RUN_DIR:-$JOBMATCH_ROOT/.run}"

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when the pid in file $1 is alive and its command line contains $2, so a recycled pid
# that now belongs to another program is never mistaken for our service.
pid_alive() {
  local pidfile=$1 pattern=$2 pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -r "/proc/$pid/cmdline" ] || return 1
  # Read first, then match: `tr | grep -q` would fail under pipefail when grep exits early.
  local cmdline
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$pattern"* ]]
}

# Stop the process in pid file $1 (command line must contain $2): SIGTERM, then SIGKILL
# after $3 seconds. Removes the pid file. Does nothing when the process is not ours.
stop_pid() {
  local pidfile=$1 pattern=$2 grace=${3:-30} pid i
  if ! pid_alive "$pidfile" "$pattern"; then
    rm -f "$pidfile"
    return 1
  fi
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not stop within ${grace}s; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# render_acl TEMPLATE OUT: the ACL users of TEMPLATE with the passwords of the environment
# (JOBMATCH_REDIS_{WORKER,PORTAL,ADMIN}_PASSWORD) as SHA-256 hashes, comments dropped;
# OUT is readable by its owner only. deploy/docker/redis-entrypoint.sh (plain sh, no
# lib.sh inside the container) does the same.
render_acl() {
  local template=$1 out=$2
  sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
  (
    umask 077
    sed -e "s/#WORKER_SHA/#$(sha "$JOBMATCH_REDIS_WORKER_PASSWORD")/" \
        -e "s/#PORTAL_SHA/#$(sha "$JOBMATCH_REDIS_PORTAL_PASSWORD")/" \
        -e "s/#ADMIN_SHA/#$(sha "$JOBMATCH_REDIS_ADMIN_PASSWORD")/" \
        "$template" | grep -v '^#' >"$out"
  )
}

# wait_for_broker NAME PIDFILE LOGFILE START_LINE BROKER_PORT CONTROLLER_PORT TIMEOUT:
# ready means the broker logged (after START_LINE of LOGFILE) that it started and accepts
# connections on its port; dies with the log's tail if it exits or does not answer.
wait_for_broker() {
  local name=$1 pidfile=$2 logfile=$3 start_line=$4 broker_port=$5 controller_port=$6
  local deadline=$((SECONDS + $7))
  while :; do
    if ! pid_alive "$pidfile" kafka.Kafka; then
      rm -f "$pidfile"
      tail -n 20 "$logfile" >&2 || true
      die "$name: the broker exited during start-up (port $broker_port, controller port $controller_port); see $logfile"
    fi
    if grep -q "Kafka Server started" < <(tail -n +"$start_line" "$logfile") && port_open "$broker_port"; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      stop_pid "$pidfile" kafka.Kafka 10 || true
      die "$name: the broker did not answer on 127.0.0.1:$broker_port within $7s; see $logfile"
    fi
    sleep 0.2
  done
}
