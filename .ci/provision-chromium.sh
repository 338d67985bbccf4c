#!/usr/bin/env bash
# Provisions Debian's chromium for the browser tests (playwright-core drives it at /usr/bin/chromium; no browser is
# ever downloaded).
set -euo pipefail

sudo=''
if [ "$(id -u)" -ne 0 ]; then sudo='sudo'; fi

if [ ! -x /usr/bin/chromium ]; then
  echo "provision-chromium: installing chromium"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
/usr/bin/chromium --version
