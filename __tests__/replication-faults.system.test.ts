// Replication under faults, with real CLI processes (support/replication-cluster.ts):
// foo, bar and baz with --replicas 2, a-m=foo,bar and n-z=bar,baz, each node
// dialing its peers through proxies the test owns. Eight clients write
// increasing values to their own keys in apples and melons (foo's) and nuts
// and pears (bar's), one request at a time, and a ledger records what was
// acknowledged and what is indeterminate. The faults: the primary killed,
// brought back and its copy killed; the primary paused and resumed; the
// primary partitioned and healed. After each, every key is read through every
// node that survived: no acknowledged write may be lost, and no value may be
// one nobody wrote. Each test prints what it measured (failover times, writes
// acknowledged and refused, reads, the nodes' replication events and votes);
// REPLICATION_DEBUG=1 also prints every write around each fault. The last test
// guards against a bug that left a bucket without a primary (see its comment).

import { createStore } from '../lib';
import { waitUntil } from './support/deadlines';
import type { LineClient } from './support/server-helpers';
import {
  ask, barBuckets, buckets, callTimeoutMs, caughtUp, clusterTimeoutMs, fooBuckets, get, id, Ledger, Load,
  nodeNames, readAll, ReplicationCluster, tookOver, type NodeName, type Read,
} from './support/replication-cluster';

jest.setTimeout(60_000);

const clients = 8;
const keysPerBucket = 3;
/** The bound on a failover: two request timeouts and some slack. */
const failoverBoundMs = 3000;

/** Creates every bucket through `node`. */
async function createBuckets(cluster: ReplicationCluster, node: NodeName): Promise<void> {
  const client = await cluster.connect(node);
  for (const bucket of buckets) expect(await ask(client, `CREATE ${bucket}`)).toBe('OK');
  client.destroy();
}

/** Reads every key of the ledger through each of `nodes` (a fresh client each) and checks the values. */
async function readEverything(cluster: ReplicationCluster, ledger: Ledger, nodes: readonly NodeName[], label: string, retryForMs = 10_000) {
  const results: Record<string, { reads: Map<string, Read>; check: ReturnType<Ledger['check']>; report: string }> = {};
  for (const node of nodes) {
    const client = await cluster.connect(node);
    const { reads, retries, errors } = await readAll(client, ledger.keys(), Date.now() + retryForMs);
    client.destroy();
    const check = ledger.check(reads);
    const report = `${label}: read ${check.keys} keys through ${node}: lost ${check.lost.length}, unexpected ${check.unexpected.length}, unreadable ${check.unreadable.length}, reads retried ${retries}` +
      lines([...check.lost, ...check.unexpected, ...check.unreadable, ...[...errors].map((error) => `retried after: ${error}`)]);
    results[node] = { reads, check, report };
  }
  return results;
}

/** Up to ten lines, indented, for a report. */
function lines(items: readonly string[]): string {
  return items.slice(0, 10).map((line) => `\n  ${line}`).join('') + (items.length > 10 ? `\n  ... and ${items.length - 10} more` : '');
}

/** The writes on `inBuckets` sent within `windowMs` around `at`, one line each, when REPLICATION_DEBUG is set. */
function debugWrites(ledger: Ledger, at: number, inBuckets: readonly string[], windowMs = 4000): void {
  if (!process.env.REPLICATION_DEBUG) return;
  const around = ledger.writes.filter((write) => inBuckets.includes(write.bucket) && write.sentAt >= at - 200 && write.sentAt < at + windowMs);
  console.log(around.map((write) => `sent +${write.sentAt - at} done +${(write.doneAt ?? NaN) - at} client ${write.client} via ${write.node} ${write.bucket} ${write.key}=${write.value}: ${write.reply}`).join('\n'));
}

/** Waits until `count` writes on `inBuckets` sent at or after `since` were acknowledged. */
function acksSince(ledger: Ledger, since: number, inBuckets: readonly string[], count: number, timeoutMs: number): Promise<void> {
  const acked = () => ledger.writes.filter((write) => write.sentAt >= since && write.reply === 'OK' && inBuckets.includes(write.bucket)).length;
  return waitUntil(() => acked() >= count, timeoutMs, `${count} acknowledged writes on ${inBuckets.join(', ')}`);
}

/** The load runs on for `ms` (a bounded amount of further load, not a wait for an event). */
function keepLoading(ms: number): Promise<void> {
  const until = Date.now() + ms;
  return waitUntil(() => Date.now() >= until, ms + 1000, `${ms} ms of load`);
}

/** How steadily foo's buckets were served in [from, to): acknowledged writes, and the longest time without one. */
function describeService(ledger: Ledger, label: string, from: number, to: number, origin: number): void {
  const acked = ledger.writes.filter((write) => write.reply === 'OK' && fooBuckets.includes(write.bucket) && write.doneAt! >= from && write.doneAt! < to).length;
  const { gapMs, after } = ledger.longestAckGap(from, to, fooBuckets);
  console.log(`${label}: ${acked} writes on foo's buckets acknowledged in ${to - from} ms; longest time without one ${gapMs} ms (from +${after - origin} ms)`);
}

function describeLoad(ledger: Ledger, label: string, from: number, to = Infinity): void {
  const { sent, acked, errors, noReply, maxLatencyMs } = ledger.summary(from, to);
  console.log(`${label}: ${sent} writes, ${acked} acknowledged, ${noReply} without a reply, longest ${maxLatencyMs} ms; errors ${JSON.stringify(errors)}`);
}

/** A client reading one key over and over: each value must be at least the last acknowledged when the read was sent, and never below one it saw. */
class Poller {
  reads = 0;
  errors: string[] = [];
  violations: string[] = [];
  private last = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly client: LineClient, private readonly ledger: Ledger, private readonly bucket: string, private readonly key: string) {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const ackedBefore = this.ledger.acked(this.bucket, this.key);
      const read = await get(this.client, this.bucket, this.key);
      this.reads++;
      if ('error' in read) {
        this.errors.push(read.error);
        if (read.error === 'no reply') return;
        continue;
      }
      const value = read.value === '' ? 0 : Number(read.value);
      const verdict = this.ledger.judge(this.bucket, this.key, ackedBefore, read.value);
      if (verdict !== 'ok') this.violations.push(`${verdict}: read ${read.value} when ${ackedBefore} was acknowledged`);
      if (value < this.last) this.violations.push(`went back from ${this.last} to ${value}`);
      this.last = Math.max(this.last, value);
    }
  }
}

/**
 * Runs the fault's phases; a phase that fails (a wait that timed out) is
 * recorded rather than thrown, so that the figures, reads and events are
 * still printed. The test then fails with `failed`'s messages.
 */
async function phases(run: () => Promise<void>): Promise<string[]> {
  try {
    await run();
    return [];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}

/** Asserts a final read through each of `nodes` found nothing lost, nothing unexpected, nothing unreadable. */
function expectIntact(results: Awaited<ReturnType<typeof readEverything>>, nodes: readonly NodeName[]): void {
  for (const node of nodes) {
    expect({ node, lost: results[node]!.check.lost }).toEqual({ node, lost: [] });
    expect({ node, unexpected: results[node]!.check.unexpected }).toEqual({ node, unexpected: [] });
    expect({ node, unreadable: results[node]!.check.unreadable }).toEqual({ node, unreadable: [] });
  }
}

/** Each node's votes on foo's buckets, for the test's output. */
function describeVotes(cluster: ReplicationCluster, label: string): void {
  console.log(`${label}: votes on foo's buckets` + lines(fooBuckets.flatMap((bucket) => nodeNames.map((node) => `${bucket} on ${node}: ${cluster.votes(node, bucket)}`))));
}

/** Starts a cluster (its buckets created through bar) before the block's tests, hands it to `use`, and stops it after them. */
function clusterForBlock(use: (cluster: ReplicationCluster) => void): void {
  let started: ReplicationCluster | undefined;
  beforeAll(async () => {
    started = await ReplicationCluster.start();
    await createBuckets(started, 'bar');
    use(started);
  });
  afterAll(async () => {
    await started?.stop();
  });
}

/** Milliseconds from `at` to the first acknowledged write on `inBuckets` sent since then (NaN if none). */
function failoverMs(ledger: Ledger, at: number, inBuckets: readonly string[]): number {
  const first = ledger.firstAckSince(at, inBuckets);
  return first ? first.doneAt! - at : NaN;
}

describe('a primary killed (SIGKILL) under load, brought back from its data directory, then its copy killed', () => {
  let cluster: ReplicationCluster;
  const ledger = new Ledger(clients, keysPerBucket);
  clusterForBlock((started) => (cluster = started));

  test('the primary killed mid-load: its copy takes over within two request timeouts and no acknowledged write is lost', async () => {
    const start = Date.now();
    // Clients only on the nodes that survive: bar (foo's copy) and baz.
    const load = new Load(cluster, ledger, Array.from({ length: clients }, (_, index) => (index % 2 === 0 ? 'bar' : 'baz')));
    let killedAt = 0;
    const failed = await phases(async () => {
      try {
        await acksSince(ledger, start, fooBuckets, 100, 10_000);
        killedAt = Date.now();
        await cluster.signal('foo', 'SIGKILL');
        // Failover, then a bounded amount of further load on the new primary.
        await acksSince(ledger, killedAt, fooBuckets, 200, 10_000);
      } finally {
        await load.stop();
      }
    });
    const failover = failoverMs(ledger, killedAt, fooBuckets);
    describeLoad(ledger, 'kill: before the kill', start, killedAt);
    describeLoad(ledger, 'kill: after the kill', killedAt);
    console.log(`kill: from SIGKILL of foo to the first acknowledged write on foo's buckets: ${failover} ms (request timeout ${clusterTimeoutMs} ms)`);
    debugWrites(ledger, killedAt, fooBuckets);
    const results = await readEverything(cluster, ledger, ['bar', 'baz'], 'kill');
    console.log(['bar', 'baz'].map((node) => results[node]!.report).join('\n'));
    console.log(`kill: events\n${cluster.timeline(killedAt)}`);

    expect(failed).toEqual([]);
    expect(load.failures).toEqual([]);
    expectIntact(results, ['bar', 'baz']);
    expect(cluster.logs('bar').filter((line) => line.msg === tookOver).map((line) => line.bucket).sort()).toEqual(fooBuckets);
    expect(failover).toBeLessThan(failoverBoundMs);
  });

  test('the old primary back from its data directory catches up; with its copy then killed, every acknowledged write is still readable through it and the voter', async () => {
    const restartedAt = Date.now();
    let caughtUpAt = NaN;
    let killedAt = 0;
    let load: Load | undefined;
    const failed = await phases(async () => {
      try {
        await cluster.restart('foo');
        // bar, primary of foo's buckets now, gives foo a full copy of each and takes it back into their configuration.
        for (const bucket of fooBuckets) await cluster.waitForLog('bar', caughtUp, { bucket, copy: 'foo' }, 15_000, restartedAt);
        caughtUpAt = Date.now();
        // Clients only on the nodes that survive the next fault: foo and baz.
        load = new Load(cluster, ledger, Array.from({ length: clients }, (_, index) => (index % 2 === 0 ? 'foo' : 'baz')));
        await acksSince(ledger, caughtUpAt, buckets, 200, 10_000);
        killedAt = Date.now();
        await cluster.signal('bar', 'SIGKILL');
        await acksSince(ledger, killedAt, fooBuckets, 100, 10_000);
        await acksSince(ledger, killedAt, barBuckets, 100, 10_000);
      } finally {
        await load?.stop();
      }
    });
    console.log(`return: from restarting foo to both of its buckets caught up on bar: ${caughtUpAt - restartedAt} ms`);
    describeLoad(ledger, 'return: before killing bar', caughtUpAt, killedAt);
    describeLoad(ledger, 'return: after killing bar', killedAt);
    const [aToM, nToZ] = [failoverMs(ledger, killedAt, fooBuckets), failoverMs(ledger, killedAt, barBuckets)];
    console.log(`return: from SIGKILL of bar to the first acknowledged write on a-m (foo takes over): ${aToM} ms, on n-z (baz takes over): ${nToZ} ms`);
    debugWrites(ledger, killedAt, buckets);
    const results = await readEverything(cluster, ledger, ['foo', 'baz'], 'return');
    console.log(['foo', 'baz'].map((node) => results[node]!.report).join('\n'));
    console.log(`return: events\n${cluster.timeline(restartedAt)}`);

    expect(failed).toEqual([]);
    expect(load?.failures).toEqual([]);
    expectIntact(results, ['foo', 'baz']);
    expect(aToM).toBeLessThan(failoverBoundMs);
    expect(nToZ).toBeLessThan(failoverBoundMs);
  });
});

describe('a primary paused (SIGSTOP) under load, then resumed (SIGCONT)', () => {
  let cluster: ReplicationCluster;
  const ledger = new Ledger(clients, keysPerBucket);
  clusterForBlock((started) => (cluster = started));

  test('its copy takes over within the bound, no request waits past the call timeout, and reads through the resumed primary never go back', async () => {
    const start = Date.now();
    const [polledBucket, polledKey] = ['apples', 'c0-k0'];
    // A client on foo, connected before the pause, used only once foo runs again.
    const onFoo = await cluster.connect('foo');
    const load = new Load(cluster, ledger, Array.from({ length: clients }, (_, index) => (index % 2 === 0 ? 'bar' : 'baz')));
    const pollerOnBar = new Poller(await cluster.connect('bar'), ledger, polledBucket, polledKey);
    let pollerOnFoo: Poller | undefined;
    let pausedAt = 0;
    let resumedAt = 0;
    const readsOnFoo = { keys: 0, stale: [] as string[], unexpected: [] as string[], errors: [] as string[], firstReadMs: NaN };
    const failed = await phases(async () => {
      try {
        await acksSince(ledger, start, fooBuckets, 100, 10_000);
        pausedAt = Date.now();
        await cluster.signal('foo', 'SIGSTOP');
        try {
          await acksSince(ledger, pausedAt, fooBuckets, 1, 10_000);
          await keepLoading(2000);
        } finally {
          resumedAt = Date.now();
          await cluster.signal('foo', 'SIGCONT');
        }
        // Every key of foo's buckets through the client on foo: never older than acknowledged when the read was sent.
        for (const [bucket, key] of ledger.keys((name) => fooBuckets.includes(name))) {
          const ackedBefore = ledger.acked(bucket, key);
          const read = await get(onFoo, bucket, key);
          if (readsOnFoo.keys++ === 0) readsOnFoo.firstReadMs = Date.now() - resumedAt;
          if ('error' in read) {
            readsOnFoo.errors.push(`${id(bucket, key)}: ${read.error}`);
            if (read.error === 'no reply') throw new Error(`a read of ${id(bucket, key)} through foo got no reply`);
            continue;
          }
          const verdict = ledger.judge(bucket, key, ackedBefore, read.value);
          if (verdict === 'stale') readsOnFoo.stale.push(`${id(bucket, key)}: read ${read.value} when ${ackedBefore} was acknowledged`);
          if (verdict === 'unexpected') readsOnFoo.unexpected.push(`${id(bucket, key)}: read ${read.value}`);
        }
        pollerOnFoo = new Poller(onFoo, ledger, polledBucket, polledKey);
        await acksSince(ledger, Date.now(), fooBuckets, 200, 10_000);
        await waitUntil(() => pollerOnFoo!.reads >= 50, 10_000, 'fifty reads through foo');
      } finally {
        await pollerOnFoo?.stop();
        await pollerOnBar.stop();
        await load.stop();
      }
    });
    const failover = failoverMs(ledger, pausedAt, fooBuckets);
    const { maxLatencyMs } = ledger.summary(start);
    describeLoad(ledger, 'hang: sent before SIGSTOP', start, pausedAt);
    describeLoad(ledger, 'hang: sent while foo was paused', pausedAt, resumedAt);
    describeLoad(ledger, 'hang: sent after SIGCONT', resumedAt);
    console.log(`hang: from SIGSTOP of foo to the first acknowledged write on foo's buckets: ${failover} ms; foo paused for ${resumedAt - pausedAt} ms; longest write ${maxLatencyMs} ms (call timeout ${callTimeoutMs} ms)`);
    const tookOverAt = cluster.findLog('bar', tookOver, {}, pausedAt)?.time;
    if (tookOverAt !== undefined) describeService(ledger, `hang: bar took over at +${tookOverAt - pausedAt} ms; from then until SIGCONT`, tookOverAt, resumedAt, pausedAt);
    console.log(`hang: reads of foo's buckets through the client on foo after SIGCONT: ${readsOnFoo.keys} keys, the first answered ${readsOnFoo.firstReadMs} ms after SIGCONT, ` +
      `stale ${readsOnFoo.stale.length}, unexpected ${readsOnFoo.unexpected.length}, errors ${readsOnFoo.errors.length}` + lines([...readsOnFoo.stale, ...readsOnFoo.unexpected, ...readsOnFoo.errors]));
    for (const [where, poller] of [['bar', pollerOnBar], ['foo', pollerOnFoo]] as const) {
      console.log(`hang: a poller of ${polledBucket} ${polledKey} through ${where}: ${poller?.reads ?? 0} reads, ${poller?.violations.length ?? 0} went back or stale, ${poller?.errors.length ?? 0} errors` +
        lines([...(poller?.violations ?? []), ...new Set(poller?.errors ?? [])]));
    }
    debugWrites(ledger, pausedAt, fooBuckets);
    const results = await readEverything(cluster, ledger, nodeNames, 'hang');
    console.log(nodeNames.map((node) => results[node]!.report).join('\n'));
    console.log(`hang: events\n${cluster.timeline(pausedAt)}`);
    describeVotes(cluster, 'hang');

    expect(failed).toEqual([]);
    expect(load.failures).toEqual([]);
    expectIntact(results, nodeNames);
    expect(failover).toBeLessThan(failoverBoundMs);
    expect(maxLatencyMs).toBeLessThan(callTimeoutMs + 1000);
    expect(readsOnFoo.stale).toEqual([]);
    expect(readsOnFoo.unexpected).toEqual([]);
    expect(pollerOnBar.violations).toEqual([]);
    expect(pollerOnFoo?.violations).toEqual([]);
  });
});

describe('a primary partitioned from both other nodes while clients write through all three', () => {
  let cluster: ReplicationCluster;
  const ledger = new Ledger(clients, keysPerBucket);
  clusterForBlock((started) => (cluster = started));

  test('after healing no acknowledged write is lost, every node returns the same value for every key, and the copies on disk agree', async () => {
    const start = Date.now();
    const onNode: NodeName[] = Array.from({ length: clients }, (_, index) => nodeNames[index % nodeNames.length]!);
    const load = new Load(cluster, ledger, onNode);
    let cutAt = 0;
    let healedAt = 0;
    const failed = await phases(async () => {
      try {
        await acksSince(ledger, start, buckets, 200, 10_000);
        cutAt = Date.now();
        cluster.cut('foo');
        try {
          // Failover (bar takes foo's buckets over), then a bounded amount of further load.
          await acksSince(ledger, cutAt, fooBuckets, 1, 10_000);
          await keepLoading(2000);
        } finally {
          healedAt = Date.now();
          cluster.heal('foo');
        }
        await acksSince(ledger, healedAt, buckets, 200, 10_000);
      } finally {
        await load.stop();
      }
    });
    const stoppedAt = Date.now();
    const failover = failoverMs(ledger, cutAt, fooBuckets);
    describeLoad(ledger, 'partition: sent before the cut', start, cutAt);
    for (const node of nodeNames) {
      const during = ledger.writes.filter((write) => write.node === node && write.sentAt >= cutAt && write.sentAt < healedAt);
      console.log(`partition: sent during the cut through ${node}: ${during.length} writes, ${during.filter((write) => write.reply === 'OK').length} acknowledged`);
    }
    describeLoad(ledger, 'partition: sent during the cut', cutAt, healedAt);
    describeLoad(ledger, 'partition: sent after healing', healedAt);
    console.log(`partition: from the cut to the first acknowledged write on foo's buckets: ${failover} ms; cut for ${healedAt - cutAt} ms`);
    const tookOverAt = cluster.findLog('bar', tookOver, {}, cutAt)?.time;
    if (tookOverAt !== undefined) describeService(ledger, `partition: bar took over at +${tookOverAt - cutAt} ms; from then until healed`, tookOverAt, healedAt, cutAt);
    debugWrites(ledger, cutAt, fooBuckets);

    // Once healed, reads through the three nodes must come to agree on every key.
    let rounds = 0;
    let results: Awaited<ReturnType<typeof readEverything>> = {};
    const disagreeing = (): string[] => ledger.keys().flatMap(([bucket, key]) => {
      const values = nodeNames.map((node) => results[node]?.reads.get(id(bucket, key)));
      const same = values.every((read) => read !== undefined && 'value' in read && read.value === (values[0] as { value?: string }).value);
      return same ? [] : [`${id(bucket, key)}: ${values.map((read, index) => `${nodeNames[index]} ${JSON.stringify(read)}`).join(', ')}`];
    });
    await waitUntil(async () => {
      rounds++;
      results = await readEverything(cluster, ledger, nodeNames, `partition: round ${rounds}`, 0);
      return disagreeing().length === 0;
    }, 15_000, 'the three nodes to agree on every key').catch(() => undefined);
    console.log(nodeNames.map((node) => results[node]!.report).join('\n'));
    console.log(`partition: ${rounds} round(s) of reads through all three nodes, ${Date.now() - stoppedAt} ms after the load stopped; keys on which they disagree: ${disagreeing().length}` + lines(disagreeing()));

    // The copies themselves: once the newest replication event of each of foo's buckets is foo caught up
    // (no takeover or deposed primary after it), stop the nodes and open each data directory.
    const backInSync = (bucket: string): boolean => {
      const last = cluster.lastReplicationEvent(bucket, healedAt);
      return last?.msg === caughtUp && last.copy === 'foo';
    };
    await waitUntil(() => fooBuckets.every(backInSync), 10_000, "foo back in sync for its buckets").catch(() => undefined);
    const repaired = fooBuckets.map(backInSync);
    console.log(`partition: foo back in sync (the newest replication event is "caught up") for ${fooBuckets.filter((_, index) => repaired[index]).join(', ') || 'none'} of its buckets`);
    console.log(`partition: events\n${cluster.timeline(cutAt)}`);
    describeVotes(cluster, 'partition');
    const exits = await cluster.terminate();
    const onDisk = new Map<NodeName, Map<string, string | undefined>>();
    for (const node of nodeNames) {
      const store = await createStore({ storage: { type: 'file', dir: cluster.dataDir(node) } });
      try {
        const values = new Map<string, string | undefined>();
        const existing = new Set(await store.buckets());
        for (const bucket of buckets.filter((name) => existing.has(name))) {
          const keys = ledger.keys((name) => name === bucket).map(([, key]) => key);
          (await store.getMany(bucket, keys)).forEach((value, index) => values.set(id(bucket, keys[index]!), value));
        }
        onDisk.set(node, values);
      } finally {
        await store.stop();
      }
    }
    const holders: Record<string, NodeName[]> = { apples: ['foo', 'bar'], melons: ['foo', 'bar'], nuts: ['bar', 'baz'], pears: ['bar', 'baz'] };
    const disagreeOnDisk = ledger.keys().flatMap(([bucket, key]) => {
      const values = holders[bucket]!.map((node) => onDisk.get(node)!.get(id(bucket, key)));
      return values.every((value) => value === values[0]) ? [] : [`${id(bucket, key)}: ${holders[bucket]!.map((node, index) => `${node} ${values[index]}`).join(', ')}`];
    });
    console.log(`partition: exit codes ${JSON.stringify(exits)}; keys whose copies on disk disagree: ${disagreeOnDisk.length}` + lines(disagreeOnDisk));

    expect(failed).toEqual([]);
    expect(load.failures).toEqual([]);
    expect(disagreeing()).toEqual([]);
    expectIntact(results, nodeNames);
    expect(failover).toBeLessThan(failoverBoundMs);
    expect(repaired).toEqual(fooBuckets.map(() => true));
    expect(disagreeOnDisk).toEqual([]);
  });
});

// A partitioned primary whose client writes during the cut proposes an epoch
// that nobody hears but that it promised itself (its step cannot reach the
// copy, so it tries a configuration without it). Once healed, the copy that
// took over (bar) sends it a full copy under its own, older epoch, and foo
// refuses it: older than its promise. bar used to take that for "another node
// took over" and stop serving, though no newer configuration was ever
// accepted, and nobody took the bucket back until a call entered through foo.
// Now a refusal by promise makes the primary settle a newer epoch with a
// majority (it steps down only if that majority accepted another primary).
describe('a partitioned primary whose own clients wrote during the cut, healed, then left alone', () => {
  let cluster: ReplicationCluster;
  clusterForBlock((started) => (cluster = started));

  test('its copy goes on serving its buckets and brings it back in sync, with no call entering through it', async () => {
    const [onFoo, onBar, onBaz] = await Promise.all(nodeNames.map((node) => cluster.connect(node)));
    expect(await ask(onBar, 'PUT apples k 1')).toBe('OK');
    const cutAt = Date.now();
    cluster.cut('foo');
    // bar takes apples over (after one request timeout); foo's own client writes and cannot reach a copy.
    expect(await ask(onBar, 'PUT apples k 2')).toBe('OK');
    const throughFoo = [await ask(onFoo, 'PUT apples k 3')];
    expect(await ask(onBar, 'PUT apples k 4')).toBe('OK');
    const healedAt = Date.now();
    cluster.heal('foo');
    onFoo.destroy();

    // No client calls anything now: the primary (bar) should add foo back as soon as it can reach it
    // (repairs run every half request timeout), and nothing should happen to the bucket after that.
    const settled = () => cluster.lastReplicationEvent('apples', healedAt)?.msg === caughtUp;
    const inSync = await waitUntil(settled, 5000, 'apples back in sync').then(() => true, () => false);
    const replies: Record<string, number> = {};
    let value = 5;
    for (let index = 0; index < 20; index++) {
      const reply = (await ask(index % 2 === 0 ? onBaz : onBar, `PUT apples k ${value++}`)) ?? 'no reply';
      replies[reply] = (replies[reply] ?? 0) + 1;
    }
    const reads = await Promise.all([onBar, onBaz].map((client) => get(client, 'apples', 'k')));
    console.log(`left alone: cut for ${healedAt - cutAt} ms; writes through foo during the cut: ${JSON.stringify(throughFoo)}; ` +
      `foo back in sync within 5 s of healing: ${inSync}; then 20 writes through bar and baz: ${JSON.stringify(replies)}; reads through bar and baz: ${JSON.stringify(reads)}`);
    console.log(`left alone: events\n${cluster.timeline(cutAt)}`);
    console.log(`left alone: votes on apples` + lines(nodeNames.map((node) => `${node}: ${cluster.votes(node, 'apples')}`)));

    expect(throughFoo.every((reply) => reply?.startsWith('ERROR'))).toBe(true);
    expect(inSync).toBe(true);
    expect(replies).toEqual({ OK: 20 });
    expect(reads).toEqual([{ value: String(value - 1) }, { value: String(value - 1) }]);
  });
});
