// The append-only log's bytes (Redis's AOF is the model): pure encode and
// decode, no I/O. A record is
//   length:u32 | crc32(length):u32 | crc32(payload):u32 | payload
// and its payload is an op byte followed by length-prefixed UTF-8 strings.
// The length has its own checksum so a damaged length in the middle of the
// file is reported as corruption, never mistaken for a torn tail.

import { crc32 } from 'node:zlib';

/** The first bytes of every log file. */
export const logMagic = Buffer.from('AKVLOG1\n', 'latin1');

/** Bytes before a record's payload. */
export const recordHeaderBytes = 12;

/** One change, as stored. */
export type LogRecord =
  | { op: 'create'; bucket: string }
  | { op: 'put'; bucket: string; key: string; value: string }
  | { op: 'delete'; bucket: string; key: string };

const opCodes = { create: 1, put: 2, delete: 3 } as const;

/** The encoded size of a record: what a live entry costs in a compacted log. */
export function recordBytes(record: LogRecord): number {
  return recordHeaderBytes + 1 + fields(record).reduce((sum, field) => sum + 4 + Buffer.byteLength(field), 0);
}

/** Encodes records into one buffer, ready to append. */
export function encodeRecords(records: readonly LogRecord[]): Buffer {
  const sizes = records.map(recordBytes);
  const buffer = Buffer.allocUnsafe(sizes.reduce((a, b) => a + b, 0));
  let offset = 0;
  records.forEach((record, index) => {
    encodeInto(buffer, offset, record, sizes[index]! - recordHeaderBytes);
    offset += sizes[index]!;
  });
  return buffer;
}

function encodeInto(buffer: Buffer, start: number, record: LogRecord, payloadBytes: number): void {
  let offset = start + recordHeaderBytes;
  buffer[offset++] = opCodes[record.op];
  for (const field of fields(record)) {
    const written = buffer.write(field, offset + 4, 'utf8');
    buffer.writeUInt32LE(written, offset);
    offset += 4 + written;
  }
  buffer.writeUInt32LE(payloadBytes, start);
  buffer.writeUInt32LE(crc32(buffer.subarray(start, start + 4)), start + 4);
  buffer.writeUInt32LE(crc32(buffer.subarray(start + recordHeaderBytes, offset)), start + 8);
}

function fields(record: LogRecord): string[] {
  switch (record.op) {
    case 'create':
      return [record.bucket];
    case 'put':
      return [record.bucket, record.key, record.value];
    case 'delete':
      return [record.bucket, record.key];
  }
}

/** What reading a log found. */
export interface DecodedLog {
  /** Every intact record, in order. */
  records: LogRecord[];
  /** Bytes up to the end of the last intact record: where appending resumes. */
  validBytes: number;
  /** Bytes after `validBytes` that a crash left half-written (0 when none). */
  tornBytes: number;
}

/** A damaged record before the end of the log: the offset is in the file. */
export class LogCorruption extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${reason} at byte offset ${offset}`);
  }
}

/**
 * Decodes a whole log file. A damaged last record (a write cut short by a
 * crash, or the zeroes a file system can leave past it) is reported as torn;
 * damage with intact data after it throws LogCorruption.
 */
export function decodeLog(bytes: Buffer): DecodedLog {
  if (bytes.length === 0 || isPrefixOf(bytes, logMagic)) return { records: [], validBytes: 0, tornBytes: bytes.length };
  if (!bytes.subarray(0, logMagic.length).equals(logMagic)) throw new LogCorruption(0, 'not an actor-kv log (bad magic bytes)');
  const records: LogRecord[] = [];
  let offset = logMagic.length;
  while (offset < bytes.length) {
    const end = recordEnd(bytes, offset);
    if (end === 'torn') return { records, validBytes: offset, tornBytes: bytes.length - offset };
    records.push(decodePayload(bytes, offset + recordHeaderBytes, end));
    offset = end;
  }
  return { records, validBytes: offset, tornBytes: 0 };
}

/** Where the record at `offset` ends, 'torn' for a damaged last record; throws for damage mid-file. */
function recordEnd(bytes: Buffer, offset: number): number | 'torn' {
  if (bytes.length - offset < recordHeaderBytes) return 'torn';
  const length = bytes.readUInt32LE(offset);
  if (crc32(bytes.subarray(offset, offset + 4)) !== bytes.readUInt32LE(offset + 4)) {
    if (isAllZero(bytes, offset)) return 'torn';
    throw new LogCorruption(offset, 'damaged record header');
  }
  const end = offset + recordHeaderBytes + length;
  if (end > bytes.length) return 'torn';
  if (crc32(bytes.subarray(offset + recordHeaderBytes, end)) !== bytes.readUInt32LE(offset + 8)) {
    if (end === bytes.length) return 'torn';
    throw new LogCorruption(offset, 'record checksum mismatch');
  }
  return end;
}

function decodePayload(bytes: Buffer, start: number, end: number): LogRecord {
  const op = bytes[start];
  const strings: string[] = [];
  let offset = start + 1;
  while (offset < end) {
    if (end - offset < 4) throw new LogCorruption(start, 'malformed record');
    const length = bytes.readUInt32LE(offset);
    if (offset + 4 + length > end) throw new LogCorruption(start, 'malformed record');
    strings.push(bytes.toString('utf8', offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  const [bucket, key, value] = strings;
  if (op === opCodes.create && strings.length === 1) return { op: 'create', bucket: bucket! };
  if (op === opCodes.put && strings.length === 3) return { op: 'put', bucket: bucket!, key: key!, value: value! };
  if (op === opCodes.delete && strings.length === 2) return { op: 'delete', bucket: bucket!, key: key! };
  throw new LogCorruption(start - recordHeaderBytes, `unknown record (op ${String(op)})`);
}

function isPrefixOf(bytes: Buffer, whole: Buffer): boolean {
  return bytes.length < whole.length && whole.subarray(0, bytes.length).equals(bytes);
}

function isAllZero(bytes: Buffer, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
