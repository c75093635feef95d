// OutageLog: a repeated failure is logged first in full, then in summaries at
// growing intervals, then once when it is over. A table over a fake clock.

import { firstSummaryMs, maxSummaryMs, OutageLog, type FailureReport } from '../lib/core/outage-log';

/** Fails at each of `times` (ms); returns what to log at each. */
function failuresAt(times: number[]): Array<FailureReport | undefined> {
  let now = 0;
  const log = new OutageLog(() => now);
  return times.map((at) => {
    now = at;
    return log.failed();
  });
}

test.each<[string, number[], Array<FailureReport | undefined>]>([
  ['the first failure is logged at once', [0], [{ kind: 'first' }]],
  ['retries within the first interval are quiet', [0, 100, 2000, firstSummaryMs - 1], [{ kind: 'first' }, undefined, undefined, undefined]],
  ['then one summary: attempts since the first failure', [5, 1000, firstSummaryMs + 5], [{ kind: 'first' }, undefined, { kind: 'summary', attempts: 3, since: 5 }]],
  [
    'each interval twice the last',
    [0, firstSummaryMs, 2 * firstSummaryMs, 3 * firstSummaryMs - 1, 3 * firstSummaryMs, 6 * firstSummaryMs, 7 * firstSummaryMs],
    [{ kind: 'first' }, { kind: 'summary', attempts: 2, since: 0 }, undefined, undefined, { kind: 'summary', attempts: 5, since: 0 }, undefined, { kind: 'summary', attempts: 7, since: 0 }],
  ],
])('%s', (_name, times, expected) => {
  expect(failuresAt(times)).toEqual(expected);
});

test('a retry every 2 s for an hour: a handful of lines, and the interval stops growing at its cap', () => {
  let now = 0;
  const log = new OutageLog(() => now);
  const reports: number[] = [];
  for (now = 0; now <= 3_600_000; now += 2000) if (log.failed()) reports.push(now);
  expect(reports.length).toBeLessThan(15);
  const gaps = reports.slice(1).map((at, index) => at - reports[index]!);
  expect(Math.max(...gaps)).toBeLessThanOrEqual(maxSummaryMs + 2000);
  expect(gaps.at(-1)).toBeGreaterThanOrEqual(maxSummaryMs);
});

test('recovering ends the outage once, with its figures; the next failure starts a new one', () => {
  let now = 0;
  const log = new OutageLog(() => now);
  expect(log.recovered()).toBeUndefined();
  log.failed();
  now = 700;
  log.failed();
  now = 900;
  expect(log.recovered()).toEqual({ attempts: 2, since: 0 });
  expect(log.recovered()).toBeUndefined();
  now = 1000;
  expect(log.failed()).toEqual({ kind: 'first' });
  now = 1000 + firstSummaryMs;
  expect(log.failed()).toEqual({ kind: 'summary', attempts: 2, since: 1000 });
});
