// Keeps a second process from using the same data directory (two writers
// would interleave records and corrupt the log). On Linux the lock is an
// abstract Unix socket named after the directory: binding is atomic and the
// kernel releases it when the process dies, even by SIGKILL, so a crash
// never leaves a stale lock. Elsewhere: a pid file, taken over when its
// process is gone. The LOCK file always holds the owner's pid, for messages.

import * as fs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import * as path from 'node:path';
import { KvError } from '../errors';

/** A held lock on a data directory. */
export interface DirLock {
  /** Releases the lock. */
  release(): Promise<void>;
}

/** Locks `dir` (which must exist) or rejects with STORAGE_LOCKED naming the holder. */
export async function lockDirectory(dir: string): Promise<DirLock> {
  const real = await fs.realpath(dir);
  const pidFile = path.join(real, 'LOCK');
  if (process.platform === 'linux') {
    const server = await bindAbstract(`\0actor-kv-lock:${createHash('sha256').update(real).digest('hex')}`, real, pidFile);
    const release = (): Promise<void> => new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      await fs.writeFile(pidFile, `${process.pid}\n`);
    } catch (thrown) {
      // Not locked after all (a full disk, say): unbind, or this process would keep the directory from itself.
      await release();
      throw thrown;
    }
    return { release };
  }
  await takePidFile(pidFile, real);
  return { release: () => fs.rm(pidFile, { force: true }) };
}

async function bindAbstract(name: string, dir: string, pidFile: string): Promise<Server> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: name, exclusive: true }, resolve);
    });
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === 'EADDRINUSE') throw await lockedError(dir, pidFile);
    throw thrown;
  }
  server.unref(); // the lock must not keep the process alive on its own
  return server;
}

async function takePidFile(pidFile: string, dir: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(pidFile, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (thrown) {
      if ((thrown as NodeJS.ErrnoException).code !== 'EEXIST') throw thrown;
    }
    const holder = await readPid(pidFile);
    if (holder !== undefined && isAlive(holder)) break;
    await fs.rm(pidFile, { force: true }); // its process is gone: a stale lock
  }
  throw await lockedError(dir, pidFile);
}

async function lockedError(dir: string, pidFile: string): Promise<KvError> {
  const holder = await readPid(pidFile);
  const who = holder === undefined ? 'another process' : `process ${holder}`;
  return new KvError('STORAGE_LOCKED', `data directory ${dir} is in use by ${who}; stop it or choose another --data-dir`);
}

async function readPid(pidFile: string): Promise<number | undefined> {
  const text = await fs.readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (thrown) {
    return (thrown as NodeJS.ErrnoException).code === 'EPERM';
  }
}
