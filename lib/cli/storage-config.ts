// The command line's storage flags (--data-dir, --fsync, --redis-url,
// --redis-prefix) turned into createStore's `storage` option, with the line
// the node logs at startup to say which storage it uses. Pure.

import * as path from 'node:path';
import type { StorageOption } from '../storage/open-storage';
import { redactRedisUrl } from '../storage/redis-connection';
import { sourceName, type Loaded } from './config';

/** The store's `storage` option and its one-line description, or why the flags conflict. */
export function storageFor({ config, origin }: Loaded): { storage: StorageOption; summary: string } | { error: string } {
  const { dataDir, fsync, onTruncatedLog, redisUrl, redisPrefix } = config;
  if (dataDir !== undefined && redisUrl !== undefined) {
    return { error: `${sourceName('dataDir', origin)} and ${sourceName('redisUrl', origin)} exclude each other: choose one storage` };
  }
  if (dataDir !== undefined) {
    // Absolute, so that every message about the directory (locked, damaged) says where it is.
    const dir = path.resolve(dataDir);
    return { storage: { type: 'file', dir, fsync, onTruncatedLog }, summary: `storage: file at ${dir}, fsync ${fsync}` };
  }
  if (redisUrl !== undefined) {
    const prefix = redisPrefix === undefined ? {} : { prefix: redisPrefix };
    return { storage: { type: 'redis', url: redisUrl, ...prefix }, summary: `storage: redis at ${redactRedisUrl(redisUrl)}` };
  }
  return { storage: 'memory', summary: 'storage: memory' };
}
