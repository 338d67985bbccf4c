#!/usr/bin/env bash
# Provisions local Apache Kafka for integration tests: installs the JDK, Maven and kcat from Debian packages when
# missing, then copies the Kafka jars pinned in scripts/kafka/pom.xml into the cache dir
# ($HERALD_CACHE_DIR or ~/.cache/herald; reused when already complete). Starts no broker: see npm run kafka:up.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=''
if [ "$(id -u)" -ne 0 ]; then sudo='sudo'; fi

java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n 1
}

packages=()
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ] 2>/dev/null; then
  packages+=(openjdk-17-jdk-headless)
fi
command -v mvn >/dev/null 2>&1 || packages+=(maven)
command -v kcat >/dev/null 2>&1 || packages+=(kcat)

if [ "${#packages[@]}" -gt 0 ]; then
  echo "provision-kafka: installing ${packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

# The cluster's third node listens on 31092/31093, inside Linux's ephemeral range: reserve the Kafka ports so no
# outgoing connection borrows one as its local port while a broker wants to bind it.
if [ -w /proc/sys/net/ipv4/ip_local_reserved_ports ]; then
  echo "9092-9093,19092-19093,29092-29093,31092-31093" > /proc/sys/net/ipv4/ip_local_reserved_ports
fi

node=./node_modules/.bin/node
if [ ! -x "$node" ]; then
  echo "provision-kafka: $node is missing: run npm ci first" >&2
  exit 1
fi
"$node" scripts/kafka/jars.ts
