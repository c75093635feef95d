// What `actor-kv ...` does, decided before anything starts: usage errors name
// the flag (or its variable), flags that would do nothing are refused, and a
// valid command line becomes the store's and the server's options.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planFrom, type Plan } from '../lib/cli/plan';

const secret = 's'.repeat(16);
const usageError = (message: string): Plan => ({ kind: 'usage-error', message });

describe('flags that would do nothing are refused', () => {
  test.each<[string, string[], Record<string, string>, Plan]>([
    ['--fsync without --data-dir', ['--fsync', 'always'], {}, usageError('--fsync does nothing without --data-dir')],
    ['--fsync with Redis', ['--fsync', 'always', '--redis-url', 'redis://h:1'], {}, usageError('--fsync does nothing without --data-dir')],
    ['--on-truncated-log without --data-dir', ['--on-truncated-log', 'start-empty'], {}, usageError('--on-truncated-log does nothing without --data-dir')],
    ['--redis-prefix without --redis-url', ['--redis-prefix', 'kv:'], {}, usageError('--redis-prefix does nothing without --redis-url or --redis-cluster')],
    ['--redis-prefix with a data directory', ['--data-dir', '/d', '--redis-prefix', 'kv:'], {}, usageError('--redis-prefix does nothing without --redis-url or --redis-cluster')],
    ['--redis-wait-replicas in memory', ['--redis-wait-replicas', '1'], {}, usageError('--redis-wait-replicas does nothing without --redis-url or --redis-cluster')],
    ['--redis-password in memory', ['--redis-password', 'pw'], {}, usageError('--redis-password does nothing without --redis-url or --redis-cluster')],
    ['--cluster-host without --cluster-port', ['--cluster-host', '0.0.0.0', '--peer', 'bar=127.0.0.1:1', '--secret', secret], {}, usageError('--cluster-host does nothing without --cluster-port')],
    ['--cluster-timeout-ms on a single node', ['--cluster-timeout-ms', '500'], {}, usageError('--cluster-timeout-ms does nothing without --peer, --route or --cluster-port')],
    ['--secret on a single node', ['--secret', secret], {}, usageError('--secret does nothing without --peer, --route or --cluster-port')],
    ['--observer-host without --observer-port', ['--observer-host', '0.0.0.0'], {}, usageError('--observer-host does nothing without --observer-port')],
    ['--observer-password without --observer-port', ['--observer-password', 'pw'], {}, usageError('--observer-password does nothing without --observer-port')],
    ['--resp-password without --resp-port', ['--resp-password', 'pw'], {}, usageError('--resp-password does nothing without --resp-port')],
    ['--resp-allow-flush without --resp-port', ['--resp-allow-flush', 'yes'], {}, usageError('--resp-allow-flush does nothing without --resp-port')],
    ['--redis-tls with one Redis', ['--redis-url', 'redis://h:1', '--redis-tls', 'yes'], {}, usageError('--redis-tls does nothing without --redis-cluster (for one Redis, give a rediss:// URL)')],
    ['--redis-tls-ca with a redis:// URL', ['--redis-url', 'redis://h:1', '--redis-tls-ca', '/ca.pem'], {}, usageError('--redis-tls-ca does nothing without a rediss:// --redis-url or --redis-tls yes')],
    ['--redis-tls-ca with a cluster without --redis-tls', ['--redis-cluster', 'h:1', '--redis-tls-ca', '/ca.pem'], {}, usageError('--redis-tls-ca does nothing without a rediss:// --redis-url or --redis-tls yes')],
  ])('%s', (_name, argv, env, expected) => {
    expect(planFrom(argv, env)).toEqual(expected);
  });

  test.each<[string, string[], Record<string, string>]>([
    ['the variables of unused settings are ignored (a secret or an fsync policy left in the environment)', [], { ACTOR_KV_SECRET: 'short', ACTOR_KV_FSYNC: 'always', ACTOR_KV_REDIS_PREFIX: 'p:', ACTOR_KV_CLUSTER_HOST: '0.0.0.0', ACTOR_KV_CLUSTER_TIMEOUT_MS: '1' }],
    ['--fsync with the data directory from the environment', ['--fsync', 'no'], { ACTOR_KV_DATA_DIR: '/d' }],
    ['--secret with peers from the environment', ['--secret', secret], { ACTOR_KV_PEERS: 'bar' }],
    ['--cluster-host with the cluster port from the environment', ['--cluster-host', '0.0.0.0', '--secret', secret], { ACTOR_KV_CLUSTER_PORT: '0' }],
    ['--cluster-timeout-ms with routes', ['--cluster-timeout-ms', '10', '--route', 'a-z=local', '--secret', secret], {}],
  ])('allowed: %s', (_name, argv, env) => {
    expect(planFrom(argv, env).kind).toBe('run');
  });
});

test.each<[string, string[], Record<string, string>, Plan]>([
  ['an unknown flag', ['--bogus'], {}, usageError('unknown flag --bogus')],
  ['a Redis URL that is not one', ['--redis-url', 'http://u:pw@h:1'], {}, usageError('--redis-url: http://h:1 is not a redis:// or rediss:// URL')],
  ['both storages', ['--data-dir', '/d', '--redis-url', 'redis://h:1'], {}, usageError('--data-dir and --redis-url exclude each other: choose one storage')],
  ['a Redis Cluster node that is not host:port', ['--redis-cluster', '127.0.0.1:7000,7001'], {}, usageError('--redis-cluster: "7001" is not host:port; expected e.g. 127.0.0.1:7000,127.0.0.1:7001')],
  ['a Redis Cluster prefix with a hash tag', ['--redis-cluster', 'h:1', '--redis-prefix', 'a{b}'], {}, usageError(expect.stringContaining('--redis-prefix must not contain'))],
  ['a cluster without a secret', ['--cluster-port', '0'], {}, usageError('--secret (or ACTOR_KV_SECRET) is required with --peer, --route or --cluster-port')],
  ['help', ['-h'], {}, { kind: 'help' }],
  ['version', ['-v'], {}, { kind: 'version' }],
])('%s', (_name, argv, env, expected) => {
  expect(planFrom(argv, env)).toEqual(expected);
});

test('a valid command line becomes the store and server options and the storage line', () => {
  const argv = ['--node', 'foo', '--port', '0', '--max-line-bytes', '10', '--data-dir', '/var/kv', '--fsync', 'always', '--cluster-port', '5040', '--peer', 'bar=127.0.0.1:5041'];
  expect(planFrom(argv, { ACTOR_KV_SECRET: secret })).toEqual({
    kind: 'run',
    config: expect.objectContaining({ node: 'foo', logLevel: 'info' }),
    store: {
      node: 'foo',
      storage: { type: 'file', dir: '/var/kv', fsync: 'always', onTruncatedLog: 'refuse' },
      cluster: { secret, listen: { host: '127.0.0.1', port: 5040 }, peers: { bar: '127.0.0.1:5041' }, routes: [], requestTimeoutMs: 2000, replicas: 1 },
    },
    server: { port: 0, host: '127.0.0.1', maxLineBytes: 10, maxConnections: 10000, idleTimeoutMs: 60000, protectedMode: true },
    storage: 'storage: file at /var/kv, fsync always',
  });
});

test('--observer-port asks for the observer, on loopback unless --observer-host says otherwise', () => {
  expect(planFrom([], {})).not.toHaveProperty('observer');
  expect(planFrom(['--observer-port', '0'], {})).toMatchObject({ kind: 'run', observer: { port: 0, host: '127.0.0.1' } });
  expect(planFrom(['--observer-host', '0.0.0.0', '--observer-password', 'pw'], { ACTOR_KV_OBSERVER_PORT: '4041' })).toMatchObject({ observer: { port: 4041, host: '0.0.0.0', password: 'pw' } });
  expect(planFrom(['--observer-port', 'x'], {})).toEqual(usageError('--observer-port: "x" is not a whole number from 0 to 65535'));
});

test('the --resp-* flags become the server\'s resp option', () => {
  const plan = planFrom(['--resp-port', '6380', '--resp-host', '0.0.0.0', '--resp-strings-bucket', 'kv', '--resp-allow-flush', 'yes', '--resp-max-bulk-bytes', '1024'], { ACTOR_KV_RESP_PASSWORD: 'pw' });
  expect(plan.kind === 'run' && plan.server.resp).toEqual({ port: 6380, host: '0.0.0.0', password: 'pw', stringsBucket: 'kv', allowFlush: true, maxBulkBytes: 1024 });
  const without = planFrom([], {});
  expect(without.kind === 'run' && without.server.resp).toBeUndefined();
});

test('a single node has no cluster option', () => {
  const plan = planFrom([], {});
  expect(plan.kind === 'run' && plan.store).toEqual({ node: 'local', storage: 'memory' });
});

describe("TLS to Redis: the files the flags name are read into the storage's options", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-plan-'));
  const file = (name: string) => {
    fs.writeFileSync(path.join(dir, name), `${name} PEM`);
    return path.join(dir, name);
  };
  const [ca, cert, key] = [file('ca.pem'), file('cert.pem'), file('key.pem')];
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const storageOf = (argv: string[]) => {
    const plan = planFrom(argv, {});
    return plan.kind === 'run' ? plan.store.storage : plan;
  };

  test.each<[string, string[], unknown]>([
    ['a rediss:// URL alone: TLS from the URL, nothing added', ['--redis-url', 'rediss://h:1'], { type: 'redis', url: 'rediss://h:1', tls: {} }],
    ['a rediss:// URL with a CA', ['--redis-url', 'rediss://h:1', '--redis-tls-ca', ca], { type: 'redis', url: 'rediss://h:1', tls: { ca: Buffer.from('ca.pem PEM') } }],
    ['a cluster over TLS with public certificates', ['--redis-cluster', 'h:1', '--redis-tls', 'yes'], { type: 'redis', cluster: ['h:1'], tls: {} }],
    ['a cluster over TLS with a CA and a client certificate', ['--redis-cluster', 'h:1', '--redis-tls', 'yes', '--redis-tls-ca', ca, '--redis-tls-cert', cert, '--redis-tls-key', key], { type: 'redis', cluster: ['h:1'], tls: { ca: Buffer.from('ca.pem PEM'), cert: Buffer.from('cert.pem PEM'), key: Buffer.from('key.pem PEM') } }],
    ['a certificate without its key', ['--redis-url', 'rediss://h:1', '--redis-tls-cert', cert], usageError('--redis-tls-cert needs --redis-tls-key')],
    ['a CA file that is not there', ['--redis-url', 'rediss://h:1', '--redis-tls-ca', path.join(dir, 'missing.pem')], usageError(`--redis-tls-ca ${path.join(dir, 'missing.pem')}: ENOENT`)],
  ])('%s', (_name, argv, expected) => {
    expect(storageOf(argv)).toEqual(expected);
  });
});
