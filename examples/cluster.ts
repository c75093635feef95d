// Two nodes as in the Elixir guide: foo owns buckets a..m, bar owns n..z, and the
// client talks to foo only. Starts both with the CLI on loopback, runs the
// guide's telnet transcript against foo, then kills bar.
// Run it: npm run build && npx ts-node examples/cluster.ts
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { connect } from 'node:net';
import { join } from 'node:path';

const cli = join(__dirname, '..', 'dist', 'cli', 'main.js');
const routes = ['--route', 'a-m=foo', '--route', 'n-z=bar'];

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((child) => child.kill())); // never leave a node behind

/** Starts a node (ports 0: free ones) and reads the ports it prints. */
async function start(name: string, peer: string): Promise<{ child: ChildProcess; port: number; clusterPort: number }> {
  const args = ['--node', name, '--port', '0', '--cluster-port', '0', '--peer', peer, '--log-level', 'error', ...routes];
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
  const bar = await start('bar', 'foo'); // bar waits for foo to dial in
  const foo = await start('foo', `bar=127.0.0.1:${bar.clusterPort}`);
  const socket = connect(foo.port, '127.0.0.1');
  const replies = createInterface({ input: socket })[Symbol.asyncIterator]();
  const telnet = async (command: string, lines = 1): Promise<void> => {
    socket.write(`${command}\r\n`);
    console.log(`> ${command}`);
    for (let i = 0; i < lines; i++) console.log((await replies.next()).value);
  };

  for (const bucket of ['shopping', 'awesome-list']) {
    await telnet(`CREATE ${bucket}`); // shopping lives on bar, awesome-list on foo
    await telnet(`PUT ${bucket} eggs 6`);
    await telnet(`GET ${bucket} eggs`, 2);
  }
  bar.child.kill('SIGKILL'); // the Elixir guide stops bar here
  await new Promise((resolve) => bar.child.once('exit', resolve));
  await telnet('CREATE awesome-list'); // OK: foo's half still works
  await telnet('CREATE shopping'); // ERROR node bar unavailable, and the connection stays open
  socket.end();
  foo.child.kill('SIGTERM');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
