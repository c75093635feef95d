// The append-only log's bytes (Redis's AOF is the model): pure encode and
// decode, no I/O. A record is
//   length:u32 | length ^ lengthMask:u32 | crc32(payload):u32 | payload
// and its payload is an op byte, the bucket name, and for a `changes` record
// the batch of puts, deletes and clears one flush stored: replayed all or
// nothing, as it was acknowledged. Strings (bucket names, keys, values: bytes, held as binary strings) are u32 length + the bytes; version 2 wrote text as UTF-8, which reads back as those same bytes. The
// length has its own check so a damaged length mid-file is reported as
// corruption, never mistaken for a torn tail. Version 3 adds the clear
// change, puts with an expiry deadline (f64 epoch ms) and the drop record; a
// version 2 log reads the same and is marked version 3 when it is opened for
// appending (log-replay.ts).

import { checksum } from './checksum';

/** The first bytes of every log file this version writes. */
export const logMagic = Buffer.from('AKVLOG3\n', 'latin1');

/** The first bytes of a log of the previous version, which this one reads. */
export const previousLogMagic = Buffer.from('AKVLOG2\n', 'latin1');

/** Bytes before a record's payload. */
export const recordHeaderBytes = 12;

const lengthMask = 0xa5a5a5a5;
const ops = { create: 1, changes: 2, drop: 3 } as const;
const changeTags = { put: 1, delete: 2, clear: 3, putExpiring: 4 } as const;

/** One key's new value (undefined means deleted) with its expiry deadline (epoch ms; 0 or none: never), or every key removed. */
export type KeyChange = { key: string; value: string | undefined; expiresAt?: number } | { clear: true };

/** One stored step. */
export type LogRecord =
  | { op: 'create'; bucket: string }
  | { op: 'changes'; bucket: string; changes: readonly KeyChange[] }
  | { op: 'drop'; bucket: string };

/** Encodes one record, ready to append. */
export function encodeRecord(record: LogRecord): Buffer {
  const buffer = Buffer.allocUnsafe(encodedBound(record));
  return buffer.subarray(0, encodeAt(buffer, 0, record));
}

/**
 * Records encoded back to back into one slab: a group of appends costs one
 * buffer and one write(2), not one of each per record. `take` hands out the
 * bytes added since the last take, as one contiguous buffer.
 */
export class RecordBuffer {
  private slab = Buffer.allocUnsafe(slabBytes);
  private start = 0;
  private end = 0;

  /** Bytes added and not yet taken. */
  get length(): number {
    return this.end - this.start;
  }

  add(record: LogRecord): void {
    const bound = encodedBound(record);
    if (this.end + bound > this.slab.length) this.moveToNewSlab(bound);
    this.end = encodeAt(this.slab, this.end, record);
  }

  take(): Buffer {
    const bytes = this.slab.subarray(this.start, this.end);
    this.start = this.end;
    return bytes;
  }

  /** Taken bytes stay where they are (a writer may still hold them); the untaken ones move. */
  private moveToNewSlab(bound: number): void {
    const slab = Buffer.allocUnsafe(Math.max(slabBytes, 2 * (this.length + bound)));
    this.slab.copy(slab, 0, this.start, this.end);
    this.end = this.length;
    this.start = 0;
    this.slab = slab;
  }
}

const slabBytes = 64 * 1024;

/** At least the bytes a record encodes to. */
function encodedBound(record: LogRecord): number {
  let bound = recordHeaderBytes + 1 + 4 + record.bucket.length;
  if (record.op !== 'changes') return bound;
  for (const change of record.changes) bound += 'clear' in change ? 1 : 17 + change.key.length + (change.value?.length ?? 0);
  return bound;
}

/** Encodes `record` into `buffer` at `start` (room for encodedBound bytes); returns where it ends. */
function encodeAt(buffer: Buffer, start: number, record: LogRecord): number {
  const payload = start + recordHeaderBytes;
  let offset = payload;
  buffer[offset++] = ops[record.op];
  offset = writeString(buffer, offset, record.bucket);
  for (const change of record.op === 'changes' ? record.changes : []) {
    if ('clear' in change) {
      buffer[offset++] = changeTags.clear;
      continue;
    }
    const { key, value, expiresAt = 0 } = change;
    buffer[offset++] = value === undefined ? changeTags.delete : expiresAt === 0 ? changeTags.put : changeTags.putExpiring;
    offset = writeString(buffer, offset, key);
    if (value !== undefined) offset = writeString(buffer, offset, value);
    if (value !== undefined && expiresAt !== 0) offset = buffer.writeDoubleLE(expiresAt, offset);
  }
  const length = offset - payload;
  buffer.writeUInt32LE(length, start);
  buffer.writeUInt32LE((length ^ lengthMask) >>> 0, start + 4);
  buffer.writeUInt32LE(checksum(buffer, payload, offset), start + 8);
  return offset;
}

function writeString(buffer: Buffer, offset: number, text: string): number {
  const length = text.length;
  buffer.writeUInt32LE(length, offset);
  offset += 4;
  // Binary strings hold one byte per character. Short ones are copied here:
  // cheaper than the native call (keys and small values are the usual case).
  if (length > shortString) return offset + buffer.write(text, offset, 'latin1');
  for (let i = 0; i < length; i++) buffer[offset + i] = text.charCodeAt(i);
  return offset + length;
}

const shortString = 64;

/** What a key costs in a compacted log, roughly (for the compaction threshold). */
export function entryBytes(key: string, value: string): number {
  return 17 + key.length + value.length;
}

/** What a bucket costs in a compacted log besides its keys, roughly. */
export function bucketBytes(bucket: string): number {
  return 2 * (recordHeaderBytes + 5) + bucket.length;
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
  const records: LogRecord[] = [];
  return { records, ...readLog(bytes, (record) => records.push(record)) };
}

/**
 * decodeLog without keeping the records: hands each intact record to `visit`,
 * with the offset where it ends, as soon as it is decoded (a replay applies
 * them as it goes and reports its progress).
 */
export function readLog(bytes: Buffer, visit: (record: LogRecord, end: number) => void): Omit<DecodedLog, 'records'> {
  if (bytes.length === 0 || isPrefixOf(bytes, logMagic) || isPrefixOf(bytes, previousLogMagic)) return { validBytes: 0, tornBytes: bytes.length };
  if (!isLogMagic(bytes)) throw new LogCorruption(0, 'not an actor-kv log (bad magic bytes)');
  let offset = logMagic.length;
  while (offset < bytes.length) {
    const end = recordEnd(bytes, offset);
    if (end === 'torn') return { validBytes: offset, tornBytes: bytes.length - offset };
    visit(decodePayload(bytes, offset, end), end);
    offset = end;
  }
  return { validBytes: offset, tornBytes: 0 };
}

/** Where the record at `offset` ends, 'torn' for a damaged last record; throws for damage mid-file. */
function recordEnd(bytes: Buffer, offset: number): number | 'torn' {
  if (bytes.length - offset < recordHeaderBytes) return 'torn';
  const length = bytes.readUInt32LE(offset);
  if (((length ^ lengthMask) >>> 0) !== bytes.readUInt32LE(offset + 4)) {
    // Zeros from inside the header to the end: nothing intact follows (a power loss, or a file system that extended the file).
    if (zerosFrom(bytes) < offset + recordHeaderBytes) return 'torn';
    throw new LogCorruption(offset, 'damaged record header');
  }
  const end = offset + recordHeaderBytes + length;
  if (end > bytes.length) return 'torn';
  if (checksum(bytes, offset + recordHeaderBytes, end) !== bytes.readUInt32LE(offset + 8)) {
    // The last record, or one whose bytes turn to zeros up to the end of the
    // file (a zeroed tail page: the zeros start inside a record, not at its
    // boundary): either way no intact record follows.
    if (end === bytes.length || zerosFrom(bytes) < end) return 'torn';
    throw new LogCorruption(offset, 'record checksum mismatch');
  }
  return end;
}

/** Where the run of zero bytes that ends the file begins (the file's length when it ends in a non-zero byte). */
function zerosFrom(bytes: Buffer): number {
  let at = bytes.length;
  while (at > 0 && bytes[at - 1] === 0) at--;
  return at;
}

function decodePayload(bytes: Buffer, start: number, end: number): LogRecord {
  const reader = new Reader(bytes, start + recordHeaderBytes, end, start);
  const op = reader.byte();
  const bucket = reader.string();
  if (op === ops.create && reader.done()) return { op: 'create', bucket };
  if (op === ops.drop && reader.done()) return { op: 'drop', bucket };
  if (op !== ops.changes) throw new LogCorruption(start, `unknown record (op ${op})`);
  const changes: KeyChange[] = [];
  while (!reader.done()) {
    const tag = reader.byte();
    if (tag === changeTags.clear) {
      changes.push({ clear: true });
      continue;
    }
    if (tag === changeTags.delete) {
      changes.push({ key: reader.string(), value: undefined });
      continue;
    }
    if (tag !== changeTags.put && tag !== changeTags.putExpiring) throw new LogCorruption(start, 'malformed record');
    const key = reader.string();
    const value = reader.string();
    changes.push(tag === changeTags.put ? { key, value } : { key, value, expiresAt: reader.double() });
  }
  return { op: 'changes', bucket, changes };
}

/** Reads a payload's fields; a field that overruns it is corruption at `recordStart`. */
class Reader {
  constructor(
    private readonly bytes: Buffer,
    private offset: number,
    private readonly end: number,
    private readonly recordStart: number,
  ) {}

  done(): boolean {
    return this.offset >= this.end;
  }

  byte(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  string(): string {
    this.need(4);
    const length = this.bytes.readUInt32LE(this.offset);
    this.need(4 + length);
    const text = this.bytes.toString('latin1', this.offset + 4, this.offset + 4 + length);
    this.offset += 4 + length;
    return text;
  }

  double(): number {
    this.need(8);
    const value = this.bytes.readDoubleLE(this.offset);
    this.offset += 8;
    return value;
  }

  private need(count: number): void {
    if (this.offset + count > this.end) throw new LogCorruption(this.recordStart, 'malformed record');
  }
}

/** Whether the log starts with this version's magic bytes or the previous version's. */
export function isLogMagic(bytes: Buffer): boolean {
  const magic = bytes.subarray(0, logMagic.length);
  return magic.equals(logMagic) || magic.equals(previousLogMagic);
}

function isPrefixOf(bytes: Buffer, whole: Buffer): boolean {
  return bytes.length < whole.length && whole.subarray(0, bytes.length).equals(bytes);
}

