#!/usr/bin/env bash
# Install Debian packages, running `apt-get update` first only when the package lists are
# missing. Uses sudo when not root.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 PACKAGE..." >&2; exit 2; }
command -v apt-get >/dev/null || {
  echo "error: apt-get not found; install these packages with your system's package manager: $*" >&2
  exit 1
}
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "error: installing $* needs root (or sudo)" >&2; exit 1; }
  sudo=sudo
fi
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
  $sudo apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
  || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
