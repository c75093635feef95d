// The CLI's cluster flags, from argv and environment to createStore's `cluster` option.

import { clusterOptionsFrom } from '../lib/cli/cluster-config';
import { loadConfig } from '../lib/cli/config';

function fromCommandLine(argv: string[], env: Record<string, string> = {}): ReturnType<typeof clusterOptionsFrom> {
  const loaded = loadConfig(argv, env);
  if (loaded.kind !== 'run') throw new Error(`expected a run, got ${JSON.stringify(loaded)}`);
  return clusterOptionsFrom(loaded);
}

const seeds = ['--node', 'foo', '--cluster-port', '5040', '--peer', 'bar=127.0.0.1:5041', '--route', 'a-m=foo', '--route', 'n-z=bar'];
const secret = 's'.repeat(16);

test.each([
  ['no cluster flags: a single node', [], {}, { cluster: undefined }],
  ['no cluster flags, a secret in the environment: still a single node', [], { ACTOR_KV_SECRET: 'short' }, { cluster: undefined }],
  [
    'the seeds: foo with bar, two routes, the secret from the environment',
    seeds,
    { ACTOR_KV_SECRET: 'a 16-byte secret' },
    { cluster: { secret: 'a 16-byte secret', listen: { host: '127.0.0.1', port: 5040 }, peers: { bar: '127.0.0.1:5041' }, routes: ['a-m=foo', 'n-z=bar'], requestTimeoutMs: 2000, replicas: 1 } },
  ],
  [
    'a peer that dials in, no listener, no routes, --secret, a timeout',
    ['--node', 'bar', '--peer', 'foo', '--secret', 'x'.repeat(16), '--cluster-timeout-ms', '500'],
    {},
    { cluster: { secret: 'x'.repeat(16), peers: { foo: null }, routes: [], requestTimeoutMs: 500, replicas: 1 } },
  ],
  [
    'peers and routes from the environment, comma-separated',
    ['--node', 'foo'],
    { ACTOR_KV_SECRET: secret, ACTOR_KV_PEERS: 'bar=10.0.0.2:5041, baz', ACTOR_KV_ROUTES: 'a-m=foo,n-z=bar', ACTOR_KV_CLUSTER_HOST: '0.0.0.0', ACTOR_KV_CLUSTER_PORT: '0' },
    { cluster: { secret, listen: { host: '0.0.0.0', port: 0 }, peers: { bar: '10.0.0.2:5041', baz: null }, routes: ['a-m=foo', 'n-z=bar'], requestTimeoutMs: 2000, replicas: 1 } },
  ],
])('%s', (_name, argv, env, expected) => {
  expect(fromCommandLine(argv, env)).toEqual(expected);
});

test.each<[string, string[], Record<string, string>, string]>([
  ['peers without a secret', ['--peer', 'bar=127.0.0.1:5041'], {}, '--secret (or ACTOR_KV_SECRET) is required with --peer, --route or --cluster-port'],
  ['a cluster port without a secret', ['--cluster-port', '5040'], {}, '--secret (or ACTOR_KV_SECRET) is required with --peer, --route or --cluster-port'],
  ['a secret under 16 bytes', ['--secret', 'change-me', '--peer', 'bar'], {}, '--secret must be at least 16 bytes, got 9'],
  ['a secret under 16 bytes from the environment', ['--peer', 'bar'], { ACTOR_KV_SECRET: 'change-me' }, 'ACTOR_KV_SECRET must be at least 16 bytes, got 9'],
  ['a route to an unknown node', ['--node', 'foo', '--secret', secret, '--peer', 'bar', '--route', 'a-z=baz'], {}, '--route a-z=baz: baz is neither this node (--node foo) nor a peer (--peer)'],
  ['a route to an unknown node, from the environment', ['--secret', secret, '--peer', 'bar'], { ACTOR_KV_ROUTES: 'a-z=baz' }, 'ACTOR_KV_ROUTES a-z=baz: baz is neither this node (--node local) nor a peer (--peer)'],
  ['a peer given twice', ['--secret', secret, '--peer', 'bar', '--peer', 'bar=127.0.0.1:1'], {}, '--peer names bar twice'],
  ['this node as its own peer', ['--node', 'foo', '--secret', secret, '--peer', 'foo'], {}, '--peer foo names this node itself'],
  ['this node as its own peer, named in the environment', ['--secret', secret], { ACTOR_KV_NODE: 'foo', ACTOR_KV_PEERS: 'foo=127.0.0.1:1' }, 'ACTOR_KV_PEERS foo=127.0.0.1:1 names this node itself'],
])('%s is a usage error naming the flag', (_name, argv, env, message) => {
  expect(fromCommandLine(argv, env)).toEqual({ error: message });
});
