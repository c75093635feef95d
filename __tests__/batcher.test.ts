// The batcher's bookkeeping under a clock it does not control: at most one
// message in flight per bucket, and calls that time out only on their own
// deadline. Jest's fake timers drive the clock (they fake performance.now).

import { Batcher, BucketQueue, type BatchAnswer } from '../lib/actors/batcher';
import type { BucketOp, Outcome } from '../lib/core/operations';
import type { Settle } from '../lib/core/settle';

const timeoutMs = 100;
const get = (key: string): BucketOp => ({ kind: 'get', key });

/** A batcher and one bucket queue whose sends are recorded and answered by the test. */
function recordingBatcher() {
  const sent: Array<{ keys: string[]; answer: BatchAnswer }> = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const batcher = new Batcher(
    (_bucket, ops, _deadline, answer) => {
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      sent.push({ keys: ops.map((op) => (op as { key: string }).key), answer: (outcome) => (inFlight--, answer(outcome)) });
    },
    timeoutMs,
    (bucket) => ({ code: 'TIMEOUT', message: `bucket ${bucket} timed out` }),
  );
  const queue = new BucketQueue('b');
  // Each call's outcome code by name; `then` runs inside its settle.
  const codes: Record<string, string> = {};
  const record = (name: string, then?: () => void): Settle => (outcome: Outcome) => {
    codes[name] = outcome.ok ? 'ok' : outcome.error.code;
    then?.();
  };
  return { batcher, queue, sent, mostInFlight: () => mostInFlight, codes, record };
}

/** Lets the batcher's microtasks run (only the clock and timers are fake). */
const flushMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

beforeEach(() => jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] }));
afterEach(() => jest.useRealTimers());

test('a call made while an expired batch is being failed joins no expired batch and starts no second send', async () => {
  const { batcher, queue, sent, mostInFlight, codes, record } = recordingBatcher();
  batcher.submit(queue, get('first'), record('first'));
  await flushMicrotasks(); // first is in flight
  // Two more batches queue behind it: 'a' (closed by a crash op) and 'b'.
  batcher.submit(queue, get('a'), record('a', () => batcher.submit(queue, get('a-again'), record('a-again'))));
  batcher.submit(queue, { kind: 'crash', reason: 'closes the batch' }, record('crash'));
  batcher.submit(queue, get('b'), record('b'));
  jest.advanceTimersByTime(timeoutMs + 50); // both waiting batches are now past their deadline
  sent[0]!.answer({ ok: true, value: [{ ok: true, value: undefined }] });
  await flushMicrotasks();
  // 'a' and 'b' failed on their deadline; 'a-again', made while they were failed, has its own time.
  expect(codes).toMatchObject({ first: 'ok', a: 'TIMEOUT', crash: 'TIMEOUT', b: 'TIMEOUT' });
  expect(codes['a-again']).toBeUndefined();
  expect(sent.map((send) => send.keys)).toEqual([['first'], ['a-again']]);
  // More calls wait behind the one in flight instead of going out beside it.
  batcher.submit(queue, get('c'), record('c'));
  await flushMicrotasks();
  expect(sent).toHaveLength(2);
  expect(mostInFlight()).toBe(1);
});

test('a call made while the first batch of an idle queue is failed for its time does not clear the send in flight', async () => {
  const { batcher, queue, sent, mostInFlight, codes, record } = recordingBatcher();
  batcher.submit(queue, get('a'), record('a', () => batcher.submit(queue, get('a-again'), record('a-again'))));
  // The loop is held up past the deadline before the batch could leave.
  jest.advanceTimersByTime(timeoutMs + 50);
  await flushMicrotasks();
  expect(codes).toEqual({ a: 'TIMEOUT' });
  expect(sent.map((send) => send.keys)).toEqual([['a-again']]);
  batcher.submit(queue, get('c'), record('c'));
  await flushMicrotasks();
  expect(sent).toHaveLength(1); // c waits behind a-again
  expect(mostInFlight()).toBe(1);
});
