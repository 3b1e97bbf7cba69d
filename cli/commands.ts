// Every command of the binary and the shell, by name, and the help text made from them.

import type { Command } from './command.js';
import { acl, create, get, ls, rm, set, stat, watch, whoami } from './node-commands.js';
import { cons, mntr, srvr } from './server-commands.js';
import { cp, du, dump, find, load, mv, tree } from './tree-commands.js';

/** The commands, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  ls,
  tree,
  get,
  stat,
  set,
  create,
  rm,
  watch,
  acl,
  find,
  du,
  dump,
  load,
  cp,
  mv,
  whoami,
  srvr,
  mntr,
  cons,
];

/** A command by name. */
export function commandNamed(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}

/** `zookit help` and `zookit --help`. */
export function helpText(): string {
  const commands = COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`);
  return [
    'zookit: a ZooKeeper shell (no JVM)',
    '',
    'usage: zookit [OPTIONS] COMMAND [ARGS]   run one command',
    '       zookit [OPTIONS]                  the interactive shell (history, completion, cd)',
    '       zookit server [--port N] [--size N]   a throw-away ZooKeeper (or ensemble) in the foreground',
    '',
    'commands:',
    ...commands,
    '',
    'options:',
    '  -H, --hosts HOSTS          connect string with optional chroot, e.g. zk1:2181,zk2:2181/app',
    '                             (default: $ZK_HOSTS, else 127.0.0.1:2181)',
    '  --tls-ca FILE, --tls-cert FILE, --tls-key FILE   connect over TLS',
    '  --auth SCHEME:CREDENTIAL   e.g. digest:alice:secret (repeatable)',
    '  --sasl USER:PASSWORD       SASL DIGEST-MD5 (or --sasl gssapi for Kerberos)',
    '  --read-only                accept a read-only server (writes then fail, exit 9)',
    '  --embedded                 start a throw-away local ZooKeeper and use it',
    '  --timeout MS               give up connecting after MS (default 10000), exit 6',
    '  --session-timeout MS       the session timeout to ask for',
    '  --json                     reads print JSON (watch: one JSON object per line)',
    '  -q, --quiet                no progress or summary lines on stderr',
    '',
    'exit codes: 0 ok, 1 error, 2 usage, 3 no node, 4 bad version, 5 auth, 6 connection,',
    '            7 node exists, 8 not empty, 9 read-only server, 130 interrupted (Ctrl-C)',
  ].join('\n');
}
