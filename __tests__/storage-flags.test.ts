// The command's storage flags: --data-dir, --fsync, --redis-url, --redis-cluster, --redis-prefix, --redis-password, --redis-wait-replicas
// (and their ACTOR_KV_* variables) into the store's `storage` option and the
// startup line that says which storage is in use.

import * as path from 'node:path';
import { loadConfig } from '../lib/cli/config';
import { storageFor } from '../lib/cli/storage-config';

function storage(argv: string[], env: Record<string, string> = {}): ReturnType<typeof storageFor> | string {
  const loaded = loadConfig(argv, env);
  if (loaded.kind !== 'run') return loaded.kind === 'error' ? loaded.message : loaded.kind;
  return storageFor(loaded);
}

const file = (dir: string, fsync: string) => ({ storage: { type: 'file', dir, fsync, onTruncatedLog: 'refuse' }, summary: `storage: file at ${dir}, fsync ${fsync}` });

test.each<[string, string[], Record<string, string>, unknown]>([
  ['no storage flags: in memory', [], {}, { storage: 'memory', summary: 'storage: memory' }],
  ['--data-dir: the file log, fsync everysec by default', ['--data-dir', '/var/kv'], {}, file('/var/kv', 'everysec')],
  ['a relative --data-dir is made absolute, so messages say where it is', ['--data-dir', 'd', '--fsync', 'always'], {}, file(path.resolve('d'), 'always')],
  ['--fsync no', ['--data-dir=/d', '--fsync=no'], {}, file('/d', 'no')],
  ['environment variables', [], { ACTOR_KV_DATA_DIR: '/e', ACTOR_KV_FSYNC: 'always' }, file('/e', 'always')],
  ['a flag beats its variable', ['--fsync', 'no'], { ACTOR_KV_DATA_DIR: '/e', ACTOR_KV_FSYNC: 'always' }, file('/e', 'no')],
  ['--redis-url', ['--redis-url', 'redis://127.0.0.1:6379'], {}, { storage: { type: 'redis', url: 'redis://127.0.0.1:6379' }, summary: 'storage: redis at redis://127.0.0.1:6379' }],
  ['--redis-prefix', ['--redis-url', 'redis://h:1', '--redis-prefix', 'kv:'], {}, { storage: { type: 'redis', url: 'redis://h:1', prefix: 'kv:' }, summary: 'storage: redis at redis://h:1' }],
  ['the startup line never shows the password', ['--redis-url', 'rediss://user:hunter2@h:1/3'], {}, { storage: { type: 'redis', url: 'rediss://user:hunter2@h:1/3' }, summary: 'storage: redis at rediss://h:1/3' }],
  ['redis from the environment', [], { ACTOR_KV_REDIS_URL: 'redis://h:2', ACTOR_KV_REDIS_PREFIX: 'p:' }, { storage: { type: 'redis', url: 'redis://h:2', prefix: 'p:' }, summary: 'storage: redis at redis://h:2' }],
  ['both a data directory and Redis', ['--data-dir', 'd', '--redis-url', 'redis://h:1'], {}, { error: '--data-dir and --redis-url exclude each other: choose one storage' }],
  ['--redis-cluster', ['--redis-cluster', '127.0.0.1:7000,127.0.0.1:7001'], {}, { storage: { type: 'redis', cluster: ['127.0.0.1:7000', '127.0.0.1:7001'] }, summary: 'storage: redis cluster at 127.0.0.1:7000,127.0.0.1:7001' }],
  ['--redis-cluster with IPv6, a prefix and WAIT', ['--redis-cluster', '[::1]:7000', '--redis-prefix', 'kv:', '--redis-wait-replicas', '1'], {}, { storage: { type: 'redis', cluster: ['[::1]:7000'], prefix: 'kv:', waitReplicas: 1 }, summary: 'storage: redis cluster at [::1]:7000, each write held by 1 replica (WAIT)' }],
  ['a Redis Cluster from the environment, its password never in the summary', [], { ACTOR_KV_REDIS_CLUSTER: 'h:1', ACTOR_KV_REDIS_PASSWORD: 'hunter2' }, { storage: { type: 'redis', cluster: ['h:1'], password: 'hunter2' }, summary: 'storage: redis cluster at h:1' }],
  ['--redis-password and --redis-wait-replicas with one Redis', ['--redis-url', 'redis://h:1', '--redis-password', 'pw', '--redis-wait-replicas', '2'], {}, { storage: { type: 'redis', url: 'redis://h:1', password: 'pw', waitReplicas: 2 }, summary: 'storage: redis at redis://h:1, each write held by 2 replicas (WAIT)' }],
  ['both Redis and a Redis Cluster', ['--redis-url', 'redis://h:1', '--redis-cluster', 'h:2'], {}, { error: '--redis-url and --redis-cluster exclude each other: choose one storage' }],
  ['both, one from the environment', ['--data-dir', 'd'], { ACTOR_KV_REDIS_URL: 'redis://h:1' }, { error: '--data-dir and ACTOR_KV_REDIS_URL exclude each other: choose one storage' }],
  ['an unknown fsync mode', ['--fsync', 'sometimes'], {}, expect.stringContaining('--fsync: "sometimes" is not one of always, everysec, no')],
  ['a bad ACTOR_KV_FSYNC', [], { ACTOR_KV_FSYNC: 'often' }, expect.stringContaining('ACTOR_KV_FSYNC: "often"')],
])('%s', (_name, argv, env, expected) => {
  expect(storage(argv, env)).toEqual(expected);
});
