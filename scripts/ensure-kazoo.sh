#!/usr/bin/env bash
# Makes sure the kazoo interop specs (spec/peers/, spec/recipes/interop-kazoo.spec.ts) have a
# kazoo to run: `/usr/bin/python3 -c 'import kazoo'` must work. When it does not, installs
# Debian's `python3-kazoo` (2.8.0) with apt. Always /usr/bin/python3, the interpreter apt installs
# into: the python3 first on PATH may be another installation (pyenv, a venv) without kazoo.
set -euo pipefail

PYTHON=/usr/bin/python3

have_kazoo() {
  [ -x "$PYTHON" ] && "$PYTHON" -c 'import kazoo' >/dev/null 2>&1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "kazoo: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

if ! have_kazoo; then
  echo "kazoo: installing Debian's python3-kazoo package"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-kazoo >/dev/null
fi

if ! have_kazoo; then
  echo "kazoo: $PYTHON still cannot import kazoo" >&2
  exit 1
fi
echo "kazoo: using kazoo $("$PYTHON" -c 'from kazoo.version import __version__; print(__version__)') under $PYTHON"
