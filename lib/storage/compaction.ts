// Log compaction (Redis's AOF rewrite, without fork): writes the live
// contents to a new file in small chunks between requests, copies the records
// appended meanwhile, then swaps files atomically: fsync the new file, rename
// it over the log, fsync the directory. Appends wait only for that last step.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { closeFd, openFd, syncData, syncDirectory, writeAll } from './fs-util';
import { encodeRecord, logMagic, type KeyChange } from './log-format';
import type { LogWriter } from './log-writer';

/** Entries per record (and per write) between requests. */
const chunkEntries = 1000;

/** Rounds of copying appends before the rest is copied behind the gate. */
const catchUpRounds = 3;

/** The live contents, bucket by bucket. Tables may change while they are read. */
export type LiveTables = () => Iterable<[string, Iterable<[string, string, number]>]>;

/**
 * Rewrites the log behind `writer` to the contents of `tables` and resolves
 * with its new size. On failure the old log stays in use and nothing is lost.
 */
export async function rewriteLog(writer: LogWriter, tables: LiveTables, onSwapWarning: (reason: string) => void): Promise<number> {
  const temporary = `${writer.path}.rewrite`;
  const fd = await openFd(temporary, 'w');
  let bytes = 0;
  const append = async (chunk: Buffer): Promise<void> => {
    await writeAll(fd, chunk, bytes);
    bytes += chunk.length;
  };
  try {
    writer.startTap();
    await append(logMagic);
    await dumpTables(tables, append);
    await copyTap(writer, append, catchUpRounds);
    await writer.closeGate();
    await copyTap(writer, append, Infinity);
    await syncData(fd);
    await fs.rename(temporary, writer.path);
  } catch (thrown) {
    writer.endRewrite();
    await closeFd(fd).catch(() => {});
    await fs.rm(temporary, { force: true }).catch(() => {});
    throw thrown;
  }
  // The rename is made durable before the gate opens: a write acknowledged
  // (fsync 'always') into the new file must not vanish with a rename that a
  // power loss undid, bringing back the old log without it.
  await syncDirectory(path.dirname(writer.path)).catch((thrown: Error) => onSwapWarning(thrown.message));
  // The new file is the log now: continue on it whatever happens next.
  await writer.swapTo(fd, bytes);
  return bytes;
}

/**
 * Writes each bucket and its entries. An entry changed during the dump may be
 * written with either value: the copied appends that follow set it right.
 */
async function dumpTables(tables: LiveTables, append: (chunk: Buffer) => Promise<void>): Promise<void> {
  for (const [bucket, entries] of [...tables()]) {
    await append(encodeRecord({ op: 'create', bucket }));
    let changes: KeyChange[] = [];
    for (const [key, value, expiresAt] of entries) {
      changes.push({ key, value, expiresAt });
      if (changes.length >= chunkEntries) {
        await append(encodeRecord({ op: 'changes', bucket, changes }));
        changes = [];
      }
    }
    if (changes.length > 0) await append(encodeRecord({ op: 'changes', bucket, changes }));
  }
}

/**
 * Copies what was appended during the rewrite. Under a steady load there is
 * always more: after a few rounds the rest is copied behind the gate, where
 * appends wait (as Redis's parent writes the last of its rewrite buffer).
 */
async function copyTap(writer: LogWriter, append: (chunk: Buffer) => Promise<void>, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const chunks = writer.takeTap();
    // A failed write was rolled back in memory after the dump may have read it.
    if (chunks === 'failed') throw new Error('a write failed during the rewrite');
    if (chunks.length === 0) return;
    await append(Buffer.concat(chunks));
  }
}
