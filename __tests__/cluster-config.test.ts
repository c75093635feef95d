// The CLI's cluster flags, from argv and environment to createStore's `cluster` option.

import { clusterOptionsFrom } from '../lib/cli/cluster-config';
import { loadConfig } from '../lib/cli/config';

function fromCommandLine(argv: string[], env: Record<string, string> = {}): ReturnType<typeof clusterOptionsFrom> {
  const loaded = loadConfig(argv, env);
  if (loaded.kind !== 'run') throw new Error(`expected a run, got ${JSON.stringify(loaded)}`);
  return clusterOptionsFrom(loaded.config);
}

const seeds = ['--node', 'foo', '--cluster-port', '5040', '--peer', 'bar=127.0.0.1:5041', '--route', 'a-m=foo', '--route', 'n-z=bar'];

test.each([
  ['no cluster flags: a single node', [], {}, { cluster: undefined }],
  [
    'the seeds: foo with bar, two routes, the secret from the environment',
    seeds,
    { ACTOR_KV_SECRET: 'a 16-byte secret' },
    { cluster: { secret: 'a 16-byte secret', listen: { host: '127.0.0.1', port: 5040 }, peers: { bar: '127.0.0.1:5041' }, routes: ['a-m=foo', 'n-z=bar'], requestTimeoutMs: 2000 } },
  ],
  [
    'a peer that dials in, no listener, no routes, --secret, a timeout',
    ['--node', 'bar', '--peer', 'foo', '--secret', 'x'.repeat(16), '--cluster-timeout-ms', '500'],
    {},
    { cluster: { secret: 'x'.repeat(16), listen: undefined, peers: { foo: null }, routes: [], requestTimeoutMs: 500 } },
  ],
  [
    'peers and routes from the environment, comma-separated',
    ['--node', 'foo'],
    { ACTOR_KV_SECRET: 's'.repeat(16), ACTOR_KV_PEERS: 'bar=10.0.0.2:5041, baz', ACTOR_KV_ROUTES: 'a-m=foo,n-z=bar', ACTOR_KV_CLUSTER_HOST: '0.0.0.0', ACTOR_KV_CLUSTER_PORT: '0' },
    { cluster: { secret: 's'.repeat(16), listen: { host: '0.0.0.0', port: 0 }, peers: { bar: '10.0.0.2:5041', baz: null }, routes: ['a-m=foo', 'n-z=bar'], requestTimeoutMs: 2000 } },
  ],
])('%s', (_name, argv, env, expected) => {
  expect(fromCommandLine(argv, env)).toEqual(expected);
});

test.each([
  ['peers without a secret', ['--peer', 'bar=127.0.0.1:5041'], '--secret (or ACTOR_KV_SECRET) is required with --peer, --route or --cluster-port'],
  ['a cluster port without a secret', ['--cluster-port', '5040'], '--secret (or ACTOR_KV_SECRET) is required'],
  ['a bad route', [...seeds, '--secret', 's'.repeat(16), '--route', 'a-=foo'], 'bad route "a-=foo"'],
  ['a route to an unknown node', ['--node', 'foo', '--secret', 's'.repeat(16), '--peer', 'bar', '--route', 'a-z=baz'], 'route to unknown node baz'],
  ['a bad peer address', ['--secret', 's'.repeat(16), '--peer', 'bar=nowhere'], 'cluster.peers.bar'],
  ['a peer given twice', ['--secret', 's'.repeat(16), '--peer', 'bar', '--peer', 'bar=127.0.0.1:1'], '--peer bar is given twice'],
  ['a bad cluster port', ['--secret', 's'.repeat(16), '--cluster-port', 'x'], '--cluster-port: "x" is not a port number'],
  ['a secret under 16 bytes', ['--secret', 'change-me', '--peer', 'bar'], '`cluster.secret` (--secret) must be at least 16 bytes, got 9'],
  ['this node as its own peer', ['--node', 'foo', '--secret', 's'.repeat(16), '--peer', 'foo'], 'names this node (foo) itself'],
])('%s is a usage error', (_name, argv, message) => {
  const result = fromCommandLine(argv);
  expect('error' in result && result.error).toContain(message);
});
