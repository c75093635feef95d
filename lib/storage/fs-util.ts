// Small file-descriptor helpers the log needs and node:fs/promises lacks:
// positional writes that never stop half way, fdatasync, fsync of a directory.

import * as fs from 'node:fs';
import { promisify } from 'node:util';

// Looked up on `fs` at each call (not bound once) so tests can inject disk faults.
const write = (fd: number, bytes: Buffer, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) => fs.write(fd, bytes, offset, length, position, (error, written) => (error ? reject(error) : resolve(written))));
const fdatasync = (fd: number) => promisify(fs.fdatasync)(fd);
const close = (fd: number) => promisify(fs.close)(fd);
const open = (file: string, flags: string, mode?: number) => promisify(fs.open)(file, flags, mode);
const fsync = (fd: number) => promisify(fs.fsync)(fd);
const ftruncate = (fd: number, length: number) => promisify(fs.ftruncate)(fd, length);

/** Writes all of `bytes` at `position`, synchronously (more than one write(2) if one stops short). */
export function writeAllSync(fd: number, bytes: Buffer, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** Writes all of `bytes` at `position`, without blocking the event loop. */
export async function writeAll(fd: number, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await write(fd, bytes, done, bytes.length - done, position + done);
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

/** Makes a rename or a new file in `dir` durable, blocking: for rare rewrites that must be durable before they return. */
export function syncDirectorySync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
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
