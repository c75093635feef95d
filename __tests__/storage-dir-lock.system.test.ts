// The data directory's lock against a second process that does not share the
// first one's network namespace: two containers on one host with the same
// volume, say. Needs `unshare -rn` (user and network namespaces); skipped
// with a printed note where they are not available.

import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStorage } from '../lib';

const dist = path.join(__dirname, '..', 'dist', 'index.js');

// Opens the directory and prints what happened.
const childScript = `
const { FileStorage } = require(${JSON.stringify(dist)});
const storage = new FileStorage({ dir: process.argv[1] });
storage.open().then(() => { console.log('opened'); return storage.close(); }, (error) => console.log(error.code));
`;

function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['-rn', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs the child in a network namespace of its own and resolves with what it printed. */
function openInOtherNetworkNamespace(dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-rn', process.execPath, '-e', childScript, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', () => resolve(out.trim()));
  });
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-lock-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const unshareWorks = canUnshare();
if (!unshareWorks) console.log('skipped: `unshare -rn` is not available here');

// Fails today: the lock is an abstract Unix socket, and abstract sockets
// belong to a network namespace, so a process in another one binds the same
// name and opens the directory; both then append to one log and corrupt it.
// The fix (a lock the namespaces share: a socket bound at a path in the data
// directory, or a file lock, with its own stale-lock rules) is larger than
// this review; see the report.
(unshareWorks ? it.failing : it.skip)('a process in another network namespace is refused a data directory that is open', async () => {
  const storage = new FileStorage({ dir });
  await storage.open();
  try {
    expect(await openInOtherNetworkNamespace(dir)).toBe('STORAGE_LOCKED');
  } finally {
    await storage.close();
  }
});
