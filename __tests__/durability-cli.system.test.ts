// Durability of the command: a node started with
// --data-dir and --fsync always takes a pipelined PUT load over the text
// protocol and is SIGKILLed mid-load; restarted, it serves every acknowledged
// value (lost = 0) and nothing never written (unexpected = 0). Also: a second
// process is refused the directory; a torn tail starts; a flipped byte refuses.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { logFileName } from '../lib/storage/file-storage';
import { PutLoad } from './support/durability-load';
import { waitUntil } from './support/deadlines';
import { LineClient, seededRandom } from './support/server-helpers';
import { Spawned } from './support/server-process';

jest.setTimeout(60_000);

const buckets = ['alpha', 'beta', 'gamma', 'delta'];
const spawned = new Spawned();
let dir: string;

const node = (...extra: string[]) => spawned.cli(['--port', '0', '--data-dir', dir, '--log-level', 'warn', ...extra]);
const connect = (port: number) => spawned.connect(port);

async function request(client: LineClient, line: string, replies = 1): Promise<string[]> {
  client.write(`${line}\r\n`);
  return client.lines(replies);
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-durability-'));
});
afterEach(async () => {
  await spawned.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('SIGKILL under a PUT load with --fsync always: lost = 0, unexpected = 0', async () => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  const killAfter = 2000 + Math.floor(seededRandom(seed)() * 4000);
  const first = node('--fsync', 'always');
  const port = await first.port();
  const setup = await connect(port);
  for (const bucket of buckets) expect(await request(setup, `CREATE ${bucket}`)).toEqual(['OK']);
  const load = new PutLoad(port, buckets);
  load.start();
  await waitUntil(() => load.acknowledged >= killAfter, undefined, `${killAfter} acknowledged PUTs (seed ${seed})`);
  first.kill('SIGKILL');
  const unansweredAtKill = load.sent - load.acknowledged;
  await first.exited;
  await load.finished();
  expect(unansweredAtKill).toBeGreaterThan(0); // killed mid-load, with PUTs in flight

  const second = node();
  const reader = await connect(await second.port());
  const verdict = await load.verify(async (bucket, key) => {
    const [value, ok] = await request(reader, `GET ${bucket} ${key}`, 2);
    expect(ok).toBe('OK');
    return value === '' ? undefined : value;
  });
  expect({ seed, lost: verdict.lost, unexpected: verdict.unexpected }).toEqual({ seed, lost: [], unexpected: [] });
  expect(verdict.acknowledged).toBeGreaterThanOrEqual(killAfter);
});

test('a second process is refused the data directory while the first runs', async () => {
  const first = node();
  await first.port();
  const second = node();
  expect(await second.exited).toEqual({ code: 1, signal: null });
  expect(second.stderr).toContain(`in use by process ${first.child.pid}`);
});

test('a torn last record is cut with a warning; a flipped byte mid-file refuses to start, naming file and offset', async () => {
  const first = node('--fsync', 'always');
  const client = await connect(await first.port());
  expect(await request(client, 'CREATE shopping')).toEqual(['OK']);
  expect(await request(client, 'PUT shopping milk 1')).toEqual(['OK']);
  const intact = fs.statSync(path.join(dir, logFileName)).size;
  expect(await request(client, 'PUT shopping eggs 6')).toEqual(['OK']);
  first.kill('SIGKILL');
  await first.exited;
  const log = path.join(dir, logFileName);
  const whole = fs.readFileSync(log);

  fs.truncateSync(log, whole.length - 3); // the last PUT, torn
  const torn = node();
  const reader = await connect(await torn.port());
  expect(await request(reader, 'GET shopping milk', 2)).toEqual(['1', 'OK']);
  expect(await request(reader, 'GET shopping eggs', 2)).toEqual(['', 'OK']);
  expect(torn.stderr).toContain('storage log torn tail cut');
  torn.kill('SIGTERM');
  await torn.exited;

  const damaged = Buffer.from(whole);
  damaged[intact - 5]! ^= 0x10; // inside the first PUT, with the second after it
  fs.writeFileSync(log, damaged);
  const refused = node();
  expect(await refused.exited).toEqual({ code: 1, signal: null });
  expect(refused.stderr).toContain(log);
  expect(refused.stderr).toMatch(/damaged at byte offset \d+/);
});
