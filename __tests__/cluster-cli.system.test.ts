// The Elixir guide's two-node scenario with real processes started by the CLI: foo
// serves a..m, bar serves n..z, clients talk to foo. Then the faults: bar
// paused (SIGSTOP), bar killed (SIGKILL) and restarted on its port, and abuse
// of foo's cluster port.

import { connect, type Socket } from 'node:net';
import { encodeFrame } from '../lib/cluster/frame';
import { dialHandshake } from '../lib/cluster/handshake-session';
import { CliProcess, Spawned } from './support/server-process';
import { LineClient } from './support/server-helpers';
import { closeTime } from './support/cluster-nodes';
import { waitUntil } from './support/deadlines';

jest.setTimeout(60_000);

const secret = 'a cluster secret for the system test';
const routes = ['a-m=foo', 'n-z=bar'];
const requestTimeoutMs = 2000;

/** Starts a node with the text server on port 0 and the cluster port given (0 picks one). */
function startNode(name: string, clusterPort: number, peers: string[]): CliProcess {
  const args = ['--node', name, '--port', '0', '--cluster-port', String(clusterPort), ...peers.flatMap((peer) => ['--peer', peer])];
  return CliProcess.start([...args, ...routes.flatMap((route) => ['--route', route])], { ACTOR_KV_SECRET: secret });
}

/** The cluster port a node printed. */
async function clusterPortOf(node: CliProcess): Promise<number> {
  const pattern = /Cluster node \S+ accepting peers on port (\d+)/;
  await waitUntil(() => pattern.test(node.stdout), 5000, 'the cluster port line');
  return Number(pattern.exec(node.stdout)![1]);
}

/** Sends one command and reads `lines` lines of reply. */
async function ask(client: LineClient, command: string, lines = 1): Promise<string[]> {
  client.write(`${command}\r\n`);
  return client.lines(lines);
}

describe('foo a-m and bar n-z as CLI processes, clients on foo', () => {
  const processes: CliProcess[] = [];
  const clients: LineClient[] = [];
  let bar: CliProcess;
  let foo: CliProcess;
  let barClusterPort: number;
  let fooClusterPort: number;
  let fooPort: number;

  const client = async (): Promise<LineClient> => {
    const opened = await LineClient.connect(fooPort);
    clients.push(opened);
    return opened;
  };

  beforeAll(async () => {
    // bar waits for foo to dial in; foo knows bar's address.
    bar = startNode('bar', 0, ['foo']);
    processes.push(bar);
    barClusterPort = await clusterPortOf(bar);
    foo = startNode('foo', 0, [`bar=127.0.0.1:${barClusterPort}`]);
    processes.push(foo);
    fooPort = await foo.port();
    fooClusterPort = await clusterPortOf(foo);
    await foo.logged('cluster peer connected');
  });

  afterAll(async () => {
    for (const opened of clients) opened.destroy();
    for (const node of processes) node.kill('SIGKILL');
    await Promise.all(processes.map((node) => node.exited));
  });

  test("the Elixir guide's transcript works on both halves through foo, pipelined", async () => {
    const transcript = (bucket: string) => [`CREATE ${bucket}`, `PUT ${bucket} eggs 6`, `PUT ${bucket} milk 1`, `GET ${bucket} eggs`, `DELETE ${bucket} eggs`, `GET ${bucket} eggs`];
    const replies = ['OK', 'OK', 'OK', '6', 'OK', 'OK', '', 'OK'];
    const telnet = await client();
    telnet.write([...transcript('shopping'), ...transcript('awesome-list')].map((line) => `${line}\r\n`).join(''));
    expect(await telnet.lines(16)).toEqual([...replies, ...replies]);
    expect(await ask(telnet, 'CREATE Shopping')).toEqual(['ERROR no route for bucket Shopping']);
  });

  test('the cluster port closes abusive connections one by one and foo keeps serving', async () => {
    const probes: Array<[string, (socket: Socket) => void]> = [
      ['random bytes', (socket) => socket.write(Buffer.from(Array.from({ length: 2048 }, (_, index) => (index * 131) % 256)))],
      ['a 4 GiB length', (socket) => socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]))],
      ['a bad hello', (socket) => socket.write(encodeFrame(Buffer.from('{"name":"foo"}')))],
    ];
    for (const [, probe] of probes) {
      const socket = connect({ host: '127.0.0.1', port: fooClusterPort });
      const closed = closeTime(socket);
      probe(socket);
      expect(await closed).toBeLessThan(1500);
    }
    const wrong = connect({ host: '127.0.0.1', port: fooClusterPort });
    await expect(dialHandshake(wrong, { self: 'bar', secret: 'not the secret', timeoutMs: 2000, maxFrameBytes: 1024 }, 'foo')).rejects.toThrow('node foo refused the handshake: wrong cluster secret');
    const telnet = await client();
    expect(await ask(telnet, 'PUT shopping milk 3')).toEqual(['OK']);
    expect(await ask(telnet, 'GET shopping milk', 2)).toEqual(['3', 'OK']);
    await foo.logged('cluster connection refused');
  });

  test('bar paused (SIGSTOP): its buckets answer TIMEOUT within the request timeout, foo keeps serving; SIGCONT heals', async () => {
    const slow = await client();
    const other = await client();
    bar.kill('SIGSTOP');
    try {
      const started = Date.now();
      slow.write('GET shopping milk\r\n');
      expect(await ask(other, 'CREATE apples')).toEqual(['OK']);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await slow.lines(1)).toEqual([`ERROR node bar did not answer within ${requestTimeoutMs} ms (see cluster.requestTimeoutMs)`]);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(requestTimeoutMs - 50);
      expect(elapsed).toBeLessThan(requestTimeoutMs + 1000);
    } finally {
      bar.kill('SIGCONT');
    }
    expect(await ask(slow, 'GET shopping milk', 2)).toEqual(['3', 'OK']);
  });

  test('bar killed (SIGKILL): awesome-list OK, shopping ERROR node bar unavailable at once, the connection stays; bar back on its port serves again', async () => {
    const telnet = await client();
    bar.kill('SIGKILL');
    await bar.exited;
    expect(await ask(telnet, 'CREATE awesome-list')).toEqual(['OK']);
    const started = Date.now();
    expect(await ask(telnet, 'CREATE shopping')).toEqual(['ERROR node bar unavailable']);
    expect(Date.now() - started).toBeLessThan(requestTimeoutMs);
    expect(await ask(telnet, 'GET awesome-list eggs', 2)).toEqual(['', 'OK']);

    bar = startNode('bar', barClusterPort, ['foo']);
    processes.push(bar);
    await clusterPortOf(bar);
    // foo redials with backoff (at most 2 s apart); poll with a deadline.
    await waitUntil(async () => (await ask(telnet, 'CREATE shopping'))[0] === 'OK', 10_000, 'bar to serve again');
    expect(await ask(telnet, 'PUT shopping milk 1')).toEqual(['OK']);
    expect(await ask(telnet, 'GET shopping milk', 2)).toEqual(['1', 'OK']);
  });

  test('no process logged the secret', () => {
    for (const node of processes) {
      expect(node.stderr + node.stdout).not.toContain(secret);
    }
  });
});

describe('ACTOR_KV_ROUTES', () => {
  const spawned = new Spawned();
  afterEach(() => spawned.cleanup());

  test('holds what --route does, a replicated row too (a-z=foo,bar: its nodes are comma-separated as well)', async () => {
    const args = ['--node', 'foo', '--port', '0', '--cluster-port', '0', '--peer', 'bar', '--replicas', '2'];
    const fromEnv = spawned.cli(args, { ACTOR_KV_SECRET: secret, ACTOR_KV_ROUTES: 'a-m=foo,bar, n-z=bar,foo' });
    await fromEnv.port();
    fromEnv.kill('SIGTERM');
    expect((await fromEnv.exited).code).toBe(0);
  });
});
