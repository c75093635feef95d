// Every script in examples/ runs as a newcomer would run it (npx ts-node
// examples/NAME.ts) and exits 0; what each prints is checked line by line.

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
  'observer.ts': ['shopping: restarting, 1 restart(s), last crash: killed from the example', 'actor_kv_bucket_restarts_total 1'],
  'keyv.ts': [
    "ada = { name: 'Ada', born: 1815 }",
    'in the bucket: {"value":{"name":"Ada","born":1815}}',
    'after 150 ms, the bucket has session: false',
    'session = undefined',
    "users: [ 'ada', 'grace' ]",
    'keys left in cache: 0',
  ],
  'cluster.ts': [
    ...['shopping', 'awesome-list'].flatMap((bucket) => [`> CREATE ${bucket}`, 'OK', `> PUT ${bucket} eggs 6`, 'OK', `> GET ${bucket} eggs`, '6', 'OK']),
    '> CREATE awesome-list',
    'OK',
    '> CREATE shopping',
    'ERROR node bar unavailable',
  ],
  'replication.ts': [
    ...['> CREATE shopping', 'OK', '> PUT shopping eggs 6', 'OK', '> PUT shopping milk 1', 'OK'],
    ...['> GET shopping eggs', '6', 'OK', '> GET shopping milk', '1', 'OK'],
    ...['> PUT shopping bread 2', 'OK', '> GET shopping bread', '2', 'OK'],
  ],
};

jest.setTimeout(120_000);

test.each(examples)('examples/%s runs and exits 0', async (file) => {
  const { stdout } = await run(tsNode, [join('examples', file)], { cwd: root, timeout: 100_000 });
  expect(stdout.trim().split('\n')).toEqual(expectedLines[file]);
});

test('every example has its expected output here', () => {
  expect([...examples].sort()).toEqual(Object.keys(expectedLines).sort());
});
