// The command line's storage flags (--data-dir, --fsync, --redis-url,
// --redis-cluster, --redis-prefix, --redis-password, --redis-wait-replicas)
// turned into createStore's `storage` option, with the line the node logs at
// startup to say which storage it uses. Pure: the --redis-tls files are read
// and added by plan.ts.

import * as path from 'node:path';
import type { StorageOption } from '../storage/open-storage';
import { redactRedisUrl } from '../storage/redis-connection';
import { clusterPrefixProblem } from '../storage/redis-keys';
import { sourceName, type Config, type Loaded } from './config';

/** The store's `storage` option and its one-line description, or why the flags conflict. */
export function storageFor({ config, origin }: Loaded): { storage: StorageOption; summary: string } | { error: string } {
  const { dataDir, fsync, onTruncatedLog, redisUrl, redisCluster } = config;
  const chosen = (['dataDir', 'redisUrl', 'redisCluster'] as const).filter((key) => config[key] !== undefined);
  if (chosen.length > 1) {
    return { error: `${sourceName(chosen[0]!, origin)} and ${sourceName(chosen[1]!, origin)} exclude each other: choose one storage` };
  }
  if (dataDir !== undefined) {
    // Absolute, so that every message about the directory (locked, damaged) says where it is.
    const dir = path.resolve(dataDir);
    return { storage: { type: 'file', dir, fsync, onTruncatedLog }, summary: `storage: file at ${dir}, fsync ${fsync}` };
  }
  if (redisUrl !== undefined) {
    return { storage: { type: 'redis', url: redisUrl, ...redisOptions(config) }, summary: `storage: redis at ${redactRedisUrl(redisUrl)}${waitSummary(config)}` };
  }
  if (redisCluster !== undefined) {
    const problem = config.redisPrefix === undefined ? undefined : clusterPrefixProblem(config.redisPrefix);
    if (problem) return { error: `${sourceName('redisPrefix', origin)} ${problem}` };
    const cluster = redisCluster.split(',').map((node) => node.trim());
    return { storage: { type: 'redis', cluster, ...redisOptions(config) }, summary: `storage: redis cluster at ${cluster.join(',')}${waitSummary(config)}` };
  }
  return { storage: 'memory', summary: 'storage: memory' };
}

/** The options both Redis storages take from the command line, left out when not given. */
function redisOptions({ redisPrefix, redisPassword, redisWaitReplicas }: Config): { prefix?: string; password?: string; waitReplicas?: number } {
  return {
    ...(redisPrefix === undefined ? {} : { prefix: redisPrefix }),
    ...(redisPassword === undefined ? {} : { password: redisPassword }),
    ...(redisWaitReplicas === 0 ? {} : { waitReplicas: redisWaitReplicas }),
  };
}

function waitSummary({ redisWaitReplicas }: Config): string {
  return redisWaitReplicas === 0 ? '' : `, each write held by ${redisWaitReplicas} replica${redisWaitReplicas === 1 ? '' : 's'} (WAIT)`;
}
