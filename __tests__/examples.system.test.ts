// Every script in examples/ runs as a newcomer would run it (npx ts-node
// examples/NAME.ts) and exits 0; the first two are checked line by line.

import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '..');
const tsNode = join(root, 'node_modules', '.bin', 'ts-node');
const examples = readdirSync(join(root, 'examples')).filter((file) => file.endsWith('.ts'));

const expectedLines: Record<string, string[]> = {
  'basic.ts': ['milk = 1', 'deleted eggs, which was 6', 'eggs = undefined', 'groceries: NOT_FOUND', "buckets: [ 'shopping' ]"],
  'crash-and-restart.ts': [
    'after a crash, milk = 1',
    'chores: running, 0 restart(s), 0 key(s)',
    'shopping: running, 1 restart(s), 1 key(s)',
    'now: BUCKET_FAILED',
    'chores is untouched: true',
    'revived, milk = 1',
  ],
};

jest.setTimeout(120_000);

test.each(examples)('examples/%s runs and exits 0', async (file) => {
  const { stdout } = await run(tsNode, [join('examples', file)], { cwd: root, timeout: 100_000 });
  const expected = expectedLines[file];
  if (expected) expect(stdout.trim().split('\n')).toEqual(expected);
});

test('the two first examples are present', () => {
  expect(examples).toEqual(expect.arrayContaining(Object.keys(expectedLines)));
});
