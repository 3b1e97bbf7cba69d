// `make demo`: starts a throw-away ZooKeeper on a free loopback port, opens a raw session with
// zookit's codec, and shows what the server said. It grows with the client.

import { fourLetterWord } from '../lib/four-letter-words.js';
import { CreateFlag, OpCode, Perm } from '../protocol/constants.js';
import { RawSession } from '../spec/harness/raw-session.js';
import { startTestingServer } from '../spec/harness/testing-server.js';

async function main(): Promise<void> {
  const server = await startTestingServer();
  try {
    console.log(`ZooKeeper serving at ${server.connectString} (${server.backend} backend)`);
    const srvr = await fourLetterWord(server.host, server.port, 'srvr');
    console.log(`server version: ${/Zookeeper version: ([^,\n]+)/.exec(srvr)?.[1] ?? 'unknown'}`);

    const session = await RawSession.connect({
      host: server.host,
      port: server.port,
      sessionTimeout: 10_000,
    });
    console.log(
      `session 0x${session.sessionId.toString(16)}, negotiated timeout ${session.negotiatedTimeout} ms, ` +
        `readOnly=${session.connectResponse.readOnly}`,
    );

    const acl = [{ perms: Perm.ALL, id: { scheme: 'world', id: 'anyone' } }];
    const created = await session.request(OpCode.create2, {
      path: '/zookit-demo-',
      data: Buffer.from('hello from zookit'),
      acl,
      flags: CreateFlag.EPHEMERAL_SEQUENTIAL,
    });
    const path = created.body!.path;
    const read = await session.request(OpCode.getData, { path, watch: false });
    console.log(
      `created ${path}; it holds "${read.body?.data?.toString()}" (version ${read.body?.stat.version})`,
    );
    const who = await session.request(OpCode.whoAmI, {});
    console.log(`whoAmI: ${who.body?.clientInfo.map((c) => `${c.authScheme}:${c.user}`).join(', ')}`);

    await session.close();
    console.log('session closed; stopping the server');
  } finally {
    await server.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
