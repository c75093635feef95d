// A store's Prometheus metrics (createStore({ metrics: registry })): what the
// store counts as it goes, read at scrape time with what its tree and links say then.

import type { Registry } from 'prom-client';
import { histogramSamples, registerScraped, type OperationCounts } from './metrics';
import type { NodeTree } from './tree';

/** Where a store's metrics are read from. */
export interface StoreMetricSources {
  node: string;
  counts: OperationCounts;
  /** How long batches waited for their storage flush (file and Redis storage; memory never waits). */
  flushes: OperationCounts;
  /** Crashes its supervision restarted, and crashes past the restart intensity, since it started. */
  supervision: { restarts: number; failures: number };
  tree: () => Promise<NodeTree>;
  /** Each peer's link state ('up', 'dialing', 'down'); empty outside a cluster. */
  peers: () => Record<string, string>;
  /** A ping's round trip (ms) to each peer whose link is up, measured when asked. */
  roundTrips: () => Promise<Record<string, number>>;
}

/** Registers the store's metrics on `registry`; throws BAD_REQUEST if it already has them. */
export function registerStoreMetrics(registry: Registry, sources: StoreMetricSources): void {
  const { counts, supervision } = sources;
  registerScraped(registry, {
    name: 'actor_kv_commands_total',
    help: 'Calls on buckets, by verb and result (ok, or the error code).',
    type: 'counter',
    read: () => counts.rows().map(({ verb, result, count }) => ({ labels: { verb, result }, value: count })),
  });
  registerScraped(registry, {
    name: 'actor_kv_command_duration_seconds',
    help: 'Time from a call to its answer, as the store sees it.',
    type: 'histogram',
    read: () => histogramSamples('actor_kv_command_duration_seconds', counts),
  });
  registerScraped(registry, {
    name: 'actor_kv_storage_flush_seconds',
    help: 'Time a batch of writes waited until its storage had it (an fsync, a Redis reply); memory storage never waits.',
    type: 'histogram',
    read: () => histogramSamples('actor_kv_storage_flush_seconds', sources.flushes),
  });
  registerScraped(registry, {
    name: 'actor_kv_storage_flush_bytes_total',
    help: 'Bytes of keys and values that flushes stored (file and Redis storage; the payload, not its encoding).',
    type: 'counter',
    read: () => [{ value: sources.flushes.bytes }],
  });
  registerScraped(registry, {
    name: 'actor_kv_buckets',
    help: "This node's buckets, by status (running, failed).",
    type: 'gauge',
    read: async () => {
      const tree = await sources.tree().catch(() => undefined);
      const failed = tree?.buckets.filter((bucket) => bucket.status === 'failed').length ?? 0;
      return [
        { labels: { status: 'running' }, value: (tree?.buckets.length ?? 0) - failed },
        { labels: { status: 'failed' }, value: failed },
      ];
    },
  });
  registerScraped(registry, {
    name: 'actor_kv_bucket_restarts_total',
    help: "Bucket crashes that this node's supervision restarted.",
    type: 'counter',
    read: () => [{ value: supervision.restarts }],
  });
  registerScraped(registry, {
    name: 'actor_kv_bucket_failures_total',
    help: 'Bucket crashes past the restart intensity: the bucket stopped as failed.',
    type: 'counter',
    read: () => [{ value: supervision.failures }],
  });
  registerScraped(registry, {
    name: 'actor_kv_peer_up',
    help: 'Whether the link to each peer node is up (1) or not (0).',
    type: 'gauge',
    read: () => Object.entries(sources.peers()).map(([peer, state]) => ({ labels: { peer }, value: state === 'up' ? 1 : 0 })),
  });
  registerScraped(registry, {
    name: 'actor_kv_peer_rtt_seconds',
    help: 'Round-trip time of a ping to each peer whose link is up, measured at scrape time.',
    type: 'gauge',
    read: async () => Object.entries(await sources.roundTrips()).map(([peer, ms]) => ({ labels: { peer }, value: ms / 1000 })),
  });
}
