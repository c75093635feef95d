// The Keyv adapter where only a process of its own can show it: the library
// loads no keyv, and a Keyv on a store never stopped does not keep the process alive.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
jest.setTimeout(60_000);

test('requiring the adapter loads no keyv; a Keyv on a store left running lets the process exit', async () => {
  const started = Date.now();
  const script = join(__dirname, 'support', 'keyv-left-running.ts');
  const { stdout } = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', script], { timeout: 50_000 });
  expect(JSON.parse(stdout)).toEqual({ loadedByLibrary: false, milk: '1', keys: ['eggs', 'milk'] });
  // callTimeoutMs is 60 s and milk's ttl 60 s there: a timer left referenced would hold the process that long.
  expect(Date.now() - started).toBeLessThan(20_000);
});
