// The store's contract where only a process of its own can show it: what
// happens to an uncaught exception, and when the process may exit.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
jest.setTimeout(60_000);

/** Runs a script of __tests__/support in its own Node process; resolves with its output. */
async function runScript(name: string, nodeFlags: string[] = []): Promise<string> {
  const script = join(__dirname, 'support', name);
  const { stdout } = await run(process.execPath, [...nodeFlags, '-r', 'ts-node/register/transpile-only', script], { timeout: 50_000 });
  return stdout;
}

describe('store in a process of its own', () => {
  test('a settle that throws neither keeps the rest of its batch from settling nor crashes the bucket; its error is rethrown on its own', async () => {
    expect(JSON.parse(await runScript('throwing-settle.ts'))).toEqual({
      seen: [[{ ok: true }], [{ ok: true, value: '1' }], [{ ok: true, value: '1' }], [{ ok: false, error: { code: 'NOT_FOUND', message: 'bucket nope does not exist' } }]],
      rethrown: ['a bug in the caller', 'a bug in the caller, at once'],
      restarts: 0,
    });
  });

  test('an event listener that throws leaves the bucket serving; its error is rethrown on its own', async () => {
    expect(JSON.parse(await runScript('throwing-listener.ts'))).toEqual({ rethrown: 'a bug in the listener', value: '1', status: 'running', restarts: 1 });
  });

  test('keys with a TTL that are never read again are swept, and the heap they took is given back', async () => {
    const { baseline, loaded, swept, left } = JSON.parse(await runScript('expiry-heap.ts', ['--expose-gc'])) as Record<string, number>;
    console.log(`heap: ${baseline} MiB before, ${loaded} MiB with 200,000 keys, ${swept} MiB once they expired`);
    expect(left).toBe(0);
    expect(loaded - baseline).toBeGreaterThan(10);
    // Back to within a tenth of what the keys took.
    expect(swept - baseline).toBeLessThan((loaded - baseline) / 10);
  });

  test('a store whose calls are all answered does not keep the process alive, stopped or not', async () => {
    const started = Date.now();
    expect((await runScript('left-running.ts')).trim()).toBe('1');
    // callTimeoutMs is 60 s there: a timer left referenced would hold the process that long.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('a call waiting for a bucket that never answers keeps the process alive until it times out', async () => {
    expect((await runScript('waiting-call.ts')).trim()).toMatch(/^TIMEOUT after \d+ ms$/);
  });
});
