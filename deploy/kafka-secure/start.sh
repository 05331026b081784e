#!/usr/bin/env bash
# Start a single-node Apache Kafka broker (KRaft) whose client listener speaks SASL_SSL with
# SCRAM-SHA-512, on 127.0.0.1:${JOBMATCH_KAFKA_SECURE_PORT:-29092} (controller on
# ${JOBMATCH_KAFKA_SECURE_CONTROLLER_PORT:-29093}). It runs beside, never instead of, the
# PLAINTEXT broker of deploy/kafka/start.sh, from the same jars, with its data, log and pid
# file under $JOBMATCH_RUN_DIR/kafka-secure.
#
# At first start it makes a local CA and a broker certificate (deploy/tls/certs.sh), and
# formats the storage with two SCRAM-SHA-512 users (deploy/kafka-secure/dev.env has the
# development passwords; the environment wins):
#   jobmatch-admin                      the broker's own user (inter-broker), for operators
#   $JOBMATCH_KAFKA_SASL_USERNAME       (default jobmatch) the workers, tools and producers
# Clients need JOBMATCH_KAFKA_SSL_CAFILE=$JOBMATCH_RUN_DIR/tls/ca.pem; the script prints the
# settings and writes the non-secret ones to $JOBMATCH_RUN_DIR/kafka-secure/client.env.
#
# Idempotent: a broker this script started earlier is reused. Fails, naming the port and the
# log file, when the broker cannot start within JOBMATCH_KAFKA_START_TIMEOUT seconds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"
source "$here/dev.env"

kafka="$JOBMATCH_ROOT/deploy/kafka"  # the jars, the log4j config and the base server.properties
run="$JOBMATCH_RUN_DIR/kafka-secure"
tls="$JOBMATCH_RUN_DIR/tls"
pidfile="$run/kafka.pid"
logfile="$run/kafka.log"
timeout="${JOBMATCH_KAFKA_START_TIMEOUT:-90}"
broker_port="${JOBMATCH_KAFKA_SECURE_PORT:-29092}"
controller_port="${JOBMATCH_KAFKA_SECURE_CONTROLLER_PORT:-29093}"
admin_user=jobmatch-admin
client_user="$JOBMATCH_KAFKA_SASL_USERNAME"

client_settings() {
  log "kafka-secure: clients set JOBMATCH_KAFKA_BOOTSTRAP=127.0.0.1:$broker_port" \
    "JOBMATCH_KAFKA_SECURITY_PROTOCOL=SASL_SSL JOBMATCH_KAFKA_SSL_CAFILE=$tls/ca.pem" \
    "(user $client_user, password JOBMATCH_KAFKA_SASL_PASSWORD); or: source $run/client.env"
}

if pid_alive "$pidfile" kafka.Kafka; then
  log "kafka-secure: already running (pid $(cat "$pidfile"), log $logfile)"
  client_settings
  exit 0
fi

command -v java >/dev/null || die "java not found: install OpenJDK 17 or newer (apt-get install openjdk-17-jre-headless)"
command -v keytool >/dev/null || die "keytool not found: it comes with the JDK (apt-get install openjdk-17-jre-headless)"
command -v openssl >/dev/null || die "openssl not found: apt-get install openssl"
if ! compgen -G "$kafka/libs/kafka_2.13-*.jar" >/dev/null; then
  command -v mvn >/dev/null || die "Kafka jars are missing and mvn is not installed: run \`make setup\` or apt-get install maven"
  log "kafka-secure: fetching broker jars with Maven (first run only)"
  mvn -q -B -f "$kafka/pom.xml" dependency:copy-dependencies || die "Maven could not fetch the Kafka jars"
fi

# The names and passwords go into a JAAS line and a --add-scram argument unquoted: refuse
# the characters that would break either, rather than start a broker nobody can log in to.
for var in JOBMATCH_KAFKA_ADMIN_PASSWORD JOBMATCH_KAFKA_SASL_USERNAME JOBMATCH_KAFKA_SASL_PASSWORD; do
  [[ ${!var} =~ ^[A-Za-z0-9._~+/-]+$ ]] \
    || die "kafka-secure: $var must be non-empty and use only letters, digits and . _ ~ + / -"
done
[ "$client_user" != "$admin_user" ] || die "kafka-secure: JOBMATCH_KAFKA_SASL_USERNAME must not be $admin_user"

for port in $broker_port $controller_port; do
  if port_open "$port"; then
    die "kafka-secure: port $port on 127.0.0.1 is already in use by another process, so the broker cannot start (its log would be $logfile). Stop that process or free the port."
  fi
done

"$JOBMATCH_ROOT/deploy/tls/certs.sh" kafka

umask 077  # the keystores and server.properties hold passwords: the broker's user only
mkdir -p "$run/data"
touch "$logfile"

# The keystore (key + certificate chain) and the truststore (the CA, for the broker's own
# inter-broker connections) are rebuilt at every start with a fresh random password, so a
# renewed certificate is always the one served. Passwords go through the environment, never
# on a command line that `ps` would show.
STORE_PASS="$(openssl rand -hex 24)"
export STORE_PASS
rm -f "$run/keystore.p12" "$run/truststore.p12"
openssl pkcs12 -export -in "$tls/kafka.pem" -inkey "$tls/kafka.key" -certfile "$tls/ca.pem" \
  -name kafka -out "$run/keystore.p12" -passout env:STORE_PASS \
  || die "kafka-secure: openssl could not build the keystore $run/keystore.p12"
keytool -importcert -noprompt -alias jobmatch-ca -file "$tls/ca.pem" -storetype PKCS12 \
  -keystore "$run/truststore.p12" -storepass:env STORE_PASS >>"$logfile" 2>&1 \
  || die "kafka-secure: keytool could not build the truststore; see $logfile"

# The runtime config: the plain broker's template without its listeners, then ours.
{
  grep -vE '^(#|listeners=|advertised\.listeners=|listener\.security\.protocol\.map=|inter\.broker\.listener\.name=|controller\.quorum\.voters=)' \
    "$kafka/server.properties"
  cat <<EOF

# ---- secured transports: written by deploy/kafka-secure/start.sh ----
controller.quorum.voters=1@127.0.0.1:$controller_port
# Clients: SASL_SSL only, SCRAM-SHA-512, no client certificates (users log in with SCRAM).
# Controller: PLAINTEXT on loopback. It carries only KRaft's controller RPCs between the
# node's own broker and controller roles (this is one process), and KRaft does not support
# SCRAM on the controller listener. A multi-host deployment would give it SSL (mutual TLS).
# Inter-broker: over the same SASL_SSL listener as the broker's own SCRAM user
# jobmatch-admin, rather than a separate loopback PLAINTEXT listener, so that no port of
# the broker takes unauthenticated client requests; the SCRAM users are in the metadata
# from the start (formatted with --add-scram), so the broker can log in to itself at once.
listeners=SASL_SSL://127.0.0.1:$broker_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=SASL_SSL://127.0.0.1:$broker_port
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
inter.broker.listener.name=SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$admin_user" password="$JOBMATCH_KAFKA_ADMIN_PASSWORD";
ssl.client.auth=none
ssl.endpoint.identification.algorithm=https
ssl.keystore.type=PKCS12
ssl.keystore.location=$run/keystore.p12
ssl.keystore.password=$STORE_PASS
ssl.key.password=$STORE_PASS
ssl.truststore.type=PKCS12
ssl.truststore.location=$run/truststore.p12
ssl.truststore.password=$STORE_PASS
log.dirs=$run/data
EOF
} >"$run/server.properties"

{
  echo "# Non-secret client settings for the broker of deploy/kafka-secure/start.sh; the"
  echo "# password is JOBMATCH_KAFKA_SASL_PASSWORD (deploy/kafka-secure/dev.env in development)."
  echo "export JOBMATCH_KAFKA_BOOTSTRAP=127.0.0.1:$broker_port"
  echo "export JOBMATCH_KAFKA_SECURITY_PROTOCOL=SASL_SSL"
  echo "export JOBMATCH_KAFKA_SASL_MECHANISM=SCRAM-SHA-512"
  echo "export JOBMATCH_KAFKA_SASL_USERNAME=$client_user"
  echo "export JOBMATCH_KAFKA_SSL_CAFILE=$tls/ca.pem"
} >"$run/client.env"
chmod 644 "$run/client.env"

classpath="$kafka/libs/*"
# Half the plain broker's heap: this one runs beside it, for the secured-transport tests.
java_opts=(-Xms512m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$kafka/log4j2.properties")

# Format the storage once, with the SCRAM users. Their credentials then live in the
# metadata log, so a later change of a password in the environment would not reach the
# broker: a salted digest of what was formatted tells the two apart.
credentials_digest() {
  printf '%s\n' "$(cat "$run/cluster.id")" "$admin_user" "$JOBMATCH_KAFKA_ADMIN_PASSWORD" \
    "$client_user" "$JOBMATCH_KAFKA_SASL_PASSWORD" | sha256sum | cut -d' ' -f1
}
if [ ! -f "$run/data/meta.properties" ]; then
  [ -s "$run/cluster.id" ] || java -cp "$classpath" kafka.tools.StorageTool random-uuid >"$run/cluster.id"
  java "${java_opts[@]}" -cp "$classpath" kafka.tools.StorageTool format \
    -t "$(cat "$run/cluster.id")" -c "$run/server.properties" --ignore-formatted \
    --add-scram "SCRAM-SHA-512=[name=$admin_user,password=$JOBMATCH_KAFKA_ADMIN_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=$client_user,password=$JOBMATCH_KAFKA_SASL_PASSWORD]" \
    >>"$logfile" 2>&1 || die "kafka-secure: formatting storage failed; see $logfile"
  credentials_digest >"$run/credentials.sha256"
elif [ "$(cat "$run/credentials.sha256" 2>/dev/null)" != "$(credentials_digest)" ]; then
  die "kafka-secure: the SCRAM users in $run/data were formatted with other user names or passwords than JOBMATCH_KAFKA_ADMIN_PASSWORD, JOBMATCH_KAFKA_SASL_USERNAME and JOBMATCH_KAFKA_SASL_PASSWORD give now. Set those back, or delete $run to format it again (its topics are lost)."
fi

log "kafka-secure: starting broker on 127.0.0.1:$broker_port, SASL_SSL (log $logfile)"
start_line=$(($(wc -l <"$logfile") + 1))
nohup java "${java_opts[@]}" -cp "$classpath" kafka.Kafka "$run/server.properties" \
  >>"$logfile" 2>&1 </dev/null &
echo $! >"$pidfile"
unset STORE_PASS

wait_for_broker kafka-secure "$pidfile" "$logfile" "$start_line" "$broker_port" "$controller_port" "$timeout"
log "kafka-secure: ready on 127.0.0.1:$broker_port, SASL_SSL with SCRAM-SHA-512 (pid $(cat "$pidfile"))"
client_settings
