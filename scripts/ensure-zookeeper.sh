#!/usr/bin/env bash
# Makes sure the test harness has a ZooKeeper to start (testing/backend.ts picks, in order:
# ZK_CONNECT for standalone tests, ZOOKEEPER_HOME, Debian's jars, a Docker engine). Ensembles
# always need a local install or Docker, so ZK_CONNECT alone is not enough. When neither is
# there, installs Debian's `zookeeper` package (3.8.0) and a Java runtime.
set -euo pipefail

have_local_install() {
  if [ -n "${ZOOKEEPER_HOME:-}" ] && compgen -G "${ZOOKEEPER_HOME}/lib/*.jar" >/dev/null; then
    echo "zookeeper: using ZOOKEEPER_HOME=${ZOOKEEPER_HOME}"
    return 0
  fi
  if [ -f /usr/share/java/zookeeper.jar ]; then
    echo "zookeeper: using Debian's install (/usr/share/java/zookeeper.jar)"
    return 0
  fi
  return 1
}

have_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "${JAVA_HOME}/bin/java" ]; then return 0; fi
  command -v java >/dev/null 2>&1
}

have_docker_engine() {
  command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "zookeeper: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

install_debian_zookeeper() {
  echo "zookeeper: installing Debian's zookeeper package and a Java runtime"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zookeeper default-jre-headless >/dev/null
}

# The TLS tests generate their certificates with openssl (keytool comes with the Java runtime).
if ! command -v openssl >/dev/null 2>&1; then
  echo "zookeeper: installing openssl for the TLS tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
fi

if have_local_install; then
  have_java || install_debian_zookeeper
  exit 0
fi
if have_docker_engine; then
  echo "zookeeper: no local install; the harness will use Docker through testcontainers"
  exit 0
fi
install_debian_zookeeper
have_local_install
