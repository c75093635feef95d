// The `storage` option and the factory that turns it into a backend, checking
// every field first so a bad option is named before anything is opened.

import type { Logger } from '../core/logger';
import { rejectUnknownKeys, requireDuration } from '../core/validate';
import { KvError } from '../errors';
import { FileStorage, type FileStorageOptions } from './file-storage';
import { MemoryStorage } from './memory';
import { truncatedLogPolicies } from './log-replay';
import { parseHostPort, redactRedisUrl } from './redis-connection';
import { clusterPrefixProblem } from './redis-keys';
import { defaultRedisStorageOptions, RedisStorage, type RedisStorageOptions } from './redis-storage';
import type { Storage } from './storage';

/**
 * Where bucket tables live: 'memory' (lost when the process exits), an
 * append-only file in a data directory, Redis or a Redis Cluster, or any Storage you implement.
 */
export type StorageOption =
  | 'memory'
  | { type: 'memory' }
  | ({ type: 'file' } & FileStorageOptions)
  | ({ type: 'redis' } & RedisStorageOptions)
  | Storage;

/** What the factory needs from the store's own options. */
export interface StorageContext {
  node: string;
  callTimeoutMs: number;
  logger: Logger;
}

/** Builds the backend for `option` (not yet opened); throws BAD_REQUEST naming a bad field. */
export function createStorage(option: StorageOption, context: StorageContext): Storage {
  if (option === 'memory') return new MemoryStorage();
  if (typeof option !== 'object' || option === null) throw bad('storage', "must be 'memory' or an object with a `type`", option);
  if (!('type' in option)) {
    if (typeof (option as Storage).open === 'function') return option as Storage;
    throw bad('storage', "must have a `type` ('memory', 'file' or 'redis') or be a Storage", option);
  }
  switch (option.type) {
    case 'memory':
      return new MemoryStorage();
    case 'file':
      return new FileStorage(checkFile(option, context));
    case 'redis':
      return new RedisStorage(checkRedis(option, context));
    default:
      throw bad('storage.type', "must be 'memory', 'file' or 'redis'", (option as { type: unknown }).type);
  }
}

const fileOptionKeys: Record<keyof FileStorageOptions | 'type', true> = { type: true, dir: true, fsync: true, compactionRatio: true, compactionMinBytes: true, onTruncatedLog: true, logger: true };
const redisOptionKeys: Record<keyof RedisStorageOptions | 'type', true> = {
  type: true, url: true, cluster: true, client: true, password: true, tls: true, prefix: true, commandTimeoutMs: true, waitReplicas: true, recoveryIntervalMs: true, logger: true,
};

function checkFile(option: FileStorageOptions, context: StorageContext): FileStorageOptions {
  rejectUnknownKeys('storage.', option, fileOptionKeys);
  if (typeof option.dir !== 'string' || option.dir.length === 0) throw bad('storage.dir', 'must be a directory path', option.dir);
  if (option.fsync !== undefined && !['always', 'everysec', 'no'].includes(option.fsync)) {
    throw bad('storage.fsync', "must be 'always', 'everysec' or 'no'", option.fsync);
  }
  if (option.onTruncatedLog !== undefined && !(truncatedLogPolicies as readonly string[]).includes(option.onTruncatedLog)) {
    throw bad('storage.onTruncatedLog', "must be 'refuse' or 'start-empty'", option.onTruncatedLog);
  }
  if (option.compactionRatio !== undefined && !(option.compactionRatio > 1)) throw bad('storage.compactionRatio', 'must be a number above 1', option.compactionRatio);
  if (option.compactionMinBytes !== undefined && !(Number.isInteger(option.compactionMinBytes) && option.compactionMinBytes >= 0)) {
    throw bad('storage.compactionMinBytes', 'must be a non-negative integer', option.compactionMinBytes);
  }
  return { ...option, logger: option.logger ?? context.logger };
}

/** TLS options: PEM strings or Buffers; with a URL, only a rediss:// one (a redis:// URL with TLS options would be a contradiction). */
function checkRedisTls({ tls, url, cluster, client }: RedisStorageOptions): void {
  if (typeof tls !== 'object' || tls === null) throw bad('storage.tls', 'must be an object ({ ca?, cert?, key? })', tls);
  for (const [key, value] of Object.entries(tls)) {
    if (!['ca', 'cert', 'key'].includes(key)) throw bad(`storage.tls.${key}`, 'is not an option (ca, cert, key)', '<hidden>');
    if (typeof value !== 'string' && !Buffer.isBuffer(value)) throw bad(`storage.tls.${key}`, 'must be PEM text or a Buffer', '<hidden>');
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    const [given, missing] = tls.cert === undefined ? ['storage.tls.key', 'storage.tls.cert'] : ['storage.tls.cert', 'storage.tls.key'];
    throw bad(missing, `is missing: \`${given}\` needs it`, undefined);
  }
  if (client !== undefined) throw bad('storage.tls', 'does nothing with `storage.client` (set TLS on that client)', '<hidden>');
  if (url === undefined && cluster === undefined) throw bad('storage.tls', 'needs a rediss:// `storage.url`, or `storage.cluster`', '<hidden>');
  if (url !== undefined && !String(url).startsWith('rediss://')) throw bad('storage.tls', 'needs a rediss:// URL', redactRedisUrl(String(url)));
}

function checkRedis(option: RedisStorageOptions, context: StorageContext): RedisStorageOptions {
  rejectUnknownKeys('storage.', option, redisOptionKeys);
  if (option.client === undefined && option.url !== undefined && !/^rediss?:\/\//.test(String(option.url))) {
    // Redacted: a URL that is not redis:// may still carry a password.
    throw bad('storage.url', 'must be a redis:// or rediss:// URL', redactRedisUrl(String(option.url)));
  }
  if (option.url !== undefined && option.cluster !== undefined) throw bad('storage.cluster', 'and `storage.url` exclude each other: one Redis server or one cluster', option.cluster);
  if (option.cluster !== undefined) checkClusterNodes(option.cluster);
  if (option.password !== undefined && (typeof option.password !== 'string' || option.password.length === 0)) throw bad('storage.password', 'must be a non-empty string', '<hidden>');
  if (option.tls !== undefined) checkRedisTls(option);
  if (option.prefix !== undefined && typeof option.prefix !== 'string') throw bad('storage.prefix', 'must be a string', option.prefix);
  const prefixProblem = option.cluster !== undefined && option.prefix !== undefined ? clusterPrefixProblem(option.prefix) : undefined;
  if (prefixProblem) throw bad('storage.prefix', prefixProblem, option.prefix);
  if (option.waitReplicas !== undefined && !(Number.isInteger(option.waitReplicas) && option.waitReplicas >= 0)) {
    throw bad('storage.waitReplicas', 'must be a non-negative integer', option.waitReplicas);
  }
  const commandTimeoutMs = option.commandTimeoutMs ?? Math.min(defaultRedisStorageOptions.commandTimeoutMs, Math.floor(context.callTimeoutMs / 2));
  if (!Number.isInteger(commandTimeoutMs) || commandTimeoutMs < 1 || commandTimeoutMs >= context.callTimeoutMs) {
    throw bad('storage.commandTimeoutMs', `must be a positive integer below callTimeoutMs (${context.callTimeoutMs})`, commandTimeoutMs);
  }
  if (option.recoveryIntervalMs !== undefined) requireDuration('storage.recoveryIntervalMs', option.recoveryIntervalMs);
  return { ...option, commandTimeoutMs, prefix: option.prefix ?? `actor-kv:${context.node}:`, logger: option.logger ?? context.logger };
}

function checkClusterNodes(nodes: unknown): void {
  const rule = "must be a non-empty list of 'host:port' strings or { host, port } objects";
  if (!Array.isArray(nodes) || nodes.length === 0) throw bad('storage.cluster', rule, nodes);
  for (const node of nodes) {
    const valid = typeof node === 'string' ? parseHostPort(node) !== undefined : typeof node === 'object' && node !== null && typeof node.host === 'string' && Number.isInteger(node.port);
    if (!valid) throw bad('storage.cluster', rule, node);
  }
}

function bad(name: string, rule: string, value: unknown): KvError {
  return new KvError('BAD_REQUEST', `option \`${name}\` ${rule}, got ${JSON.stringify(value) ?? String(value)}`);
}
