// The actor-kv command as users run it: a child process (node dist/cli/main.js).

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { logFileName } from '../lib/storage/file-storage';
import { encodeRecord, logMagic } from '../lib/storage/log-format';
import { waitUntil } from './support/deadlines';
import { freePort } from './support/free-ports';
import { cliPath, Spawned } from './support/server-process';

const spawned = new Spawned();
const cli = (args: string[], env: Record<string, string> = {}) => spawned.cli(args, env);
const connect = (port: number) => spawned.connect(port);
const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };

afterEach(() => spawned.cleanup());

/** A fresh temporary directory, removed after the test. */
const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-cli-'));
  tmpDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of tmpDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** The lines of `text` that start with `actor-kv:`: the plain lines a failure prints. */
const plainLines = (text: string): string[] => text.split('\n').filter((line) => line.startsWith('actor-kv:'));

/** How often `part` occurs in `text`. */
const occurrences = (text: string, part: string): number => text.split(part).length - 1;

test('--help documents every flag on stdout and exits 0', async () => {
  const help = cli(['--help']);
  expect(await help.exited).toEqual({ code: 0, signal: null });
  for (const flag of ['--port', '--host', '--node', '--max-line-bytes', '--max-connections', '--idle-timeout-ms', '--log-level', '--log-format', '-h, --help', '-v, --version']) {
    expect(help.stdout).toContain(flag);
  }
  expect(help.stdout).toContain('ACTOR_KV_PORT');
  expect(help.stderr).toBe('');
});

test('--version and -v print the version from package.json and exit 0', async () => {
  for (const flag of ['--version', '-v']) {
    const shown = cli([flag]);
    expect(await shown.exited).toEqual({ code: 0, signal: null });
    expect([shown.stdout, shown.stderr]).toEqual([`${version}\n`, '']);
  }
});

test('--version reads the package.json of the package it is installed with', async () => {
  // An installed package's layout: node_modules/actor-kv/{package.json,dist/}.
  const installed = path.join(tmpDir(), 'node_modules', 'actor-kv');
  fs.cpSync(path.dirname(path.dirname(cliPath)), path.join(installed, 'dist'), { recursive: true });
  fs.writeFileSync(path.join(installed, 'package.json'), JSON.stringify({ name: 'actor-kv', version: '9.8.7' }));
  const shown = spawned.cli(['--version'], { NODE_PATH: path.join(__dirname, '..', 'node_modules') }, path.join(installed, 'dist', 'cli', 'main.js'));
  expect(await shown.exited).toEqual({ code: 0, signal: null });
  expect(shown.stdout).toBe('9.8.7\n');
});

describe('usage errors: one line naming the flag, then where to look, exit 2', () => {
  test.each<[string, string[], Record<string, string>, string]>([
    ['an unknown flag', ['--bogus'], {}, 'unknown flag --bogus'],
    ['a positional argument', ['4040'], {}, 'unexpected argument "4040": actor-kv takes only flags'],
    ['a bad value in the environment names the variable', [], { ACTOR_KV_PORT: 'http' }, 'ACTOR_KV_PORT: "http" is not a whole number from 0 to 65535'],
    ['a Redis URL that is not one, its password hidden', ['--redis-url', 'http://admin:hunter2@127.0.0.1:6379'], {}, '--redis-url: http://127.0.0.1:6379 is not a redis:// or rediss:// URL'],
    ['--fsync without --data-dir', ['--fsync', 'always'], {}, '--fsync does nothing without --data-dir'],
    ['--redis-prefix without --redis-url', ['--redis-prefix', 'kv:'], {}, '--redis-prefix does nothing without --redis-url or --redis-cluster'],
    ['--secret on a single node', ['--secret', 'a secret of 16 bytes or more'], {}, '--secret does nothing without --peer, --route or --cluster-port'],
    ['a node name the cluster would refuse', ['--node', 'foo bar'], {}, '--node: "foo bar" is not a node name: 1-64 letters, digits or _.@:-'],
    ['a short secret', ['--peer', 'bar', '--secret', 'short'], {}, '--secret must be at least 16 bytes, got 5'],
  ])('%s', async (_name, argv, env, message) => {
    const bad = cli(argv, env);
    expect(await bad.exited).toEqual({ code: 2, signal: null });
    expect(bad.stderr).toBe(`actor-kv: ${message}\ntry 'actor-kv --help'\n`);
    expect(bad.stdout).toBe('');
  });

  test('a secret left in the environment of a single node is no error', async () => {
    const node = cli(['--port', '0'], { ACTOR_KV_SECRET: 'short', ACTOR_KV_FSYNC: 'always' });
    expect(await node.port()).toBeGreaterThan(0);
  });
});

test('--port 0 prints the bound port and answers the seeds\' session over TCP', async () => {
  const node = cli(['--port', '0', '--node', 'foo']);
  const port = await node.port();
  expect(port).toBeGreaterThan(0);
  expect(node.stdout).toBe(`Accepting connections on port ${port}\n`);
  const telnet = await connect(port);
  telnet.write('CREATE shopping\r\nPUT shopping eggs 6\r\nPUT shopping milk 1\r\nGET shopping eggs\r\nDELETE shopping eggs\r\nGET shopping eggs\r\n');
  expect(await telnet.lines(8)).toEqual(['OK', 'OK', 'OK', '6', 'OK', 'OK', '', 'OK']);
  // Logs are pino JSON lines on stderr (not a terminal): first the storage, then the address.
  await node.logged('accepting connections');
  expect(node.logs.slice(0, 2)).toMatchObject([
    { level: 30, msg: 'storage: memory', node: 'foo' },
    { level: 30, msg: 'accepting connections', node: 'foo', port },
  ]);
});

test('flags reach the server: --max-line-bytes from the environment', async () => {
  const node = cli(['--port', '0'], { ACTOR_KV_MAX_LINE_BYTES: '10' });
  const client = await connect(await node.port());
  client.write('CREATE abcdefghij\r\n');
  expect(await client.rest()).toBe('ERROR line too long\r\n');
});

describe('the startup line says which storage is in use', () => {
  test('a data directory: where, the fsync policy, then the buckets and keys replayed and how long it took', async () => {
    const dir = tmpDir();
    const records = [logMagic, encodeRecord({ op: 'create', bucket: 'a' }), encodeRecord({ op: 'create', bucket: 'b' })];
    records.push(encodeRecord({ op: 'changes', bucket: 'a', changes: [{ key: 'x', value: '1' }, { key: 'y', value: '2' }] }));
    records.push(encodeRecord({ op: 'changes', bucket: 'b', changes: [{ key: 'z', value: '3' }] }));
    fs.writeFileSync(path.join(dir, logFileName), Buffer.concat(records));
    const node = cli(['--port', '0', '--data-dir', dir, '--fsync', 'always']);
    await node.port();
    const [storage, replayed] = node.logs;
    expect(storage).toMatchObject({ level: 30, msg: `storage: file at ${dir}, fsync always` });
    expect(replayed).toMatchObject({ level: 30, msg: 'storage log replayed', file: path.join(dir, logFileName), buckets: 2, keys: 3, ms: expect.any(Number) });
  });

  test('Redis, without the password', async () => {
    const port = await freePort(); // nothing listens there: the line comes before Redis is tried
    const node = cli(['--port', '0', '--redis-url', `redis://:hunter2@127.0.0.1:${port}`]);
    await node.logged(`storage: redis at redis://127.0.0.1:${port}`);
    expect(node.stderr).not.toContain('hunter2');
  });
});

describe('logs', () => {
  test('--log-format pretty: readable lines (time, level, message, fields), the last one before exit included', async () => {
    const node = cli(['--port', '0', '--log-format', 'pretty']);
    const port = await node.port();
    node.kill('SIGTERM');
    expect(await node.exited).toEqual({ code: 0, signal: null });
    const time = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}';
    const lines = node.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${time} INFO  storage: memory node=local$`));
    expect(lines[1]).toMatch(new RegExp(`^${time} INFO  accepting connections node=local host=127.0.0.1 port=${port}$`));
    expect(lines.at(-1)).toMatch(new RegExp(`^${time} INFO  stopped node=local$`));
  });

  // util-linux's `script` gives the command a terminal; where it is missing, this one test is skipped.
  const withTerminal = fs.existsSync('/usr/bin/script') ? test : test.skip;
  withTerminal('on a terminal, readable lines by default', async () => {
    const first = cli(['--port', '0']);
    const port = await first.port(); // taken: the command under test stops after its first lines
    const command = `'${process.execPath}' '${cliPath}' --port ${port}`;
    const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = execFile('/usr/bin/script', ['-qec', command, '/dev/null'], { timeout: 10_000 }, (_error, stdout) => resolve({ code: child.exitCode, text: stdout }));
    });
    expect(output.code).toBe(1);
    expect(output.text.replace(/\r/g, '')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO  storage: memory node=local\nactor-kv: the text server 127\.0\.0\.1:\d+ is already in use \(--host, --port\)\n$/);
  });

  test('ACTOR_KV_LOG_FORMAT=pretty, and --log-format json beats it', async () => {
    const pretty = cli(['--port', '0'], { ACTOR_KV_LOG_FORMAT: 'pretty' });
    const json = cli(['--port', '0', '--log-format', 'json'], { ACTOR_KV_LOG_FORMAT: 'pretty' });
    await Promise.all([pretty.port(), json.port()]);
    await pretty.printed('INFO  accepting connections');
    await json.logged('accepting connections');
  });

  test('--log-level debug logs each client that connects and closes, with its address', async () => {
    const node = cli(['--port', '0', '--log-level', 'debug']);
    const client = await connect(await node.port());
    const local = `127.0.0.1:${client.socket.localPort}`;
    await node.logged('client connected');
    client.destroy();
    await node.logged('client closed');
    expect(node.logs.filter(({ msg }) => String(msg).startsWith('client '))).toMatchObject([
      { level: 20, msg: 'client connected', remote: local },
      { level: 20, msg: 'client closed', remote: local },
    ]);
  });
});

describe('a failed start: one plain line whatever the log level, never twice, exit 1', () => {
  /** Runs the command, expects exit 1 with `message` on one plain line, once; returns its stderr. */
  async function refused(argv: string[], message: string | RegExp): Promise<string> {
    const node = cli(argv);
    expect(await node.exited).toEqual({ code: 1, signal: null });
    const plain = plainLines(node.stderr);
    expect(plain).toHaveLength(1);
    expect(plain[0]).toMatch(message instanceof RegExp ? message : new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expect(occurrences(node.stderr, plain[0]!.slice('actor-kv: '.length))).toBe(1);
    expect(node.stdout).not.toContain('Accepting connections');
    return node.stderr;
  }

  test('the text port in use, at the default level and silent', async () => {
    const first = cli(['--port', '0']);
    const port = await first.port();
    const message = `actor-kv: the text server 127.0.0.1:${port} is already in use (--host, --port)`;
    await refused(['--port', String(port)], message);
    expect(await refused(['--port', String(port), '--log-level', 'silent'], message)).toBe(`${message}\n`);
  });

  test('the cluster port in use, named as such', async () => {
    const secret = { ACTOR_KV_SECRET: 'a cluster secret for the test' };
    const first = cli(['--port', '0', '--cluster-port', '0', '--peer', 'bar'], secret);
    await first.port();
    const clusterPort = /accepting peers on port (\d+)/.exec(first.stdout)![1]!;
    const node = cli(['--port', '0', '--cluster-port', clusterPort, '--peer', 'bar', '--log-level', 'silent'], secret);
    expect(await node.exited).toEqual({ code: 1, signal: null });
    expect(node.stderr).toBe(`actor-kv: the cluster port 127.0.0.1:${clusterPort} is already in use (--cluster-port)\n`);
  });

  test('a data directory another process holds', async () => {
    const dir = tmpDir();
    const first = cli(['--port', '0', '--data-dir', dir]);
    await first.port();
    await refused(['--port', '0', '--data-dir', dir], `actor-kv: data directory ${fs.realpathSync(dir)} is in use by process ${first.child.pid}; stop it or choose another --data-dir`);
    expect(await refused(['--port', '0', '--data-dir', dir, '--log-level', 'silent'], /in use by process/)).toMatch(/^actor-kv: [^\n]*\n$/);
  });

  test('a data directory that cannot be made: one plain line, no stack', async () => {
    const file = path.join(tmpDir(), 'file');
    fs.writeFileSync(file, '');
    expect(await refused(['--port', '0', '--data-dir', path.join(file, 'data'), '--log-level', 'silent'], /ENOTDIR/)).toBe(
      `actor-kv: cannot use the data directory ${path.join(file, 'data')}: ENOTDIR: not a directory, mkdir '${path.join(file, 'data')}'\n`,
    );
  });

  test('a damaged log', async () => {
    const dir = tmpDir();
    const records = [logMagic, encodeRecord({ op: 'create', bucket: 'a' }), encodeRecord({ op: 'create', bucket: 'b' })];
    const log = Buffer.concat(records);
    log[logMagic.length + 14]! ^= 0xff; // inside the first record, with the second after it
    fs.writeFileSync(path.join(dir, logFileName), log);
    await refused(['--port', '0', '--data-dir', dir], /^actor-kv: refusing to start: .*actor-kv\.aof is damaged at byte offset 8 /);
  });

  test('Redis out of reach', async () => {
    const port = await freePort();
    await refused(['--port', '0', '--redis-url', `redis://127.0.0.1:${port}`], /^actor-kv: Redis \(redis:\/\/127\.0\.0\.1:\d+\) could not be reached: /);
  });

  test('at debug level, one more line with what the plain line leaves out: the code and the system error', async () => {
    const first = cli(['--port', '0']);
    const port = await first.port();
    const node = cli(['--port', String(port), '--log-level', 'debug']);
    expect(await node.exited).toEqual({ code: 1, signal: null });
    expect(node.logs.filter(({ msg }) => msg === 'startup failed')).toMatchObject([{ level: 20, code: 'ADDRESS_IN_USE', cause: expect.stringContaining('EADDRINUSE') }]);
  });
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
    await waitUntil(() => lockHolder(dir) === node.child.pid, undefined, 'the CLI to hold the data directory');
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
