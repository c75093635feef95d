// The command's logs: pino JSON, or readable lines for a terminal (time,
// level, message, fields), and the version it prints.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultLogFormat } from '../lib/cli/log';
import { prettyLine } from '../lib/cli/pretty-log';
import { packageVersion } from '../lib/cli/version';

const at = new Date(2026, 11, 3, 0, 23, 40, 5).getTime(); // local time, as the lines show it
const line = (fields: Record<string, unknown>) => JSON.stringify({ level: 30, time: at, pid: 7, hostname: 'h', name: 'actor-kv', msg: 'accepting connections', ...fields });

describe('readable lines', () => {
  test.each<[string, string, string]>([
    ['time, level, message, then the fields', line({ node: 'foo', port: 4040 }), '2026-12-03 00:23:40.005 INFO  accepting connections node=foo port=4040\n'],
    ['a text with spaces or quotes is quoted', line({ reason: 'connect ECONNREFUSED 127.0.0.1:1', word: 'a"b' }), '2026-12-03 00:23:40.005 INFO  accepting connections reason="connect ECONNREFUSED 127.0.0.1:1" word="a\\"b"\n'],
    ['objects, booleans and empty texts as JSON', line({ limit: { n: 1 }, ok: true, empty: '' }), '2026-12-03 00:23:40.005 INFO  accepting connections limit={"n":1} ok=true empty=""\n'],
    ['each level by name', JSON.stringify({ level: 50, time: at, msg: 'bucket failed' }), '2026-12-03 00:23:40.005 ERROR bucket failed\n'],
    ['debug', JSON.stringify({ level: 20, time: at, msg: 'client connected', remote: '127.0.0.1:5555' }), '2026-12-03 00:23:40.005 DEBUG client connected remote=127.0.0.1:5555\n'],
    ['a line that is not JSON passes as it is', 'not json\n', 'not json\n'],
  ])('%s', (_name, json, expected) => {
    expect(prettyLine(json)).toBe(expected);
  });

  test('readable on a terminal, JSON otherwise (a pipe, a file, a log collector)', () => {
    expect([defaultLogFormat(true), defaultLogFormat(false)]).toEqual(['pretty', 'json']);
  });
});

describe('the version', () => {
  test("is this package's, read from package.json", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(packageVersion()).toBe(version);
  });

  test('a package.json without a version is an error that names the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-version-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), '{}');
      expect(() => packageVersion(path.join(dir, 'package.json'))).toThrow(`${path.join(dir, 'package.json')} has no version`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
