#!/usr/bin/env bash
# Provisions PostgreSQL for integration tests: installs Debian's postgresql package (15 on bookworm) when its
# server binaries are missing. Starts nothing: npm test starts the local server (npm run pg:up) itself.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=''
if [ "$(id -u)" -ne 0 ]; then sudo='sudo'; fi

if [ ! -x /usr/lib/postgresql/15/bin/initdb ] && ! command -v pg_config >/dev/null 2>&1; then
  echo "provision-postgres: installing postgresql"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
# Debian's package may start its own cluster on 5432; ours runs on 25432 from a folder of its own, so that one is
# left as it is.
