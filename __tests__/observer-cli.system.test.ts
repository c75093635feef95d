// The observer from the command line: `actor-kv --observer-port`, its health
// check through a SIGTERM, its metrics of the text server's traffic, and
// `actor-kv tree` printing what it sees.

import net from 'node:net';
import { waitUntil } from './support/deadlines';
import { parsePrometheus, request, sampleValue } from './support/observer-client';
import { Spawned, type CliProcess } from './support/server-process';
import { TestCa } from './support/tls-certs';

jest.setTimeout(20_000);

const spawned = new Spawned();
afterEach(() => spawned.cleanup());

/** Waits for the `Observer on <url>` line and returns the URL. */
async function observerUrl(node: CliProcess): Promise<string> {
  await node.port(); // printed after the observer's line: both are there
  return /Observer on (\S+)/.exec(node.stdout)![1]!;
}

/** Runs a command to its end; resolves with its exit code and output. */
async function finished(args: string[], env: Record<string, string> = {}) {
  const command = spawned.cli(args, env);
  const { code } = await command.exited;
  return { code, stdout: command.stdout, stderr: command.stderr };
}

test('--observer-port serves the tree and the metrics of the text traffic; `actor-kv tree` prints it', async () => {
  const node = spawned.cli(['--port', '0', '--observer-port', '0', '--node', 'foo', '--log-level', 'warn']);
  const url = await observerUrl(node);
  const client = await spawned.connect(await node.port());
  expect(await client.sendAndRecv('CREATE shopping\r\n')).toBe('OK\r\n');
  expect(await client.sendAndRecv('PUT shopping milk 1\r\n')).toBe('OK\r\n');
  const tree = JSON.parse((await request(`${url}api/tree`)).body) as { buckets: Array<{ name: string; keys: number }> };
  expect(tree.buckets).toEqual([expect.objectContaining({ name: 'shopping', keys: 1 })]);
  const { samples } = parsePrometheus((await request(`${url}metrics`)).body);
  expect(sampleValue(samples, 'actor_kv_commands_total', { verb: 'put', result: 'ok' })).toBe(1);
  expect(sampleValue(samples, 'actor_kv_connections', { protocol: 'text' })).toBe(1);
  const printed = await finished(['tree', '--observer', url]);
  expect(printed).toEqual({ code: 0, stdout: expect.stringContaining('node foo (this node, memory)'), stderr: '' });
  expect(printed.stdout).toMatch(/└─ shopping \[running\] restarts 0, keys 1\n/);
  // Without an observer: the same tree from the text server, with TREE.
  expect(await finished(['tree', '--port', String(await node.port())])).toEqual(printed);
});

test('`actor-kv tree` from a text server that wants a password: AUTH first with ACTOR_KV_PASSWORD, and a wrong one said plainly', async () => {
  const node = spawned.cli(['--port', '0', '--node', 'foo'], { ACTOR_KV_PASSWORD: 'hunter2' });
  const port = String(await node.port());
  const printed = await finished(['tree', '--port', port], { ACTOR_KV_PASSWORD: 'hunter2' });
  expect(printed).toEqual({ code: 0, stdout: expect.stringContaining('node foo (this node, memory)'), stderr: '' });
  const refused = await finished(['tree', '--port', port], { ACTOR_KV_PASSWORD: 'wrong' });
  expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/^actor-kv: 127\.0\.0\.1:\d+ answered: ERROR /) });
});

test('`actor-kv tree` from a text server over TLS: with its CA, without it, and without TLS', async () => {
  const ca = TestCa.create();
  try {
    const files = ca.files(ca.issue('localhost', '127.0.0.1'), 'server');
    const node = spawned.cli(['--port', '0', '--node', 'foo', '--tls-cert', files.cert, '--tls-key', files.key]);
    const port = String(await node.port());
    expect(await finished(['tree', '--port', port, '--tls-ca', files.ca])).toEqual({ code: 0, stdout: expect.stringContaining('node foo (this node, memory)'), stderr: '' });
    expect(await finished(['tree', '--port', port, '--tls'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^actor-kv: cannot reach 127\.0\.0\.1:\d+: .*name it with --tls-ca\)/) });
    expect(await finished(['tree', '--port', port])).toMatchObject({ code: 1, stderr: expect.stringContaining('closed the connection before the tree was read (does it serve TLS? try --tls)') });
    expect(await finished(['tree', '--port', port, '--tls-ca', `${files.ca}.missing`])).toMatchObject({ code: 1, stderr: expect.stringContaining('actor-kv: cannot read --tls-ca: ENOENT') });
  } finally {
    ca.remove();
  }
});

test('/healthz says 503 from the moment SIGTERM arrives, and the node still exits 0', async () => {
  const node = spawned.cli(['--port', '0', '--observer-port', '0', '--log-level', 'warn']);
  const url = await observerUrl(node);
  expect((await request(`${url}healthz`)).status).toBe(200);
  // A client that does not close its side when told to: the shutdown waits for it (up to 2 s).
  const lingering = net.connect({ port: await node.port(), host: '127.0.0.1', allowHalfOpen: true });
  lingering.on('error', () => {});
  await new Promise((resolve) => lingering.once('connect', resolve));
  node.kill('SIGTERM');
  await waitUntil(async () => (await request(`${url}healthz`).catch(() => ({ status: 0, body: '' }))).status === 503, undefined, '/healthz to say 503');
  expect(await node.exited).toEqual({ code: 0, signal: null });
  lingering.destroy();
});

test('usage errors and failures name the observer flags', async () => {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  try {
    const port = (busy.address() as net.AddressInfo).port;
    const taken = await finished(['--port', '0', '--observer-port', String(port)]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`actor-kv: the observer 127.0.0.1:${port} is already in use (--observer-host, --observer-port)\n`);
  } finally {
    busy.close();
  }
  expect(await finished(['tree', '--port', '9'])).toMatchObject({ code: 1, stderr: expect.stringContaining('actor-kv: cannot reach 127.0.0.1:9') });
  // A server without TREE (an older actor-kv) is named at once.
  const older = net.createServer((socket) => socket.on('data', () => socket.write('UNKNOWN COMMAND\r\n')));
  await new Promise<void>((resolve) => older.listen(0, '127.0.0.1', resolve));
  try {
    const port = String((older.address() as net.AddressInfo).port);
    expect(await finished(['tree', '--port', port])).toMatchObject({ code: 1, stderr: expect.stringContaining('does not know TREE') });
  } finally {
    older.close();
  }
  expect(await finished(['tree', '--observer', 'http://127.0.0.1:9/'])).toMatchObject({ code: 1, stderr: expect.stringContaining('actor-kv: cannot read http://127.0.0.1:9/api/tree') });
  const help = await finished(['--help']);
  expect(help.stdout).toContain('--observer-port <port>');
  expect(help.stdout).toContain('ACTOR_KV_OBSERVER_PORT');
});

test('`actor-kv tree` names ACTOR_KV_PORT, not --port, when the bad port came from the environment', async () => {
  expect(await finished(['tree'], { ACTOR_KV_PORT: 'abc' })).toMatchObject({ code: 2, stderr: 'actor-kv: ACTOR_KV_PORT: "abc" is not a port from 1 to 65535\ntry \'actor-kv tree --help\'\n' });
  expect(await finished(['tree', '--port', 'abc'], { ACTOR_KV_PORT: '4040' })).toMatchObject({ code: 2, stderr: expect.stringContaining('actor-kv: --port: "abc"') });
});
