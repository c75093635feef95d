// loadConfig: flags, then environment variables, then defaults, as a table.

import { flagName, flags, loadConfig, usage, type Config, type Loaded } from '../lib/cli/config';
import { boolean, FlagError, list, optionalText, text, type Flag } from '../lib/cli/flags';

const defaults: Config = {
  port: 4040,
  host: '127.0.0.1',
  node: 'local',
  maxLineBytes: 65536,
  maxConnections: 10000,
  idleTimeoutMs: 60000,
  clusterPort: undefined,
  clusterHost: '127.0.0.1',
  peer: [],
  route: [],
  secret: undefined,
  clusterTimeoutMs: 2000,
  logLevel: 'info',
  dataDir: undefined,
  fsync: 'everysec',
  redisUrl: undefined,
  redisPrefix: undefined,
};

const run = (changes: Partial<Config>): Loaded => ({ kind: 'run', config: { ...defaults, ...changes } });

describe('loadConfig', () => {
  const cases: Array<[string, string[], Record<string, string>, Loaded]> = [
    ['no flags: the defaults', [], {}, run({})],
    ['every flag', ['--port', '0', '--host', '0.0.0.0', '--node', 'foo', '--max-line-bytes', '1024', '--max-connections', '5', '--idle-timeout-ms', '0', '--log-level', 'warn'], {}, run({ port: 0, host: '0.0.0.0', node: 'foo', maxLineBytes: 1024, maxConnections: 5, idleTimeoutMs: 0, logLevel: 'warn' })],
    ['--flag=value', ['--port=5000'], {}, run({ port: 5000 })],
    ['the last of a repeated flag wins', ['--port', '1', '--port', '2'], {}, run({ port: 2 })],
    ['environment variables', [], { ACTOR_KV_PORT: '4041', ACTOR_KV_NODE: 'bar', ACTOR_KV_MAX_CONNECTIONS: '7' }, run({ port: 4041, node: 'bar', maxConnections: 7 })],
    ['a flag beats its environment variable', ['--port', '4042'], { ACTOR_KV_PORT: '4041' }, run({ port: 4042 })],
    ['unrelated environment is ignored', [], { PORT: '1', HOME: '/root' }, run({})],
    ['--help', ['--help'], {}, { kind: 'help' }],
    ['-h, even with other flags', ['--port', '1', '-h'], {}, { kind: 'help' }],
    ['an unknown flag', ['--bogus'], {}, { kind: 'error', message: "Unknown option '--bogus'" }],
    ['a positional argument', ['4040'], {}, { kind: 'error', message: expect.stringContaining("Unexpected argument '4040'") }],
    ['a flag without its value', ['--port'], {}, { kind: 'error', message: expect.stringContaining("'--port <value>' argument missing") }],
    ['a port that is not a number', ['--port', 'abc'], {}, { kind: 'error', message: '--port: "abc" is not a whole number from 0 to 65535' }],
    ['a port out of range', ['--port', '65536'], {}, { kind: 'error', message: '--port: "65536" is not a whole number from 0 to 65535' }],
    ['a negative number', ['--max-connections=-1'], {}, { kind: 'error', message: '--max-connections: "-1" is not a whole number from 1 to 9007199254740991' }],
    ['zero where at least one is needed', ['--max-line-bytes', '0'], {}, { kind: 'error', message: expect.stringMatching(/^--max-line-bytes: "0"/) }],
    ['a bad environment variable names the variable', [], { ACTOR_KV_PORT: '40 40' }, { kind: 'error', message: 'ACTOR_KV_PORT: "40 40" is not a whole number from 0 to 65535' }],
    ['an empty node name', ['--node', ''], {}, { kind: 'error', message: '--node: must not be empty' }],
    ['an unknown log level', ['--log-level', 'loud'], {}, { kind: 'error', message: expect.stringContaining('--log-level: "loud" is not one of') }],
  ];
  test.each(cases)('%s', (_name, argv, env, expected) => {
    expect(loadConfig(argv, env)).toEqual(expected);
  });

  test('is pure: the same input gives the same answer and nothing is changed', () => {
    const argv = Object.freeze(['--port', '1']);
    const env = Object.freeze({ ACTOR_KV_NODE: 'n' });
    expect(loadConfig(argv, env)).toEqual(loadConfig(argv, env));
  });
});

describe('usage', () => {
  test('documents every flag, its environment variable and its default', () => {
    const text = usage();
    for (const [key, flag] of Object.entries(flags)) {
      expect(text).toContain(`--${flagName(key)}`);
      if (flag.env) expect(text).toContain(flag.env);
      const hasDefault = flag.default !== undefined && !(Array.isArray(flag.default) && flag.default.length === 0);
      if (hasDefault) expect(text).toContain(`(default: ${String(flag.default)})`);
    }
    expect(text).toContain('--help');
  });
});

describe('flag builders (for the flags other layers add)', () => {
  const peer = list(text({ help: 'a peer', default: '' }), { env: 'PEERS', help: 'peers' });
  const fsync = boolean({ env: 'FSYNC', default: false, help: 'fsync' });
  const secret = optionalText({ env: 'SECRET', help: 'secret' });
  const cases: Array<[string, Flag<unknown>, string[], unknown]> = [
    ['a list keeps every item in order', peer, ['a:1', 'b:2'], ['a:1', 'b:2']],
    ['a boolean reads yes/no words', fsync, ['Yes'], true],
    ['a boolean reads 0', fsync, ['0'], false],
    ['an optional text', secret, ['s3cret'], 's3cret'],
  ];
  test.each(cases)('%s', (_name, flag, raw, expected) => {
    expect(flag.parse(raw)).toEqual(expected);
  });

  test('bad input throws a FlagError that says what was expected', () => {
    expect(() => fsync.parse(['maybe'])).toThrow(new FlagError('"maybe" is not one of 1, true, yes, 0, false, no'));
    expect(() => peer.parse(['a', ''])).toThrow(new FlagError('must not be empty'));
  });

  test('defaults: an empty list, false, undefined', () => {
    expect([peer.default, fsync.default, secret.default]).toEqual([[], false, undefined]);
    expect([peer.multiple, fsync.type]).toEqual([true, 'boolean']);
  });
});
