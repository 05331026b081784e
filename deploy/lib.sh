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
