// The public API of actor-kv.

export { createStore, type Store, type ClusterStatus, type Bytes, type KeyScanOptions, type KeyPage, type PutOptions, type BucketOp, type OpValue, type Outcome } from './store';
export type { ClusterOptions, PeerAddressOption } from './cluster/options';
export type { ClusterTree, ClusterNodeTree } from './cluster/cluster';
export type { Route } from './cluster/router';
export type { StoreEventMap } from './core/events';
export { KvError, type KvErrorCode, type ErrorData } from './errors';
export { defaultStoreOptions, type StoreOptions } from './options';
export type { SupervisionOptions } from './actors/restart-intensity';
export type { Logger } from './core/logger';
export type { NodeTree, BucketInfo } from './core/tree';
export type { Storage, BucketTable } from './storage/storage';
export { MemoryStorage } from './storage/memory';
export { FileStorage, type FileStorageOptions } from './storage/file-storage';
export { RedisStorage, type RedisStorageOptions } from './storage/redis-storage';
export type { StorageOption } from './storage/open-storage';
export type { FsyncPolicy } from './storage/log-writer';
export { startServer, type KvServer } from './server/server';
export { defaultServerOptions, type ServerOptions } from './server/options';
export { startObserver, type Observer } from './server/observer/observer';
export { defaultObserverOptions, type ObserverOptions } from './server/observer/options';
export type { Observed, ObservedBucket, ObservedNode, ObservedStatus } from './server/observer/observed';
export type { RespOptions } from './server/resp/options';
export type { RespAddress } from './server/resp/listener';
