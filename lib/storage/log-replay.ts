// Opening the log on start: read it, rebuild every bucket's table from its
// records, cut a torn tail (with a warning), refuse a damaged middle, and leave
// the file ready for appending where the last intact record ends.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { KvError } from '../errors';
import type { Logger } from '../options';
import { closeFd, openFd, syncData, syncDirectory, truncateFd, writeAll } from './fs-util';
import { decodeLog, LogCorruption, logMagic, type DecodedLog } from './log-format';

/** A replayed log, open for appending. */
export interface ReplayedLog {
  /** Every bucket's contents. */
  tables: Map<string, Map<string, string>>;
  /** The file, positioned nowhere (writes give their offset). */
  fd: number;
  /** Its size: where the next record goes. */
  bytes: number;
}

/** Replays `file` (a missing file is an empty log); throws STORAGE_CORRUPT for damage before its end. */
export async function replayLog(file: string, logger: Logger): Promise<ReplayedLog> {
  const decoded = decode(file, await fs.readFile(file).catch(emptyIfMissing));
  if (decoded.tornBytes > 0 && decoded.validBytes > 0) {
    logger.warn({ file, offset: decoded.validBytes, bytes: decoded.tornBytes }, 'storage log torn tail cut');
  }
  const tables = new Map<string, Map<string, string>>();
  for (const record of decoded.records) {
    let table = tables.get(record.bucket);
    if (!table) tables.set(record.bucket, (table = new Map()));
    if (record.op !== 'changes') continue;
    for (const { key, value } of record.changes) {
      if (value === undefined) table.delete(key);
      else table.set(key, value);
    }
  }
  const fd = await openForAppending(file, decoded.validBytes);
  return { tables, fd, bytes: Math.max(decoded.validBytes, logMagic.length) };
}

function decode(file: string, bytes: Buffer): DecodedLog {
  try {
    return decodeLog(bytes);
  } catch (thrown) {
    if (!(thrown instanceof LogCorruption)) throw thrown;
    throw new KvError(
      'STORAGE_CORRUPT',
      `refusing to start: ${file} is damaged at byte offset ${thrown.offset} (${thrown.reason}); ` +
        `the records after it cannot be trusted. Keep a copy, then truncate the file to ${thrown.offset} bytes to start with the records before it`,
    );
  }
}

/** Cuts a torn tail (or writes the magic bytes of a new log), durably. */
async function openForAppending(file: string, validBytes: number): Promise<number> {
  const fd = await openFd(file, validBytes === 0 ? 'w+' : 'r+');
  try {
    await truncateFd(fd, validBytes);
    if (validBytes === 0) await writeAll(fd, logMagic, 0);
    await syncData(fd);
    if (validBytes === 0) await syncDirectory(path.dirname(file));
  } catch (thrown) {
    await closeFd(fd);
    throw thrown;
  }
  return fd;
}

function emptyIfMissing(thrown: NodeJS.ErrnoException): Buffer {
  if (thrown.code === 'ENOENT') return Buffer.alloc(0);
  throw thrown;
}
