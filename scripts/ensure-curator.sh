#!/usr/bin/env bash
# Makes sure the recipe benchmark (bench/recipes/) and the Curator interop specs (spec/peers/curator/)
# have Curator 5.4 (and curator-x-discovery with its Jackson) to compare with: its jars in
# /usr/share/java, where bench/recipes/drivers.ts compiles CuratorDriver.java against them with
# the ZooKeeper jars of ensure-zookeeper.sh. When they are missing, installs Debian's Curator
# packages with apt. Needs javac (a JDK) too; says so when there is none.
set -euo pipefail

JARS=/usr/share/java
NEEDED=(curator-framework.jar curator-client.jar curator-recipes.jar curator-x-discovery.jar jackson-databind.jar jackson-core.jar jackson-annotations.jar guava.jar slf4j-api.jar slf4j-nop.jar)

have_curator() {
  local jar
  for jar in "${NEEDED[@]}"; do [ -e "$JARS/$jar" ] || return 1; done
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "curator: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

if ! have_curator; then
  echo "curator: installing Debian's libcurator-*-java packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    libcurator-framework-java libcurator-recipes-java libcurator-discovery-java libslf4j-java >/dev/null
fi

if ! have_curator; then
  echo "curator: still missing one of ${NEEDED[*]} in $JARS" >&2
  exit 1
fi
if ! command -v javac >/dev/null 2>&1; then
  echo "curator: no javac on PATH: the benchmark compiles its Curator driver at run time" >&2
  exit 1
fi
echo "curator: using $(readlink -f "$JARS/curator-framework.jar") with $(javac -version 2>&1)"
