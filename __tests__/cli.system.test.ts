// The actor-kv command as users run it: a child process (node dist/cli/main.js).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { logFileName } from '../lib/storage/file-storage';
import { encodeRecord, logMagic } from '../lib/storage/log-format';
import { eventually } from './support/server-helpers';
import { Spawned } from './support/server-process';

const spawned = new Spawned();
const cli = (args: string[], env: Record<string, string> = {}) => spawned.cli(args, env);
const connect = (port: number) => spawned.connect(port);

afterEach(() => spawned.cleanup());

test('--help documents every flag on stdout and exits 0', async () => {
  const help = cli(['--help']);
  expect(await help.exited).toEqual({ code: 0, signal: null });
  for (const flag of ['--port', '--host', '--node', '--max-line-bytes', '--max-connections', '--idle-timeout-ms', '--log-level', '--help']) {
    expect(help.stdout).toContain(flag);
  }
  expect(help.stdout).toContain('ACTOR_KV_PORT');
  expect(help.stderr).toBe('');
});

test('an unknown flag prints the usage to stderr and exits 2', async () => {
  const bad = cli(['--bogus']);
  expect(await bad.exited).toEqual({ code: 2, signal: null });
  expect(bad.stderr).toContain("actor-kv: Unknown option '--bogus'");
  expect(bad.stderr).toContain('Usage: actor-kv');
  expect(bad.stdout).toBe('');
});

test('a bad value in the environment names the variable and exits 2', async () => {
  const bad = cli([], { ACTOR_KV_PORT: 'http' });
  expect(await bad.exited).toEqual({ code: 2, signal: null });
  expect(bad.stderr).toContain('ACTOR_KV_PORT: "http" is not a whole number');
});

test('--port 0 prints the bound port and answers the seeds\' session over TCP', async () => {
  const node = cli(['--port', '0', '--node', 'foo']);
  const port = await node.port();
  expect(port).toBeGreaterThan(0);
  expect(node.stdout).toBe(`Accepting connections on port ${port}\n`);
  const telnet = await connect(port);
  telnet.write('CREATE shopping\r\nPUT shopping eggs 6\r\nPUT shopping milk 1\r\nGET shopping eggs\r\nDELETE shopping eggs\r\nGET shopping eggs\r\n');
  expect(await telnet.lines(8)).toEqual(['OK', 'OK', 'OK', '6', 'OK', 'OK', '', 'OK']);
  // Logs are pino JSON lines on stderr.
  expect(JSON.parse(node.stderr.split('\n')[0]!)).toMatchObject({ msg: 'accepting connections', node: 'foo', port });
});

test('flags reach the server: --max-line-bytes from the environment', async () => {
  const node = cli(['--port', '0'], { ACTOR_KV_MAX_LINE_BYTES: '10' });
  const client = await connect(await node.port());
  client.write('CREATE abcdefghij\r\n');
  expect(await client.rest()).toBe('ERROR line too long\r\n');
});

test('a port in use: a clear message and exit 1', async () => {
  const first = cli(['--port', '0']);
  const port = await first.port();
  const second = cli(['--port', String(port)]);
  expect(await second.exited).toEqual({ code: 1, signal: null });
  expect(second.stderr).toContain(`127.0.0.1:${port} is already in use`);
});

test('SIGTERM with clients connected and requests in flight: answers what it received, exits 0', async () => {
  const node = cli(['--port', '0']);
  const port = await node.port();
  const idle = await connect(port);
  const busy = await connect(port);
  busy.write('CREATE b\r\n');
  expect(await busy.lines(1)).toEqual(['OK']);
  busy.write(Array.from({ length: 20_000 }, (_, i) => `PUT b k${i} ${i}\r\n`).join(''));
  await busy.nextLine();
  const signalledAt = Date.now();
  node.kill('SIGTERM');
  // Every reply it sends is whole and right (OK), then the connection closes.
  expect((await busy.rest()).split('\r\n').every((line) => line === 'OK' || line === '')).toBe(true);
  await idle.closed;
  expect(await node.exited).toEqual({ code: 0, signal: null });
  expect(Date.now() - signalledAt).toBeLessThan(10_000);
  expect(node.stderr).toContain('"msg":"stopped"');
});

test('a second signal during shutdown forces exit 1', async () => {
  const node = cli(['--port', '0']);
  const port = await node.port();
  // A client that never reads does not answer the server's FIN, so shutdown
  // waits for it (up to closeTimeoutMs): time for a second signal.
  const stuck = await connect(port);
  stuck.socket.pause();
  node.kill('SIGINT');
  await node.logged('shutting down');
  node.kill('SIGINT');
  expect(await node.exited).toEqual({ code: 1, signal: null });
  expect(node.stderr).toContain('"msg":"forced exit"');
});

/** A data directory whose log takes the CLI a moment to replay (~20 MB: 50 000 flushes of 10 keys). */
function dataDirWithLargeLog(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-cli-'));
  const records = [logMagic, encodeRecord({ op: 'create', bucket: 'b' })];
  for (let i = 0; i < 50_000; i++) {
    records.push(encodeRecord({ op: 'changes', bucket: 'b', changes: Array.from({ length: 10 }, (_, j) => ({ key: `k${i}-${j}`, value: `v${i}-${j}`.padEnd(20, '.') })) }));
  }
  fs.writeFileSync(path.join(dir, logFileName), Buffer.concat(records));
  return dir;
}

/** The pid in the data directory's LOCK file, once a process holds it. */
function lockHolder(dir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

test('SIGTERM during startup (a long log replay) stops what started, exits 0, and frees the data directory', async () => {
  const dir = dataDirWithLargeLog();
  try {
    const node = cli(['--port', '0', '--data-dir', dir]);
    // It writes its pid to LOCK once it holds the directory; the replay comes next.
    await eventually(() => lockHolder(dir) === node.child.pid, 'the CLI holds the data directory');
    node.kill('SIGTERM');
    expect(await node.exited).toEqual({ code: 0, signal: null });
    expect(node.stdout).not.toContain('Accepting connections'); // it was caught during startup
    expect(node.stderr).toContain('"msg":"stopped"');
    // The directory is free and the log intact: a second start serves it.
    const again = cli(['--port', '0', '--data-dir', dir]);
    const client = await connect(await again.port());
    client.write('GET b k49999-9\r\n');
    expect(await client.lines(2)).toEqual(['v49999-9'.padEnd(20, '.'), 'OK']);
    again.kill('SIGTERM');
    expect(await again.exited).toEqual({ code: 0, signal: null });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
