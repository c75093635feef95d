// The log's bytes: records round-trip, a damaged last record is a torn tail,
// damage before the end is corruption with its offset.

import { decodeLog, encodeRecords, LogCorruption, logMagic, recordBytes, recordHeaderBytes, type LogRecord } from '../lib/storage/log-format';

const records: LogRecord[] = [
  { op: 'create', bucket: 'shopping' },
  { op: 'put', bucket: 'shopping', key: 'milk', value: '1' },
  { op: 'put', bucket: 'shopping', key: 'ünï ✓', value: 'a\r\nb 🚀' },
  { op: 'put', bucket: 'shopping', key: '', value: '' },
  { op: 'delete', bucket: 'shopping', key: 'milk' },
];
const log = (...parts: Buffer[]): Buffer => Buffer.concat([logMagic, ...parts]);
const whole = log(encodeRecords(records));
const lastStart = whole.length - recordBytes(records[records.length - 1]!);

test('records round-trip, each the size recordBytes says', () => {
  expect(decodeLog(whole)).toEqual({ records, validBytes: whole.length, tornBytes: 0 });
  for (const record of records) expect(encodeRecords([record]).length).toBe(recordBytes(record));
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

function flipped(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at]! ^= 0x01;
  return copy;
}

test('every flipped byte before the last record is corruption at that record', () => {
  let start = logMagic.length;
  for (const record of records.slice(0, -1)) {
    const end = start + recordBytes(record);
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
