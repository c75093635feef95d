// Metrics at the cost of a few additions: the hot paths count in plain numbers
// (OperationCounts), and Prometheus reads them only when scraped, through
// metric objects registered on a prom-client Registry (prom-client formats
// them; nothing of prom-client runs per operation).

import type { Registry } from 'prom-client';
import { KvError } from '../errors';
import { now } from './clock';
import { atTurnEnd } from './turn-end';

/** Upper bounds of the latency histogram's buckets, in seconds (100 µs to 5 s). */
export const latencyBounds: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

let turnTime = 0;
let turnTimeRead = false;
const forgetTurnTime = (): void => {
  turnTimeRead = false;
};

/**
 * now(), read at most once per turn: until the end of the event loop's check
 * phase in which it was read (core/turn-end.ts), where nact runs the actors'
 * handlers. The calls a server issues in one go, and the answers of the
 * batches handled in one phase, share one reading. Reading the clock, and
 * scheduling its expiry, is most of what timing a call costs; re-reading it
 * after every microtask drain cost ~0.2 µs per call here. A call that starts
 * and ends in one phase reads 0: the histogram's resolution is a phase.
 */
export function turnNow(): number {
  if (!turnTimeRead) {
    turnTime = now();
    turnTimeRead = true;
    atTurnEnd(forgetTurnTime);
  }
  return turnTime;
}

/** One verb's outcomes: successes, and failures by error code. */
interface VerbCounts {
  ok: number;
  failed: Map<string, number>;
}

/** Calls by verb and result, and their latency as a histogram: plain numbers, cheap to bump. */
export class OperationCounts {
  private readonly verbs = new Map<string, VerbCounts>();
  /** Calls per latency bucket, not cumulative (the last slot is +Inf). */
  readonly buckets: number[] = new Array<number>(latencyBounds.length + 1).fill(0);
  sumSeconds = 0;
  count = 0;
  /** For storage flushes: bytes of keys and values stored. */
  bytes = 0;

  /** Counts one call of `verb` that ended with `errorCode` (undefined: it succeeded) after `ms` milliseconds. */
  record(verb: string, errorCode: string | undefined, ms: number): void {
    let row = this.verbs.get(verb);
    if (row === undefined) this.verbs.set(verb, (row = { ok: 0, failed: new Map() }));
    if (errorCode === undefined) row.ok++;
    else row.failed.set(errorCode, (row.failed.get(errorCode) ?? 0) + 1);
    const seconds = ms / 1000;
    let slot = 0;
    while (slot < latencyBounds.length && seconds > latencyBounds[slot]!) slot++;
    this.buckets[slot]!++;
    this.sumSeconds += seconds;
    this.count++;
  }

  /** Every (verb, result, count), results as 'ok' or an error code. */
  rows(): Array<{ verb: string; result: string; count: number }> {
    const rows: Array<{ verb: string; result: string; count: number }> = [];
    for (const [verb, counts] of this.verbs) {
      if (counts.ok > 0) rows.push({ verb, result: 'ok', count: counts.ok });
      for (const [result, count] of counts.failed) rows.push({ verb, result, count });
    }
    return rows;
  }
}

/** One sample of a metric, as prom-client's formatter takes it. */
export interface Sample {
  value: number;
  labels?: Record<string, string | number>;
  /** For a histogram's `_bucket`, `_sum` and `_count` lines. */
  metricName?: string;
}

/** What a metric read at scrape time declares. */
export interface ScrapedMetric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** Its samples now; may be async (a tree to ask). */
  read: () => Sample[] | Promise<Sample[]>;
}

/**
 * Registers a metric read only at scrape time. Throws BAD_REQUEST when the
 * registry already has one of that name (one store, one server of a kind, per registry).
 */
export function registerScraped(registry: Registry, metric: ScrapedMetric): void {
  if (registry.getSingleMetric(metric.name)) {
    throw new KvError('BAD_REQUEST', `option \`metrics\`: the registry already has a metric ${metric.name} (give each store its own registry)`);
  }
  const { name, help, type, read } = metric;
  const asPromClient = { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: await read() }), reset: () => {} };
  registry.registerMetric(asPromClient as unknown as Parameters<Registry['registerMetric']>[0]);
}

/** A histogram's samples from per-bucket (non-cumulative) counts. */
export function histogramSamples(name: string, counts: OperationCounts): Sample[] {
  const samples: Sample[] = [];
  let cumulative = 0;
  latencyBounds.forEach((bound, index) => {
    cumulative += counts.buckets[index]!;
    samples.push({ metricName: `${name}_bucket`, labels: { le: bound }, value: cumulative });
  });
  samples.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: counts.count });
  samples.push({ metricName: `${name}_sum`, value: counts.sumSeconds });
  samples.push({ metricName: `${name}_count`, value: counts.count });
  return samples;
}

/** Each registry's connection counters, by protocol: every server of a registry adds its own. */
const connectionSources = new WeakMap<Registry, Map<string, () => number>>();

/**
 * Makes `actor_kv_connections{protocol}` report `count()` for `protocol`;
 * returns the call that removes it (a closed server counts no more).
 */
export function countConnections(registry: Registry, protocol: string, count: () => number): () => void {
  let sources = connectionSources.get(registry);
  if (!sources) {
    const created = new Map<string, () => number>();
    connectionSources.set(registry, (sources = created));
    registerScraped(registry, {
      name: 'actor_kv_connections',
      help: 'Clients connected now, by protocol.',
      type: 'gauge',
      read: () => [...created].map(([name, source]) => ({ labels: { protocol: name }, value: source() })),
    });
  }
  if (sources.has(protocol)) throw new KvError('BAD_REQUEST', `option \`metrics\`: a ${protocol} server already counts its connections on this registry`);
  sources.set(protocol, count);
  const registered = sources;
  return () => registered.delete(protocol);
}
