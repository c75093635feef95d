// What metrics cost per operation: the store's CPU time per call with
// createStore({ metrics }) against without, in the same run (rounds
// alternate; the median of each is printed), and the counting alone (a
// closure, one record(), the clock read once per turn) in a tight loop. Prints figures;
// asserts nothing. `npm run bench:metrics`.

import { Registry } from 'prom-client';
import { createStore, type Store } from '../lib';
import { OperationCounts, turnNow } from '../lib/core/metrics';
import { printTable } from './measure';

const opsPerRound = 300_000;
const inFlight = 256;
const rounds = 5;
const buckets = 100;

/** CPU microseconds per call for `opsPerRound` puts and gets through submit(), `inFlight` at a time. */
async function cpuPerOp(store: Store): Promise<number> {
  let issued = 0;
  const started = process.cpuUsage();
  await new Promise<void>((done) => {
    let settled = 0;
    const issue = (): void => {
      const index = issued++;
      const bucket = `b${index % buckets}`;
      const op = index % 2 === 0 ? { kind: 'put' as const, key: `k${index % 1000}`, value: 'v' } : { kind: 'get' as const, key: `k${index % 1000}` };
      store.submit(bucket, op, () => {
        if (++settled === opsPerRound) return done();
        if (issued < opsPerRound) issue();
      });
    };
    for (let loop = 0; loop < inFlight; loop++) issue();
  });
  const used = process.cpuUsage(started);
  return (used.user + used.system) / opsPerRound;
}

async function storeWith(metrics: boolean): Promise<Store> {
  const store = await createStore(metrics ? { metrics: new Registry() } : {});
  for (let index = 0; index < buckets; index++) await store.create(`b${index}`);
  await cpuPerOp(store); // warm-up
  return store;
}

/** Nanoseconds per call of the counting a metered call adds, alone. */
function countingAlone(): number {
  const counts = new OperationCounts();
  const calls = 5_000_000;
  const settle = (_outcome: unknown) => {};
  const started = process.hrtime.bigint();
  for (let index = 0; index < calls; index++) {
    const begun = turnNow();
    const wrapped = (outcome: { ok: boolean }) => {
      counts.record('get', outcome.ok ? undefined : 'NOT_FOUND', turnNow() - begun);
      settle(outcome);
    };
    wrapped({ ok: true });
  }
  return Number(process.hrtime.bigint() - started) / calls;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  console.log(`bench/metrics: ${opsPerRound.toLocaleString('en-US')} puts and gets per round over ${buckets} buckets, ${inFlight} in flight, ${rounds} rounds each, alternating\n`);
  const plain = await storeWith(false);
  const metered = await storeWith(true);
  const without: number[] = [];
  const withMetrics: number[] = [];
  for (let round = 0; round < rounds; round++) {
    without.push(await cpuPerOp(plain));
    withMetrics.push(await cpuPerOp(metered));
  }
  await plain.stop();
  await metered.stop();
  const [off, on] = [median(without), median(withMetrics)];
  printTable(['store', 'CPU us/op (median)', 'rounds'], [
    ['without metrics', off.toFixed(3), without.map((value) => value.toFixed(3)).join(' ')],
    ['with metrics', on.toFixed(3), withMetrics.map((value) => value.toFixed(3)).join(' ')],
  ]);
  console.log(`metrics cost: ${((on - off) * 1000).toFixed(0)} ns of CPU per operation (difference of medians); the counting alone, in one turn (one clock reading): ${countingAlone().toFixed(0)} ns per call`);
}

void main();
