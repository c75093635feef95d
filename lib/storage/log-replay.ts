// Opening the log on start: read it, rebuild every bucket's table from its
// records, cut a torn tail (with a warning), refuse a damaged middle, and leave
// the file ready for appending where the last intact record ends. Reports how
// much it replayed and how long it took, and its progress while it takes long.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { wallNow } from '../core/clock';
import type { Logger } from '../core/logger';
import { KvError } from '../errors';
import { closeFd, openFd, syncData, syncDirectory, truncateFd, writeAll } from './fs-util';
import type { StoredEntry } from './key-table';
import { LogCorruption, logMagic, readLog, type DecodedLog, type LogRecord } from './log-format';

/** How often a replay that takes long logs its progress (none for a replay shorter than this). */
export const replayProgressIntervalMs = 2000;

/** Records decoded between two looks at the clock: reading it for every small record would cost more than the record. */
const recordsPerClockCheck = 256;

/** A replayed log, open for appending. */
export interface ReplayedLog {
  /** Every bucket's contents. */
  tables: Map<string, Map<string, StoredEntry>>;
  /** The file, positioned nowhere (writes give their offset). */
  fd: number;
  /** Its size: where the next record goes. */
  bytes: number;
}

/** What to do with a log cut inside its header: it lost everything it held. */
export const truncatedLogPolicies = ['refuse', 'start-empty'] as const;
export type TruncatedLogPolicy = (typeof truncatedLogPolicies)[number];

/**
 * Replays `file` (a missing file is an empty log); throws STORAGE_CORRUPT for
 * damage before its end, and for a log cut inside its header unless told to start empty.
 */
export async function replayLog(file: string, logger: Logger, onTruncated: TruncatedLogPolicy = 'refuse', progressEveryMs = replayProgressIntervalMs): Promise<ReplayedLog> {
  const started = performance.now();
  const bytes = await fs.readFile(file).catch(emptyIfMissing);
  if (bytes.length > 0 && bytes.length < logMagic.length) refuseTruncated(file, bytes.length, onTruncated, logger);
  const tables = new Map<string, Map<string, StoredEntry>>();
  const progress = new ReplayProgress(file, bytes.length, tables, logger, started + progressEveryMs, progressEveryMs);
  const now = wallNow();
  const decoded = decode(file, bytes, (record, end) => {
    apply(tables, record, now);
    progress.record(end);
  });
  if (decoded.tornBytes > 0 && decoded.validBytes > 0) {
    logger.warn({ file, offset: decoded.validBytes, bytes: decoded.tornBytes }, 'storage log torn tail cut');
  }
  const fd = await openForAppending(file, decoded.validBytes);
  const ms = Math.round(performance.now() - started);
  logger.info({ file, buckets: tables.size, keys: keyCount(tables), records: progress.records, bytes: decoded.validBytes, ms }, 'storage log replayed');
  return { tables, fd, bytes: Math.max(decoded.validBytes, logMagic.length) };
}

/** Applies one record; a put whose deadline has passed is a delete, so a restart never brings back an expired key. */
function apply(tables: Map<string, Map<string, StoredEntry>>, record: LogRecord, now: number): void {
  if (record.op === 'drop') return void tables.delete(record.bucket);
  let table = tables.get(record.bucket);
  if (!table) tables.set(record.bucket, (table = new Map()));
  if (record.op !== 'changes') return;
  for (const change of record.changes) {
    if ('clear' in change) table.clear();
    else if (change.value === undefined || (change.expiresAt !== undefined && change.expiresAt <= now)) table.delete(change.key);
    else table.set(change.key, { value: change.value, expiresAt: change.expiresAt ?? 0 });
  }
}

function keyCount(tables: Map<string, Map<string, StoredEntry>>): number {
  let keys = 0;
  for (const table of tables.values()) keys += table.size;
  return keys;
}

/** Counts the records replayed and, every `everyMs` past the first interval, logs how far it got. */
class ReplayProgress {
  records = 0;

  constructor(
    private readonly file: string,
    private readonly totalBytes: number,
    private readonly tables: Map<string, Map<string, StoredEntry>>,
    private readonly logger: Logger,
    private nextAt: number,
    private readonly everyMs: number,
  ) {}

  record(end: number): void {
    if (++this.records % recordsPerClockCheck !== 0) return;
    const now = performance.now();
    if (now < this.nextAt) return;
    this.nextAt = now + this.everyMs;
    const percent = Math.floor((100 * end) / this.totalBytes);
    this.logger.info({ file: this.file, percent, bytes: end, of: this.totalBytes, buckets: this.tables.size, keys: keyCount(this.tables) }, 'storage log replaying');
  }
}

function decode(file: string, bytes: Buffer, visit: (record: LogRecord, end: number) => void): Omit<DecodedLog, 'records'> {
  try {
    return readLog(bytes, visit);
  } catch (thrown) {
    if (!(thrown instanceof LogCorruption)) throw thrown;
    throw new KvError(
      'STORAGE_CORRUPT',
      `refusing to start: ${file} is damaged at byte offset ${thrown.offset} (${thrown.reason}); ` +
        `the records after it cannot be trusted. Keep a copy, then truncate the file to ${thrown.offset} bytes to start with the records before it`,
    );
  }
}

/**
 * A log shorter than its header: since a new log is created whole (below), only
 * damage makes one, and it held who knows what. Refuses, naming the file, unless
 * the operator chose to start empty.
 */
function refuseTruncated(file: string, bytes: number, onTruncated: TruncatedLogPolicy, logger: Logger): void {
  if (onTruncated === 'start-empty') {
    logger.warn({ file, bytes }, 'storage log cut inside its header; starting empty as told');
    return;
  }
  throw new KvError(
    'STORAGE_CORRUPT',
    `refusing to start: ${file} is ${bytes} bytes, cut inside its ${logMagic.length}-byte header, so whatever it held is lost; ` +
      `keep a copy, then start empty with the storage option onTruncatedLog: 'start-empty' (--on-truncated-log start-empty)`,
  );
}

/** Cuts a torn tail (or creates a new log), durably. */
async function openForAppending(file: string, validBytes: number): Promise<number> {
  if (validBytes === 0) await createLog(file);
  const fd = await openFd(file, 'r+');
  try {
    if (validBytes > 0) {
      await truncateFd(fd, validBytes);
      // A previous version's log gets this version's magic: it may now receive
      // records an older actor-kv cannot read, which then refuses it plainly.
      await writeAll(fd, logMagic, 0);
      await syncData(fd);
    }
  } catch (thrown) {
    await closeFd(fd);
    throw thrown;
  }
  return fd;
}

/** A new log, its header written in a file of its own first and renamed into place: a crash never leaves half a header. */
async function createLog(file: string): Promise<void> {
  const temporary = `${file}.new`;
  const fd = await openFd(temporary, 'w');
  try {
    await writeAll(fd, logMagic, 0);
    await syncData(fd);
  } finally {
    await closeFd(fd);
  }
  await fs.rename(temporary, file);
  await syncDirectory(path.dirname(file));
}

function emptyIfMissing(thrown: NodeJS.ErrnoException): Buffer {
  if (thrown.code === 'ENOENT') return Buffer.alloc(0);
  throw thrown;
}
