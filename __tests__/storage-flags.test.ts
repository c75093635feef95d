// The command's storage flags: --data-dir, --fsync, --redis-url, --redis-prefix
// (and their ACTOR_KV_* variables) into the store's `storage` option.

import { loadConfig, storageFor, type Config } from '../lib/cli/config';

function storage(argv: string[], env: Record<string, string> = {}): ReturnType<typeof storageFor> | string {
  const loaded = loadConfig(argv, env);
  if (loaded.kind !== 'run') return loaded.kind === 'error' ? loaded.message : 'help';
  return storageFor(loaded.config as Config);
}

test.each<[string, string[], Record<string, string>, unknown]>([
  ['no storage flags: in memory', [], {}, { storage: 'memory' }],
  ['--data-dir: the file log, fsync everysec by default', ['--data-dir', '/var/kv'], {}, { storage: { type: 'file', dir: '/var/kv', fsync: 'everysec' } }],
  ['--fsync always', ['--data-dir', 'd', '--fsync', 'always'], {}, { storage: { type: 'file', dir: 'd', fsync: 'always' } }],
  ['--fsync no', ['--data-dir=d', '--fsync=no'], {}, { storage: { type: 'file', dir: 'd', fsync: 'no' } }],
  ['environment variables', [], { ACTOR_KV_DATA_DIR: 'e', ACTOR_KV_FSYNC: 'always' }, { storage: { type: 'file', dir: 'e', fsync: 'always' } }],
  ['a flag beats its variable', ['--fsync', 'no'], { ACTOR_KV_DATA_DIR: 'e', ACTOR_KV_FSYNC: 'always' }, { storage: { type: 'file', dir: 'e', fsync: 'no' } }],
  ['--redis-url', ['--redis-url', 'redis://127.0.0.1:6379'], {}, { storage: { type: 'redis', url: 'redis://127.0.0.1:6379' } }],
  ['--redis-prefix', ['--redis-url', 'redis://h:1', '--redis-prefix', 'kv:'], {}, { storage: { type: 'redis', url: 'redis://h:1', prefix: 'kv:' } }],
  ['redis from the environment', [], { ACTOR_KV_REDIS_URL: 'redis://h:2', ACTOR_KV_REDIS_PREFIX: 'p:' }, { storage: { type: 'redis', url: 'redis://h:2', prefix: 'p:' } }],
  ['both a data directory and Redis', ['--data-dir', 'd', '--redis-url', 'redis://h:1'], {}, { error: '--data-dir and --redis-url exclude each other: choose one storage' }],
  ['an unknown fsync mode', ['--fsync', 'sometimes'], {}, expect.stringContaining('--fsync: "sometimes" is not one of always, everysec, no')],
  ['a bad ACTOR_KV_FSYNC', [], { ACTOR_KV_FSYNC: 'often' }, expect.stringContaining('ACTOR_KV_FSYNC: "often"')],
])('%s', (_name, argv, env, expected) => {
  expect(storage(argv, env)).toEqual(expected);
});
