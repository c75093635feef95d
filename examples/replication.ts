// Three nodes, two copies of each bucket (--replicas 2): bar is the primary of
// the buckets n..z and baz holds their second copy. The client talks to foo
// only. It writes, bar is killed, and everything is read back through foo:
// baz took over with every acknowledged write.
// Run it: npm run build && npx ts-node examples/replication.ts
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { connect } from 'node:net';
import { join } from 'node:path';

const cli = join(__dirname, '..', 'dist', 'cli', 'main.js');
const cluster = ['--replicas', '2', '--route', 'a-m=foo,bar', '--route', 'n-z=bar,baz', '--log-level', 'error'];

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((child) => child.kill())); // never leave a node behind

/** Starts a node (ports 0: free ones) and reads the ports it prints. */
async function start(name: string, peers: string[]): Promise<{ child: ChildProcess; port: number; clusterPort: number }> {
  const args = ['--node', name, '--port', '0', '--cluster-port', '0', ...peers.flatMap((peer) => ['--peer', peer]), ...cluster];
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ACTOR_KV_SECRET: 'change me: at least 16 bytes' }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let clusterPort = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    clusterPort = Number(/accepting peers on port (\d+)/.exec(line)?.[1] ?? clusterPort);
    const port = Number(/Accepting connections on port (\d+)/.exec(line)?.[1]);
    if (port) return { child, port, clusterPort };
  }
  throw new Error(`${name} exited before it was ready`);
}

async function main(): Promise<void> {
  const foo = await start('foo', ['bar', 'baz']); // foo waits for the others to dial in
  const bar = await start('bar', [`foo=127.0.0.1:${foo.clusterPort}`, 'baz']);
  await start('baz', [`foo=127.0.0.1:${foo.clusterPort}`, `bar=127.0.0.1:${bar.clusterPort}`]);
  const socket = connect(foo.port, '127.0.0.1');
  const replies = createInterface({ input: socket })[Symbol.asyncIterator]();
  const telnet = async (command: string, lines = 1): Promise<void> => {
    socket.write(`${command}\r\n`);
    console.log(`> ${command}`);
    for (let i = 0; i < lines; i++) console.log((await replies.next()).value);
  };
  // baz is ready once it has dialed foo and bar: all three are linked.
  await telnet('CREATE shopping'); // on bar (primary) and baz (copy), before the OK
  await telnet('PUT shopping eggs 6');
  await telnet('PUT shopping milk 1');
  bar.child.kill('SIGKILL'); // the primary is lost
  await new Promise((resolve) => bar.child.once('exit', resolve));
  await telnet('GET shopping eggs', 2); // baz takes over: a majority (foo and baz) agreed
  await telnet('GET shopping milk', 2);
  await telnet('PUT shopping bread 2'); // and writes go on
  await telnet('GET shopping bread', 2);
  socket.end();
  for (const child of children) child.kill('SIGTERM');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
