// D1 at the library level: a child process writes with fsync 'always' and
// reports every acknowledged put; it is SIGKILLed mid-load; a store reopened
// on its data directory must serve every acknowledged value (lost = 0) and
// nothing that was never written (unexpected = 0). The same test through the
// command and the text protocol is in durability-cli.system.test.ts.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createStore } from '../lib';

jest.setTimeout(60_000);

const dist = path.join(__dirname, '..', 'dist', 'index.js');
const writers = 16;
const keysPerWriter = 20;
const buckets = ['alpha', 'beta', 'gamma', 'delta'];

// Each writer owns its keys and counts up: writer w puts i under key w-(i % keysPerWriter).
const childScript = `
const { createStore } = require(${JSON.stringify(dist)});
(async () => {
  const store = await createStore({ storage: { type: 'file', dir: process.argv[1], fsync: 'always' } });
  for (const bucket of ${JSON.stringify(buckets)}) await store.create(bucket);
  let acks = [];
  setInterval(() => { if (acks.length) { process.send(acks); acks = []; } }, 2);
  for (let w = 0; w < ${writers}; w++) (async () => {
    for (let i = 0; ; i++) {
      await store.put(${JSON.stringify(buckets)}[w % ${buckets.length}], 'w' + w + '-' + (i % ${keysPerWriter}), String(i));
      acks.push([w, i]);
    }
  })();
})();
`;

let dir: string;
let child: ChildProcess | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-d1-'));
});
afterEach(() => {
  child?.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('SIGKILL under load with fsync always loses no acknowledged put and invents none', async () => {
  const lastAcked = new Map<string, number>(); // "bucket/key" -> value
  let acknowledged = 0;
  child = spawn(process.execPath, ['-e', childScript, dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child!.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`only ${acknowledged} acknowledged puts within 20 s`)), 20_000);
    child!.on('message', (acks: Array<[number, number]>) => {
      for (const [w, i] of acks) lastAcked.set(`${buckets[w % buckets.length]}/w${w}-${i % keysPerWriter}`, i);
      acknowledged += acks.length;
      if (acknowledged >= 3000) {
        clearTimeout(deadline);
        resolve();
      }
    });
  });
  child.kill('SIGKILL');
  await exited;

  const store = await createStore({ storage: { type: 'file', dir } });
  const lost: string[] = [];
  const unexpected: string[] = [];
  for (let w = 0; w < writers; w++) {
    for (let k = 0; k < keysPerWriter; k++) {
      const bucket = buckets[w % buckets.length]!;
      const text = await store.get(bucket, `w${w}-${k}`);
      const acked = lastAcked.get(`${bucket}/w${w}-${k}`);
      const value = text === undefined ? undefined : Number(text);
      if (value !== undefined && !(Number.isInteger(value) && value % keysPerWriter === k)) unexpected.push(`${bucket}/w${w}-${k}=${text}`);
      else if (acked !== undefined && (value === undefined || value < acked)) lost.push(`${bucket}/w${w}-${k}: acked ${acked}, read ${text}`);
    }
  }
  await store.stop();
  expect({ acknowledged: acknowledged >= 3000, lost, unexpected }).toEqual({ acknowledged: true, lost: [], unexpected: [] });
});
