// The RESP listener as users run it: the actor-kv command with --resp-port, a
// script piped into redis-cli, an ioredis client that reconnects after the
// node restarts, and the flags' usage errors.

import { execFile } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from './support/free-ports';
import { Spawned } from './support/server-process';

const spawned = new Spawned();
afterEach(() => spawned.cleanup());

/** Runs redis-cli with `args`, `script` on its stdin; resolves with its stdout. */
function redisCli(args: string[], script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('redis-cli', args, { timeout: 10_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message} ${stderr}`)) : resolve(stdout)));
    child.stdin!.end(script);
  });
}

test('redis-cli runs a script of commands against the listener', async () => {
  const node = spawned.cli(['--port', '0', '--resp-port', '0', '--log-level', 'warn']);
  const port = await node.respPort();
  const script = ['PING', 'SET greeting "hello world"', 'GET greeting', 'INCR visits', 'INCRBY visits 9', 'HSET cart milk 2 eggs 12', 'HGET cart eggs', 'HLEN cart', 'TYPE cart', 'EXISTS cart greeting nope', 'DEL cart', 'HGET cart eggs', 'NOSUCH thing', 'SELECT 1', ''].join('\n');
  expect(await redisCli(['-p', String(port)], script)).toBe(
    ['PONG', 'OK', 'hello world', '1', '10', '2', '12', '2', 'hash', '2', '1', '', "ERR unknown command 'NOSUCH', with args beginning with: 'thing' ", '', 'ERR DB index is out of range (actor-kv has only db 0)', '', ''].join('\n'),
  );
});

test('redis-cli with --resp-password: AUTH first, or NOAUTH', async () => {
  const node = spawned.cli(['--port', '0', '--resp-port', '0', '--log-level', 'warn'], { ACTOR_KV_RESP_PASSWORD: 'open sesame' });
  const port = await node.respPort();
  expect(await redisCli(['-p', String(port)], 'GET a\n')).toBe('NOAUTH Authentication required.\n\n');
  expect(await redisCli(['-p', String(port), '--no-auth-warning', '-a', 'open sesame'], 'SET a 1\nGET a\n')).toBe('OK\n1\n');
});

test('ioredis reconnects after the node restarts on the same port', async () => {
  const port = await freePort();
  const first = spawned.cli(['--port', '0', '--resp-port', String(port), '--log-level', 'warn']);
  await first.respPort();
  const redis = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50 });
  redis.on('error', () => {});
  try {
    expect(await redis.set('a', '1')).toBe('OK');
    first.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const second = spawned.cli(['--port', '0', '--resp-port', String(port), '--log-level', 'warn']);
    await second.respPort();
    // The node keeps its data in memory: it comes back empty, and answers.
    expect(await redis.get('a')).toBe(null);
    expect(await redis.set('a', '2')).toBe('OK');
    expect(await redis.get('a')).toBe('2');
  } finally {
    redis.disconnect();
  }
});

test.each<[string[], string]>([
  [['--resp-host', '127.0.0.1'], '--resp-host does nothing without --resp-port'],
  [['--resp-port', '70000'], '--resp-port'],
  [['--resp-port', '0', '--resp-max-bulk-bytes', '0'], '--resp-max-bulk-bytes'],
])('%j is a usage error naming the flag', async (args, named) => {
  const node = spawned.cli(args);
  expect(await node.exited).toEqual({ code: 2, signal: null });
  expect(node.stderr).toContain(named);
});
