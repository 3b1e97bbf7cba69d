#!/usr/bin/env bash
# Makes sure the Kerberos specs (spec/testing/kdc.spec.ts, spec/lib/sasl/gssapi.spec.ts) have
# what they run: MIT Kerberos's KDC and admin tools (zookit/testing's startTestingKdc runs
# krb5kdc, kdb5_util and kadmin.local; the specs run kinit and klist), from Debian's krb5-kdc,
# krb5-admin-server and krb5-user, and the headers the optional `kerberos` npm addon builds
# against (libkrb5-dev). Then builds that addon when node_modules has it unbuilt: npm 11 leaves
# install scripts of packages not listed in allowScripts unrun, and `kerberos` is one.
# Nothing here writes /etc/krb5.conf or starts a system KDC: every realm the tests use is a
# throw-away one under a temporary directory.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "kerberos: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

have_tools() {
  local dir
  for tool in krb5kdc kdb5_util kadmin.local kinit klist; do
    command -v "$tool" >/dev/null 2>&1 && continue
    for dir in /usr/sbin /usr/local/sbin /sbin; do [ -x "$dir/$tool" ] && continue 2; done
    return 1
  done
  [ -f /usr/include/gssapi/gssapi.h ] || [ -f /usr/include/gssapi.h ]
}

if ! have_tools; then
  echo "kerberos: installing Debian's krb5-kdc, krb5-admin-server, krb5-user and libkrb5-dev"
  as_root apt-get update -qq
  # The packages' postinst would ask for a default realm and try to start system daemons; neither
  # is wanted (policy-rc.d or no init keeps them from starting here).
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    krb5-kdc krb5-admin-server krb5-user libkrb5-dev >/dev/null
fi
have_tools || { echo "kerberos: the MIT Kerberos tools are still missing" >&2; exit 1; }

if [ -f node_modules/kerberos/package.json ] && ! [ -f node_modules/kerberos/build/Release/kerberos.node ]; then
  echo "kerberos: building the optional kerberos addon (node-gyp, against libkrb5-dev)"
  npm rebuild kerberos --foreground-scripts >/dev/null
fi
echo "kerberos: using $(krb5-config --version 2>/dev/null || echo 'MIT Kerberos')"
