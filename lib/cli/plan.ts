// From argv and environment to what the command will do: show help or the
// version, refuse a usage error, or run a node with these store and server
// options. Pure, so every rule of the command line is tested as a table.

import type { StoreOptions } from '../options';
import type { ServerOptions } from '../server/options';
import { clusterOptionsFrom, isClustered } from './cluster-config';
import { flagName, loadConfig, type Config, type Loaded } from './config';
import { storageFor } from './storage-config';

/** What the command does. */
export type Plan =
  | { kind: 'help' }
  | { kind: 'version' }
  /** A mistake on the command line: the message names the flag or variable. Exit 2. */
  | { kind: 'usage-error'; message: string }
  | {
      kind: 'run';
      config: Config;
      /** createStore's options, but for the logger. */
      store: StoreOptions;
      /** startServer's options, but for the logger. */
      server: ServerOptions;
      /** The startup line that says which storage is in use. */
      storage: string;
    };

/** A flag that only acts with another setting, and what it needs. */
interface Needs {
  key: keyof Config;
  needs: string;
  holds: (config: Config) => boolean;
}

/**
 * Flags that would do nothing in a combination, refused rather than ignored
 * (the user meant something by them). Only flags given on the command line
 * count: a variable left in the environment for other runs is not a mistake.
 */
const needs: readonly Needs[] = [
  { key: 'fsync', needs: '--data-dir', holds: (config) => config.dataDir !== undefined },
  { key: 'onTruncatedLog', needs: '--data-dir', holds: (config) => config.dataDir !== undefined },
  { key: 'redisPrefix', needs: '--redis-url', holds: (config) => config.redisUrl !== undefined },
  { key: 'clusterHost', needs: '--cluster-port', holds: (config) => config.clusterPort !== undefined },
  { key: 'clusterTimeoutMs', needs: '--peer, --route or --cluster-port', holds: isClustered },
  { key: 'replicas', needs: '--peer, --route or --cluster-port', holds: isClustered },
  { key: 'secret', needs: '--peer, --route or --cluster-port', holds: isClustered },
];

/** What `actor-kv ...argv` does with this environment. */
export function planFrom(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Plan {
  const loaded = loadConfig(argv, env);
  if (loaded.kind === 'error') return { kind: 'usage-error', message: loaded.message };
  if (loaded.kind !== 'run') return loaded;
  const idle = idleFlag(loaded);
  if (idle) return { kind: 'usage-error', message: idle };
  const storage = storageFor(loaded);
  if ('error' in storage) return { kind: 'usage-error', message: storage.error };
  const clustering = clusterOptionsFrom(loaded);
  if ('error' in clustering) return { kind: 'usage-error', message: clustering.error };
  const { config } = loaded;
  const { port, host, maxLineBytes, maxConnections, idleTimeoutMs, maxClientMemory } = config;
  return {
    kind: 'run',
    config,
    store: { node: config.node, storage: storage.storage, ...(clustering.cluster ? { cluster: clustering.cluster } : {}) },
    server: { port, host, maxLineBytes, maxConnections, idleTimeoutMs, ...(maxClientMemory === undefined ? {} : { maxClientMemoryBytes: maxClientMemory }) },
    storage: storage.summary,
  };
}

/** The message for the first flag given that would do nothing, if any. */
function idleFlag({ config, origin }: Loaded): string | undefined {
  const idle = needs.find(({ key, holds }) => origin[key] === 'flag' && !holds(config));
  return idle && `${flagName(idle.key)} does nothing without ${idle.needs}`;
}
