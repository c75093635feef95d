// loadConfig: flags, then environment variables, then defaults, as a table.

import { flagName, flags, loadConfig, sourceName, usage, type CommandLine, type Config } from '../lib/cli/config';
import { FlagError, list, optionalChoice, optionalInteger, optionalText, text, type Flag } from '../lib/cli/flags';

const defaults: Config = {
  port: 4040,
  host: '127.0.0.1',
  node: 'local',
  maxLineBytes: 65536,
  maxConnections: 10000,
  maxClientMemory: undefined,
  idleTimeoutMs: 60000,
  respPort: undefined,
  respHost: undefined,
  respPassword: undefined,
  respMaxBulkBytes: 512 * 1024 * 1024,
  respStringsBucket: 'strings',
  respAllowFlush: 'no',
  clusterPort: undefined,
  clusterHost: '127.0.0.1',
  peer: [],
  route: [],
  replicas: 1,
  secret: undefined,
  clusterTimeoutMs: 2000,
  logLevel: 'info',
  logFormat: undefined,
  password: undefined,
  protectedMode: 'yes',
  tlsCert: undefined,
  tlsKey: undefined,
  clusterTlsCert: undefined,
  clusterTlsKey: undefined,
  clusterTlsCa: undefined,
  dataDir: undefined,
  onTruncatedLog: 'refuse',
  fsync: 'everysec',
  redisUrl: undefined,
  redisCluster: undefined,
  redisPrefix: undefined,
  redisPassword: undefined,
  redisWaitReplicas: 0,
  redisTls: 'no',
  redisTlsCa: undefined,
  redisTlsCert: undefined,
  redisTlsKey: undefined,
  observerPort: undefined,
  observerHost: '127.0.0.1',
  observerPassword: undefined,
};

const run = (changes: Partial<Config>): CommandLine => ({ kind: 'run', config: { ...defaults, ...changes }, origin: expect.any(Object) });
const error = (message: string): CommandLine => ({ kind: 'error', message });

describe('loadConfig', () => {
  const cases: Array<[string, string[], Record<string, string>, CommandLine]> = [
    ['no flags: the defaults', [], {}, run({})],
    ['every flag', ['--port', '0', '--host', '0.0.0.0', '--node', 'foo', '--max-line-bytes', '1024', '--max-connections', '5', '--idle-timeout-ms', '0', '--log-level', 'warn', '--log-format', 'pretty'], {}, run({ port: 0, host: '0.0.0.0', node: 'foo', maxLineBytes: 1024, maxConnections: 5, idleTimeoutMs: 0, logLevel: 'warn', logFormat: 'pretty' })],
    ['--flag=value', ['--port=5000'], {}, run({ port: 5000 })],
    ['--flag=value that starts with a dash', ['--data-dir=-odd'], {}, run({ dataDir: '-odd' })],
    ['the last of a repeated flag wins', ['--port', '1', '--port', '2'], {}, run({ port: 2 })],
    ['environment variables', [], { ACTOR_KV_PORT: '4041', ACTOR_KV_NODE: 'bar', ACTOR_KV_MAX_CONNECTIONS: '7', ACTOR_KV_LOG_FORMAT: 'json' }, run({ port: 4041, node: 'bar', maxConnections: 7, logFormat: 'json' })],
    ['a flag beats its environment variable', ['--port', '4042'], { ACTOR_KV_PORT: '4041' }, run({ port: 4042 })],
    ['an empty environment variable counts as unset', [], { ACTOR_KV_PORT: '', ACTOR_KV_DATA_DIR: '' }, run({})],
    ['unrelated environment is ignored', [], { PORT: '1', HOME: '/root' }, run({})],
    ['a cluster port', ['--cluster-port', '5040'], {}, run({ clusterPort: 5040 })],
    ['peers and routes, repeated', ['--peer', 'bar=127.0.0.1:5041', '--peer', 'baz', '--route', 'a-m=bar'], {}, run({ peer: ['bar=127.0.0.1:5041', 'baz'], route: ['a-m=bar'] })],
    ['a redis URL with a password', ['--redis-url', 'rediss://:pw@db.example:6380/2'], {}, run({ redisUrl: 'rediss://:pw@db.example:6380/2' })],
    ['--help', ['--help'], {}, { kind: 'help' }],
    ['-h, even with other flags', ['--port', '1', '-h'], {}, { kind: 'help' }],
    ['--version', ['--version'], {}, { kind: 'version' }],
    ['-v', ['-v'], {}, { kind: 'version' }],
    ['an unknown flag', ['--bogus'], {}, error('unknown flag --bogus')],
    ['an unknown short flag', ['-p', '4040'], {}, error('unknown flag -p')],
    ['a positional argument', ['4040'], {}, error('unexpected argument "4040": actor-kv takes only flags')],
    ['an argument after --', ['--', 'x'], {}, error('unexpected argument "x": actor-kv takes only flags')],
    ['a flag without its value', ['--port'], {}, error('--port needs a value')],
    ['a flag followed by another flag', ['--data-dir', '--port', '1'], {}, error('--data-dir needs a value')],
    ['--help with a value', ['--help=yes'], {}, error('--help takes no value')],
    ['a port that is not a number', ['--port', 'abc'], {}, error('--port: "abc" is not a whole number from 0 to 65535')],
    ['a port out of range', ['--port', '65536'], {}, error('--port: "65536" is not a whole number from 0 to 65535')],
    ['a cluster port out of range', ['--cluster-port', '70000'], {}, error('--cluster-port: "70000" is not a whole number from 0 to 65535')],
    ['a negative number', ['--max-connections=-1'], {}, error('--max-connections: "-1" is not a whole number from 1 to 9007199254740991')],
    ['a timeout no timer can wait', ['--cluster-timeout-ms', '2147483648'], {}, error('--cluster-timeout-ms: "2147483648" is not a whole number from 1 to 2147483647')],
    ['zero where at least one is needed', ['--max-line-bytes', '0'], {}, { kind: 'error', message: expect.stringMatching(/^--max-line-bytes: "0"/) }],
    ['a bad environment variable names the variable', [], { ACTOR_KV_PORT: '40 40' }, error('ACTOR_KV_PORT: "40 40" is not a whole number from 0 to 65535')],
    ['an empty node name', ['--node', ''], {}, error('--node: must not be empty')],
    ['a node name the cluster would refuse', ['--node', 'foo bar'], {}, error('--node: "foo bar" is not a node name: 1-64 letters, digits or _.@:-')],
    ['a node name too long, from the environment', [], { ACTOR_KV_NODE: 'n'.repeat(65) }, { kind: 'error', message: expect.stringMatching(/^ACTOR_KV_NODE: "n{65}" is not a node name/) }],
    ['a peer with a bad name', ['--peer', 'b ar=127.0.0.1:1'], {}, error('--peer: "b ar=127.0.0.1:1": "b ar" is not a node name (1-64 letters, digits or _.@:-)')],
    ['a peer with a bad address', ['--peer', 'bar=nowhere'], {}, error('--peer: "bar=nowhere": the address must be host:port with a port from 0 to 65535, as bar=127.0.0.1:5041')],
    ['a bad peer in the environment', [], { ACTOR_KV_PEERS: 'bar=127.0.0.1:1, baz=x:99999' }, { kind: 'error', message: expect.stringMatching(/^ACTOR_KV_PEERS: "baz=x:99999": the address/) }],
    ['a bad route', ['--route', 'a-=foo'], {}, { kind: 'error', message: expect.stringMatching(/^--route: bad route "a-=foo": /) }],
    ['a route to a name no node can have', ['--route', 'a-m=f o'], {}, error('--route: bad route "a-m=f o": a node name must be 1-64 letters, digits or _.@:-')],
    ['an empty data directory', ['--data-dir='], {}, error('--data-dir: must not be empty')],
    ['an unknown log level', ['--log-level', 'loud'], {}, { kind: 'error', message: expect.stringContaining('--log-level: "loud" is not one of') }],
    ['an unknown log format', [], { ACTOR_KV_LOG_FORMAT: 'xml' }, error('ACTOR_KV_LOG_FORMAT: "xml" is not one of json, pretty')],
    ['a URL that is not Redis, its password hidden', ['--redis-url', 'http://user:hunter2@127.0.0.1:6379/?password=hunter2'], {}, error('--redis-url: http://127.0.0.1:6379 is not a redis:// or rediss:// URL')],
    ['a Redis URL from the environment that is no URL', [], { ACTOR_KV_REDIS_URL: 'hunter2@localhost' }, error('ACTOR_KV_REDIS_URL: not a URL; expected redis://host:port or rediss://host:port')],
    ['a Redis URL without a host', ['--redis-url', 'redis://'], {}, error('--redis-url: redis:// names no host; expected redis://host:port')],
  ];
  test.each(cases)('%s', (_name, argv, env, expected) => {
    expect(loadConfig(argv, env)).toEqual(expected);
  });

  test('says where each setting came from, and messages name the flag or the variable accordingly', () => {
    const loaded = loadConfig(['--port', '1'], { ACTOR_KV_NODE: 'n', ACTOR_KV_PORT: '2' });
    if (loaded.kind !== 'run') throw new Error(JSON.stringify(loaded));
    expect([loaded.origin.port, loaded.origin.node, loaded.origin.host]).toEqual(['flag', 'env', 'default']);
    expect([sourceName('port', loaded.origin), sourceName('node', loaded.origin), sourceName('host', loaded.origin)]).toEqual(['--port', 'ACTOR_KV_NODE', '--host']);
  });

  test('is pure: the same input gives the same answer and nothing is changed', () => {
    const argv = Object.freeze(['--port', '1']);
    const env = Object.freeze({ ACTOR_KV_NODE: 'n' });
    expect(loadConfig(argv, env)).toEqual(loadConfig(argv, env));
  });
});

describe('usage', () => {
  test('documents every flag, its environment variable and its default, and -h and -v', () => {
    const text = usage();
    for (const [key, flag] of Object.entries(flags)) {
      expect(text).toContain(flagName(key));
      if (flag.env) expect(text).toContain(flag.env);
      const hasDefault = flag.default !== undefined && !(Array.isArray(flag.default) && flag.default.length === 0);
      if (hasDefault) expect(text).toContain(`(default: ${String(flag.default)})`);
    }
    expect(text).toContain('-h, --help');
    expect(text).toContain('-v, --version');
    expect(text).toContain('--log-format <json|pretty>');
  });
});

describe('flag builders (for the flags other layers add)', () => {
  const peer = list(text({ help: 'a peer', default: '' }), { env: 'PEERS', help: 'peers' });
  const secret = optionalText({ env: 'SECRET', help: 'secret' });
  const format = optionalChoice(['json', 'pretty'], { help: 'format' });
  const port = optionalInteger({ help: 'port', min: 0, max: 9 });
  const cases: Array<[string, Flag<unknown>, string[], unknown]> = [
    ['a list keeps every item in order', peer, ['a:1', 'b:2'], ['a:1', 'b:2']],
    ['an optional text', secret, ['s3cret'], 's3cret'],
    ['an optional choice', format, ['pretty'], 'pretty'],
    ['an optional integer', port, ['7'], 7],
  ];
  test.each(cases)('%s', (_name, flag, raw, expected) => {
    expect(flag.parse(raw)).toEqual(expected);
  });

  test('bad input throws a FlagError that says what was expected', () => {
    expect(() => peer.parse(['a', ''])).toThrow(new FlagError('must not be empty'));
    expect(() => secret.parse([''])).toThrow(new FlagError('must not be empty'));
    expect(() => port.parse(['10'])).toThrow(new FlagError('"10" is not a whole number from 0 to 9'));
  });

  test('defaults: an empty list, undefined', () => {
    expect([peer.default, secret.default, format.default, port.default]).toEqual([[], undefined, undefined, undefined]);
    expect([peer.multiple, secret.type]).toEqual([true, 'string']);
  });
});
