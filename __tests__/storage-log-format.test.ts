// The log's bytes: records round-trip, a damaged last record is a torn tail,
// damage before the end is corruption with its offset.

import { toBinary } from '../lib/core/bytes';
import { decodeLog, encodeRecord, LogCorruption, logMagic, recordHeaderBytes, type LogRecord } from '../lib/storage/log-format';

// Names, keys and values are bytes, held as binary strings (one character per byte).
const unicode = toBinary('ünï ✓');
const records: LogRecord[] = [
  { op: 'create', bucket: 'shopping' },
  { op: 'changes', bucket: 'shopping', changes: [{ key: 'milk', value: '1' }] },
  { op: 'create', bucket: unicode },
  {
    op: 'changes',
    bucket: 'shopping',
    changes: [
      { key: unicode, value: toBinary('a\r\nb 🚀') },
      { key: '', value: '' },
      { key: 'milk', value: undefined },
      { key: '\xff\x00\x80', value: '\xc0\xc1' },
      { key: 'soon', value: 'v', expiresAt: 1_796_000_000_000 },
      { clear: true },
    ],
  },
  { op: 'changes', bucket: unicode, changes: [{ key: 'k', value: 'x'.repeat(70_000) }] },
  { op: 'drop', bucket: unicode },
];
const encoded = records.map(encodeRecord);
const whole = Buffer.concat([logMagic, ...encoded]);
const lastStart = whole.length - encoded[encoded.length - 1]!.length;

test('records round-trip', () => {
  expect(decodeLog(whole)).toEqual({ records, validBytes: whole.length, tornBytes: 0 });
});

test.each([
  ['an empty file', Buffer.alloc(0), 0, 0],
  ['half of the magic bytes (a crash while creating the log)', logMagic.subarray(0, 3), 0, 3],
  ['only the magic bytes', logMagic, logMagic.length, 0],
  ['a record header cut short', whole.subarray(0, lastStart + recordHeaderBytes - 1), lastStart, recordHeaderBytes - 1],
  ['a payload cut short', whole.subarray(0, whole.length - 1), lastStart, whole.length - 1 - lastStart],
  ['zeroes after the last record (a file system extended the file)', Buffer.concat([whole, Buffer.alloc(40)]), whole.length, 40],
  ['a last record whose payload is damaged', Buffer.concat([whole.subarray(0, whole.length - 1), Buffer.from([0xff ^ whole[whole.length - 1]!])]), lastStart, whole.length - lastStart],
])('%s is read up to its last intact record', (_name, bytes, validBytes, tornBytes) => {
  const decoded = decodeLog(bytes);
  expect({ validBytes: decoded.validBytes, tornBytes: decoded.tornBytes }).toEqual({ validBytes, tornBytes });
  expect(decoded.records).toEqual(records.slice(0, decodeLog(bytes.subarray(0, validBytes)).records.length));
});

describe('a zeroed tail page (a power loss): the zeros start inside a record, not at its boundary', () => {
  // 400 records of about 60 bytes, none of whose payloads end in a zero byte.
  const many: LogRecord[] = Array.from({ length: 400 }, (_, i) => ({ op: 'changes', bucket: 'b', changes: [{ key: `key-${i}`, value: `value-${i}-${'x'.repeat(i % 17)}` }] }));
  const chunks = many.map(encodeRecord);
  const log = Buffer.concat([logMagic, ...chunks]);
  const ends: number[] = [];
  chunks.reduce((at, chunk) => (ends.push(at + chunk.length), at + chunk.length), logMagic.length);

  test.each([512, 4096, 8192, 512 + 7, 4096 - 13, 8192 + 29])('the last %i bytes zeroed: read up to the last record before the zeros, the rest torn', (zeroed) => {
    const damaged = Buffer.from(log);
    const zerosAt = log.length - zeroed;
    damaged.fill(0, zerosAt);
    const decoded = decodeLog(damaged);
    const intact = ends.filter((end) => end <= zerosAt).length;
    expect(decoded.records).toEqual(many.slice(0, intact));
    expect(decoded.validBytes).toBe(intact === 0 ? logMagic.length : ends[intact - 1]);
    expect(decoded.validBytes + decoded.tornBytes).toBe(log.length);
  });

  test('damage followed by an intact record is still corruption, zeros or not', () => {
    const damaged = Buffer.from(log);
    damaged.fill(0, ends[100]! + 20, ends[100]! + 40); // inside record 101, with records after it
    expect(() => decodeLog(damaged)).toThrow(LogCorruption);
  });
});

function flipped(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at]! ^= 0x01;
  return copy;
}

test('every flipped byte before the last record is corruption at that record', () => {
  let start = logMagic.length;
  for (const record of encoded.slice(0, -1)) {
    const end = start + record.length;
    for (let at = start; at < end; at++) {
      let caught: unknown;
      try {
        decodeLog(flipped(whole, at));
      } catch (thrown) {
        caught = thrown;
      }
      expect(caught).toBeInstanceOf(LogCorruption);
      expect((caught as LogCorruption).offset).toBe(start);
    }
    start = end;
  }
});

test.each([
  ['bad magic bytes', Buffer.from('HELLO WORLD'), 0],
  ['a damaged header with records after it', Buffer.concat([flipped(whole, logMagic.length + 1)]), logMagic.length],
])('%s is refused', (_name, bytes, offset) => {
  expect(() => decodeLog(bytes)).toThrow(LogCorruption);
  try {
    decodeLog(bytes);
  } catch (thrown) {
    expect((thrown as LogCorruption).offset).toBe(offset);
    expect((thrown as Error).message).toContain(`byte offset ${offset}`);
  }
});
