#!/bin/sh
# Entrypoint of the redis service in deploy/docker-compose.yml: renders the ACL users of
# deploy/redis/users.acl.template with the passwords from the environment (as
# deploy/redis/start.sh does), then starts Redis through the official image's entrypoint,
# which drops root. UNTESTED under Docker here; tests/deploy runs it with a stub entrypoint.
set -eu
conf_dir="${JOBMATCH_REDIS_CONF_DIR:-/jobmatch}"
data_dir="${JOBMATCH_REDIS_DATA_DIR:-/data}"
: "${JOBMATCH_REDIS_WORKER_PASSWORD:?set JOBMATCH_REDIS_WORKER_PASSWORD}"
: "${JOBMATCH_REDIS_PORTAL_PASSWORD:?set JOBMATCH_REDIS_PORTAL_PASSWORD}"
: "${JOBMATCH_REDIS_ADMIN_PASSWORD:?set JOBMATCH_REDIS_ADMIN_PASSWORD}"

sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
umask 077
sed -e "s/#WORKER_SHA/#$(sha "$JOBMATCH_REDIS_WORKER_PASSWORD")/" \
    -e "s/#PORTAL_SHA/#$(sha "$JOBMATCH_REDIS_PORTAL_PASSWORD")/" \
    -e "s/#ADMIN_SHA/#$(sha "$JOBMATCH_REDIS_ADMIN_PASSWORD")/" \
    "$conf_dir/users.acl.template" | grep -v '^#' >"$data_dir/users.acl"

# redis.conf is the development config; inside a container Redis must listen on every
# interface (the ACL users still guard it) and stay in the foreground, logging to stdout.
exec docker-entrypoint.sh redis-server "$conf_dir/redis.conf" \
  --daemonize no --bind 0.0.0.0 --protected-mode no \
  --dir "$data_dir" --aclfile "$data_dir/users.acl" --logfile ""
