// From argv and environment to what the command will do: show help or the
// version, refuse a usage error, or run a node with these store and server
// options. Pure but for reading the TLS files the flags name, so every rule of
// the command line is tested as a table.

import { readFileSync } from 'node:fs';
import type { StoreOptions } from '../options';
import type { ObserverOptions } from '../server/observer/options';
import type { ServerOptions } from '../server/options';
import type { RespOptions } from '../server/resp/options';
import { clusterOptionsFrom, isClustered } from './cluster-config';
import { flagName, loadConfig, type Config, type Loaded } from './config';
import { storageFor } from './storage-config';
import type { RedisTls } from '../storage/redis-connection';

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
      /** startObserver's options, but for the logger and metrics; undefined: no observer. */
      observer?: ObserverOptions;
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
  { key: 'redisPrefix', needs: '--redis-url or --redis-cluster', holds: usesRedis },
  { key: 'redisPassword', needs: '--redis-url or --redis-cluster', holds: usesRedis },
  { key: 'redisWaitReplicas', needs: '--redis-url or --redis-cluster', holds: usesRedis },
  { key: 'redisTls', needs: '--redis-cluster (for one Redis, give a rediss:// URL)', holds: (config) => config.redisCluster !== undefined },
  ...(['redisTlsCa', 'redisTlsCert', 'redisTlsKey'] as const).map((key) => ({ key, needs: 'a rediss:// --redis-url or --redis-tls yes', holds: usesRedisTls })),
  { key: 'observerHost', needs: '--observer-port', holds: (config) => config.observerPort !== undefined },
  { key: 'observerPassword', needs: '--observer-port', holds: (config) => config.observerPort !== undefined },
  { key: 'clusterHost', needs: '--cluster-port', holds: (config) => config.clusterPort !== undefined },
  ...(['respHost', 'respPassword', 'respMaxBulkBytes', 'respStringsBucket', 'respAllowFlush'] as const).map((key) => ({ key, needs: '--resp-port', holds: (config: Config) => config.respPort !== undefined })),
  { key: 'clusterTimeoutMs', needs: '--peer, --route or --cluster-port', holds: isClustered },
  { key: 'replicas', needs: '--peer, --route or --cluster-port', holds: isClustered },
  { key: 'secret', needs: '--peer, --route or --cluster-port', holds: isClustered },
];

function usesRedis(config: Config): boolean {
  return config.redisUrl !== undefined || config.redisCluster !== undefined;
}

/** Whether the node reaches Redis over TLS: a rediss:// URL, or a cluster with --redis-tls yes. */
function usesRedisTls(config: Config): boolean {
  return config.redisUrl?.startsWith('rediss://') === true || (config.redisCluster !== undefined && config.redisTls === 'yes');
}

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
  const tls = tlsFrom(config);
  if ('error' in tls) return { kind: 'usage-error', message: tls.error };
  const { port, host, maxLineBytes, maxConnections, idleTimeoutMs, maxClientMemory } = config;
  const cluster = clustering.cluster && (tls.cluster ? { ...clustering.cluster, tls: tls.cluster } : clustering.cluster);
  // The storage's TLS files, read here: storageFor is pure.
  const storageOption = tls.redis && typeof storage.storage === 'object' && 'type' in storage.storage && storage.storage.type === 'redis' ? { ...storage.storage, tls: tls.redis } : storage.storage;
  return {
    kind: 'run',
    config,
    store: { node: config.node, storage: storageOption, ...(cluster ? { cluster } : {}) },
    server: {
      port, host, maxLineBytes, maxConnections, idleTimeoutMs,
      ...(maxClientMemory === undefined ? {} : { maxClientMemoryBytes: maxClientMemory }),
      ...(tls.server ? { tls: tls.server } : {}),
      ...(config.password === undefined ? {} : { password: config.password }),
      protectedMode: config.protectedMode === 'yes',
      ...(config.respPort === undefined ? {} : { resp: respOptionsFrom(config, config.respPort) }),
    },
    ...(config.observerPort === undefined ? {} : { observer: { port: config.observerPort, host: config.observerHost, ...(config.observerPassword === undefined ? {} : { password: config.observerPassword }) } }),
    storage: storage.summary,
  };
}

/** The RESP listener's options from its flags. */
function respOptionsFrom(config: Config, port: number): RespOptions {
  return {
    port,
    maxBulkBytes: config.respMaxBulkBytes,
    stringsBucket: config.respStringsBucket,
    allowFlush: config.respAllowFlush === 'yes',
    ...(config.respHost === undefined ? {} : { host: config.respHost }),
    ...(config.respPassword === undefined ? {} : { password: config.respPassword }),
  };
}

/** The TLS files the flags name, read; or which flag is missing or unreadable. */
function tlsFrom(config: Config): { server?: { cert: Buffer; key: Buffer }; cluster?: { cert: Buffer; key: Buffer; ca: Buffer }; redis?: RedisTls } | { error: string } {
  const read = (flag: string, file: string): Buffer | string => {
    try {
      return readFileSync(file);
    } catch (error) {
      return `${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
    }
  };
  const group = <K extends string>(flags: Record<K, [string, string | undefined]>): Record<K, Buffer> | undefined | { error: string } => {
    const given = Object.values<[string, string | undefined]>(flags).filter(([, file]) => file !== undefined);
    if (given.length === 0) return undefined;
    const missing = Object.values<[string, string | undefined]>(flags).find(([, file]) => file === undefined);
    if (missing) return { error: `${given.map(([flag]) => flag).join(' and ')} need${given.length === 1 ? 's' : ''} ${missing[0]}` };
    const files: Partial<Record<K, Buffer>> = {};
    for (const key of Object.keys(flags) as K[]) {
      const bytes = read(flags[key][0], flags[key][1]!);
      if (typeof bytes === 'string') return { error: bytes };
      files[key] = bytes;
    }
    return files as Record<K, Buffer>;
  };
  const server = group({ cert: ['--tls-cert', config.tlsCert], key: ['--tls-key', config.tlsKey] });
  if (server && 'error' in server) return server;
  const cluster = group({ cert: ['--cluster-tls-cert', config.clusterTlsCert], key: ['--cluster-tls-key', config.clusterTlsKey], ca: ['--cluster-tls-ca', config.clusterTlsCa] });
  if (cluster && 'error' in cluster) return cluster;
  if (cluster && !isClustered(config)) return { error: '--cluster-tls-cert does nothing without --peer, --route or --cluster-port' };
  const redisIdentity = group({ cert: ['--redis-tls-cert', config.redisTlsCert], key: ['--redis-tls-key', config.redisTlsKey] });
  if (redisIdentity && 'error' in redisIdentity) return redisIdentity;
  const redisCa = config.redisTlsCa === undefined ? undefined : read('--redis-tls-ca', config.redisTlsCa);
  if (typeof redisCa === 'string') return { error: redisCa };
  const redis: RedisTls | undefined = usesRedisTls(config) ? { ...(redisCa ? { ca: redisCa } : {}), ...(redisIdentity ?? {}) } : undefined;
  return { ...(server ? { server } : {}), ...(cluster ? { cluster } : {}), ...(redis ? { redis } : {}) };
}

/** The message for the first flag given that would do nothing, if any. */
function idleFlag({ config, origin }: Loaded): string | undefined {
  const idle = needs.find(({ key, holds }) => origin[key] === 'flag' && !holds(config));
  return idle && `${flagName(idle.key)} does nothing without ${idle.needs}`;
}
