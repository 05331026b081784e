#!/usr/bin/env bash
# Start a single-node Apache Kafka broker (KRaft) on 127.0.0.1:9092 in the background
# (JOBMATCH_KAFKA_PORT and JOBMATCH_KAFKA_CONTROLLER_PORT choose other ports: the fault
# suite runs a broker of its own beside the one `make up` started).
# Idempotent: a broker this script started earlier is reused. Fails, naming the port and
# the log file, when the broker cannot start within JOBMATCH_KAFKA_START_TIMEOUT seconds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"

run="$JOBMATCH_RUN_DIR/kafka"
pidfile="$run/kafka.pid"
logfile="$run/kafka.log"
timeout="${JOBMATCH_KAFKA_START_TIMEOUT:-90}"
broker_port="${JOBMATCH_KAFKA_PORT:-9092}"
controller_port="${JOBMATCH_KAFKA_CONTROLLER_PORT:-9093}"

if pid_alive "$pidfile" kafka.Kafka; then
  log "kafka: already running (pid $(cat "$pidfile"), log $logfile)"
  exit 0
fi

command -v java >/dev/null || die "java not found: install OpenJDK 17 or newer (apt-get install openjdk-17-jre-headless)"
if ! compgen -G "$here/libs/kafka_2.13-*.jar" >/dev/null; then
  command -v mvn >/dev/null || die "Kafka jars are missing and mvn is not installed: run \`make setup\` or apt-get install maven"
  log "kafka: fetching broker jars with Maven (first run only)"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies || die "Maven could not fetch the Kafka jars"
fi

for port in $broker_port $controller_port; do
  if port_open "$port"; then
    die "kafka: port $port on 127.0.0.1 is already in use by another process, so the broker cannot start (its log would be $logfile). Stop that process or free the port."
  fi
done

mkdir -p "$run/data"
# The runtime config is the template plus our data directory.
{
  sed -e "s/127.0.0.1:9092/127.0.0.1:$broker_port/g" -e "s/127.0.0.1:9093/127.0.0.1:$controller_port/g" \
    "$here/server.properties"
  echo "log.dirs=$run/data"
} >"$run/server.properties"

classpath="$here/libs/*"
java_opts=(-Xms1g -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$here/log4j2.properties")

# Format the storage once; the cluster id is kept so later starts reuse the same data.
if [ ! -f "$run/data/meta.properties" ]; then
  [ -s "$run/cluster.id" ] || java -cp "$classpath" kafka.tools.StorageTool random-uuid >"$run/cluster.id"
  java "${java_opts[@]}" -cp "$classpath" kafka.tools.StorageTool format \
    -t "$(cat "$run/cluster.id")" -c "$run/server.properties" --ignore-formatted >>"$logfile" 2>&1 \
    || die "kafka: formatting storage failed; see $logfile"
fi

log "kafka: starting broker on 127.0.0.1:$broker_port (log $logfile)"
touch "$logfile"
start_line=$(($(wc -l <"$logfile") + 1))
nohup java "${java_opts[@]}" -cp "$classpath" kafka.Kafka "$run/server.properties" \
  >>"$logfile" 2>&1 </dev/null &
echo $! >"$pidfile"

wait_for_broker kafka "$pidfile" "$logfile" "$start_line" "$broker_port" "$controller_port" "$timeout"
log "kafka: ready on 127.0.0.1:$broker_port (pid $(cat "$pidfile"))"
