// Replaying the file log at startup reports what it replayed (buckets, keys,
// time) and, when it takes long, its progress: so the operator of a node that
// starts slowly sees why.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeFd } from '../lib/storage/fs-util';
import { encodeRecord, logMagic, type LogRecord } from '../lib/storage/log-format';
import { replayLog, replayProgressIntervalMs } from '../lib/storage/log-replay';
import { RecordingLogger } from './support/recording-logger';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-replay-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A log of two buckets: `puts` PUT records in `a` (one key each, every tenth key written twice), one key in `b`, one key deleted. */
function writeLog(puts: number): string {
  const records: LogRecord[] = [{ op: 'create', bucket: 'a' }, { op: 'create', bucket: 'b' }];
  for (let i = 0; i < puts; i++) records.push({ op: 'changes', bucket: 'a', changes: [{ key: `k${i % 10 === 0 ? 0 : i}`, value: `v${i}` }] });
  records.push({ op: 'changes', bucket: 'b', changes: [{ key: 'x', value: '1' }, { key: 'y', value: '2' }, { key: 'y', value: undefined }] });
  const file = path.join(dir, 'log');
  fs.writeFileSync(file, Buffer.concat([logMagic, ...records.map(encodeRecord)]));
  return file;
}

async function replay(file: string, logger: RecordingLogger, progressEveryMs?: number) {
  const replayed = await replayLog(file, logger, 'refuse', progressEveryMs);
  await closeFd(replayed.fd);
  return replayed;
}

test('logs the buckets, the live keys, the records and the time it took, once', async () => {
  const file = writeLog(100);
  const logger = new RecordingLogger();
  const { tables } = await replay(file, logger);
  expect(tables.get('a')!.size).toBe(91); // k0 and the 90 keys not divisible by 10
  const replayed = logger.events.filter(({ event }) => event === 'storage log replayed');
  expect(replayed).toEqual([{ level: 'info', event: 'storage log replayed', fields: { file, buckets: 2, keys: 92, records: 103, bytes: fs.statSync(file).size, ms: expect.any(Number) } }]);
  expect(replayed[0]!.fields.ms).toBeGreaterThanOrEqual(0);
});

test('a short replay shows no progress (the interval is a few seconds)', async () => {
  const logger = new RecordingLogger();
  await replay(writeLog(1000), logger);
  expect(replayProgressIntervalMs).toBeGreaterThanOrEqual(1000);
  expect(logger.events.map(({ event }) => event)).toEqual(['storage log replayed']);
});

test('a replay longer than the interval logs its progress on the way (here an interval of 0 on a small log)', async () => {
  const file = writeLog(1000);
  const logger = new RecordingLogger();
  await replay(file, logger, 0);
  const progress = logger.events.filter(({ event }) => event === 'storage log replaying');
  expect(progress.length).toBeGreaterThanOrEqual(3); // one look at the clock per 256 records
  const size = fs.statSync(file).size;
  for (const { level, fields } of progress) {
    expect(level).toBe('info');
    expect(fields).toEqual({ file, percent: expect.any(Number), bytes: expect.any(Number), of: size, buckets: expect.any(Number), keys: expect.any(Number) });
  }
  const percents = progress.map(({ fields }) => fields.percent as number);
  expect(percents).toEqual([...percents].sort((x, y) => x - y));
  expect(percents.every((percent) => percent >= 0 && percent <= 100)).toBe(true);
  expect(logger.events.at(-1)!.event).toBe('storage log replayed');
});

test('a new data directory: nothing replayed, said so', async () => {
  const logger = new RecordingLogger();
  await replay(path.join(dir, 'missing'), logger);
  expect(logger.events).toEqual([{ level: 'info', event: 'storage log replayed', fields: { file: path.join(dir, 'missing'), buckets: 0, keys: 0, records: 0, bytes: 0, ms: expect.any(Number) } }]);
});
