// Small file-descriptor helpers the log needs and node:fs/promises lacks:
// positional writes that never stop half way, fdatasync, fsync of a directory.

import * as fs from 'node:fs';
import { promisify } from 'node:util';

const write = promisify(fs.write);
const fdatasync = promisify(fs.fdatasync);
const close = promisify(fs.close);
const open = promisify(fs.open);
const fsync = promisify(fs.fsync);
const ftruncate = promisify(fs.ftruncate);

/** Writes all of `bytes` at `position`, synchronously. */
export function writeAllSync(fd: number, bytes: Buffer, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** Writes all of `bytes` at `position`, without blocking the event loop. */
export async function writeAll(fd: number, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += (await write(fd, bytes, done, bytes.length - done, position + done)).bytesWritten;
}

/** Flushes a file's data (and its size) to the disk. */
export function syncData(fd: number): Promise<void> {
  return fdatasync(fd);
}

export function openFd(path: string, flags: string): Promise<number> {
  return open(path, flags, 0o644);
}

/** Sets a file's length. */
export function truncateFd(fd: number, length: number): Promise<void> {
  return ftruncate(fd, length);
}

export function closeFd(fd: number): Promise<void> {
  return close(fd);
}

/** Makes a rename or a new file in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const fd = await open(dir, 'r');
  try {
    await fsync(fd);
  } finally {
    await close(fd);
  }
}
