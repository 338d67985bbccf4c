#!/usr/bin/env bash
# Provisions OpenSearch for integration tests: installs unzip (and a JDK and Maven, through provision-kafka.sh's
# packages) when missing, then fetches and unpacks the distribution pinned in scripts/opensearch/pom.xml into the
# cache dir. Starts nothing: npm test starts the node in the background (npm run opensearch:up) itself.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=''
if [ "$(id -u)" -ne 0 ]; then sudo='sudo'; fi

if ! command -v unzip >/dev/null 2>&1; then
  echo "provision-opensearch: installing unzip"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends unzip >/dev/null
fi

./node_modules/.bin/node --input-type=module -e "
  import { openSearchLayout } from './scripts/opensearch/layout.ts';
  import { ensureDistribution } from './scripts/opensearch/server.ts';
  await ensureDistribution(openSearchLayout(), (line) => console.log('provision-opensearch: ' + line));
"
