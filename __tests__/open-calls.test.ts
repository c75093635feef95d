// The open-call list behind the actors' calls and the cluster's requests:
// every call is answered exactly once, by its answer, its timeout or stop.

import { now } from '../lib/core/clock';
import { OpenCalls } from '../lib/core/open-calls';
import type { Outcome } from '../lib/core/operations';
import { waitUntil } from './support/deadlines';

const timedOut = (what: string) => ({ code: 'TIMEOUT' as const, message: `${what} timed out` });

/** Opens a call on `calls` that records its answers under `name` in `log`. */
function openCall(calls: OpenCalls, log: Array<[string, Outcome<string>]>, name: string, inMs: number) {
  return calls.open<string>((outcome) => log.push([name, outcome]), now() + inMs, name);
}

test('a call opened later with an earlier deadline times out at its own deadline, not the earlier call\'s', async () => {
  const calls = new OpenCalls(timedOut);
  const log: Array<[string, Outcome<string>]> = [];
  const started = now();
  const late = openCall(calls, log, 'late', 3000);
  openCall(calls, log, 'early', 20);
  await waitUntil(() => log.length === 1, undefined, 'the first call to time out');
  // Within the late call's deadline by far: the timer was re-armed for the early one.
  expect(now() - started).toBeLessThan(1500);
  expect(log).toEqual([['early', { ok: false, error: timedOut('early') }]]);
  calls.close(late, { ok: true, value: 'done' });
  expect(calls.size).toBe(0);
});

test('a call is answered once: a second answer, or one after its timeout, is ignored', async () => {
  const calls = new OpenCalls(timedOut);
  const log: Array<[string, Outcome<string>]> = [];
  const answered = openCall(calls, log, 'answered', 10_000);
  calls.close(answered, { ok: true, value: 'first' });
  calls.close(answered, { ok: true, value: 'second' });
  const expired = openCall(calls, log, 'expired', 10);
  await waitUntil(() => log.length === 2, undefined, 'the second call to time out');
  calls.close(expired, { ok: true, value: 'too late' });
  expect(log).toEqual([
    ['answered', { ok: true, value: 'first' }],
    ['expired', { ok: false, error: timedOut('expired') }],
  ]);
});

test('stop answers every open call with its error, and calls answered meanwhile keep theirs', () => {
  const calls = new OpenCalls(timedOut);
  const log: Array<[string, Outcome<string>]> = [];
  const handles = ['a', 'b', 'c'].map((name) => openCall(calls, log, name, 10_000));
  calls.close(handles[1]!, { ok: true, value: 'b done' });
  calls.stop({ code: 'STOPPED', message: 'stopped' });
  expect(log).toEqual([
    ['b', { ok: true, value: 'b done' }],
    ['a', { ok: false, error: { code: 'STOPPED', message: 'stopped' } }],
    ['c', { ok: false, error: { code: 'STOPPED', message: 'stopped' } }],
  ]);
  expect(calls.size).toBe(0);
});

test('an answer that throws during a sweep leaves the other calls with a timer', () => {
  jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
  try {
    const calls = new OpenCalls(timedOut);
    const log: Array<[string, Outcome<string>]> = [];
    calls.open<string>(() => {
      throw new Error('a bug in the caller');
    }, now() + 10, 'throws');
    openCall(calls, log, 'same deadline', 10);
    openCall(calls, log, 'later', 200);
    expect(() => jest.advanceTimersByTime(20)).toThrow('a bug in the caller');
    jest.advanceTimersByTime(1);
    expect(log).toEqual([['same deadline', { ok: false, error: timedOut('same deadline') }]]);
    jest.advanceTimersByTime(200);
    expect(log.map(([name]) => name)).toEqual(['same deadline', 'later']);
    expect(calls.size).toBe(0);
  } finally {
    jest.useRealTimers();
  }
});
