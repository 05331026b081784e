#!/usr/bin/env bash
# Make (or reuse) the local development CA and a server certificate signed by it:
#
#   deploy/tls/certs.sh NAME     ->  $JOBMATCH_RUN_DIR/tls/ca.pem          (give this to clients)
#                                    $JOBMATCH_RUN_DIR/tls/NAME.pem, NAME.key
#
# The certificate is for 127.0.0.1 and localhost (subjectAltName), so clients verify the
# server's name as well as the signature. Used by deploy/kafka-secure/start.sh (NAME=kafka)
# and deploy/redis-tls/start.sh (NAME=redis): both servers are signed by the same CA, so one
# CA file serves JOBMATCH_KAFKA_SSL_CAFILE and JOBMATCH_REDIS_TLS_CAFILE. Everything is
# generated here with openssl at first start and reused while it is valid for another day;
# delete $JOBMATCH_RUN_DIR/tls to start over. Development only: a real deployment uses
# certificates from its own CA.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"

name="${1:-}"
[[ $name =~ ^[a-z][a-z0-9-]*$ ]] || die "usage: $0 NAME (a server name such as kafka or redis)"
command -v openssl >/dev/null || die "openssl not found: apt-get install openssl"

dir="$JOBMATCH_RUN_DIR/tls"
mkdir -p "$dir"
chmod 700 "$dir"
days=365

# Two start scripts may run at once: one at a time makes the CA.
exec 9>"$dir/.lock"
command -v flock >/dev/null && flock 9

valid() { [ -s "$1" ] && openssl x509 -in "$1" -noout -checkend 86400 >/dev/null 2>&1; }

umask 077
if ! valid "$dir/ca.pem" || [ ! -s "$dir/ca.key" ]; then
  log "tls: making a development CA in $dir"
  rm -f "$dir"/*.pem "$dir"/*.key
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -subj "/O=jobmatch/CN=jobmatch development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null || die "tls: openssl could not make the CA in $dir"
fi

signed_by_ca() { openssl verify -CAfile "$dir/ca.pem" "$1" >/dev/null 2>&1; }
if ! valid "$dir/$name.pem" || [ ! -s "$dir/$name.key" ] || ! signed_by_ca "$dir/$name.pem"; then
  log "tls: making the $name certificate (127.0.0.1, localhost)"
  openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$dir/$name.key" -out "$dir/$name.csr" \
    -subj "/O=jobmatch/CN=$name" 2>/dev/null || die "tls: openssl could not make a key for $name"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost" "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid" >"$dir/$name.ext"
  openssl x509 -req -sha256 -days "$days" -in "$dir/$name.csr" -CA "$dir/ca.pem" \
    -CAkey "$dir/ca.key" -CAcreateserial -out "$dir/$name.pem" -extfile "$dir/$name.ext" \
    2>/dev/null || die "tls: openssl could not sign the $name certificate"
  rm -f "$dir/$name.csr" "$dir/$name.ext"
fi
# Clients read the CA; nobody else needs to read the keys.
chmod 644 "$dir/ca.pem" "$dir/$name.pem"
chmod 600 "$dir/ca.key" "$dir/$name.key"
