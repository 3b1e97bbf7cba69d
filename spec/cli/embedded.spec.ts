// `--embedded` (a throw-away local ZooKeeper started by the binary itself, through zookit/testing)
// and `zookit server` (one run in the foreground until Ctrl-C): each serves, and each stops its
// server when it ends, leaving nothing listening.

import type { ChildProcess } from 'node:child_process';
import { fourLetterWord } from '../../index.js';
import { zookit } from './support.js';

describe('zookit --embedded and zookit server', () => {
  it('--embedded runs a command against a server of its own, and a shell script too', async () => {
    const once = await zookit(['--embedded', 'srvr', '--json']);
    expect(once.code).toBe(0);
    expect(JSON.parse(once.stdout)).toMatchObject({ mode: 'standalone' });
    expect(once.stderr).toMatch(/^embedded ZooKeeper serving at 127\.0\.0\.1:\d+/);

    const script = await zookit(['--embedded'], { input: 'create /app v1\nset /app v2\nls /\nget /app\n' });
    // get writes the bytes as they are: no newline is added outside a terminal.
    expect([script.code, script.stdout]).toEqual([0, '/app\napp\nzookeeper\nv2']);
    const address = /serving at (127\.0\.0\.1):(\d+)/.exec(script.stderr)!;
    // Gone with the process that started it.
    await expect(fourLetterWord(address[1]!, Number(address[2]), 'ruok', { timeout: 2000 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it('zookit server serves until Ctrl-C, prints its connect string first, then stops', async () => {
    let child!: ChildProcess;
    let connectString!: (value: string) => void;
    const served = new Promise<string>((resolve) => {
      connectString = resolve;
    });
    const running = zookit(['server'], {
      onSpawn: (spawned) => {
        child = spawned;
      },
      onStdout: (text) => connectString(text.trim()),
    });
    const hosts = await served;
    expect(hosts).toMatch(/^127\.0\.0\.1:\d+$/);
    const ls = await zookit(['--hosts', hosts, 'ls', '/']);
    expect([ls.code, ls.stdout]).toEqual([0, 'zookeeper\n']);
    child.kill('SIGINT');
    const result = await running;
    expect([result.code, result.stderr.trimEnd().split('\n').at(-1)]).toEqual([0, 'stopped']);
    const [host, port] = hosts.split(':');
    await expect(fourLetterWord(host!, Number(port), 'ruok', { timeout: 2000 })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
