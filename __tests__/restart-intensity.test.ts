import { decideRestart } from '../lib/actors/restart-intensity';
import { actorNameFor } from '../lib/actors/actor-name';
import fc from 'fast-check';

const limits = { maxRestarts: 3, withinMs: 5000 };

describe('restart intensity (3 restarts in 5 s)', () => {
  test.each([
    ['a first crash restarts', [], 10_000, 'restart', [10_000]],
    ['a third crash in the window restarts', [8_000, 9_000], 10_000, 'restart', [8_000, 9_000, 10_000]],
    ['a fourth crash in the window gives up', [7_000, 8_000, 9_000], 10_000, 'give-up', [7_000, 8_000, 9_000, 10_000]],
    ['crashes older than the window are forgotten', [1_000, 2_000, 9_000], 10_000, 'restart', [9_000, 10_000]],
    ['a crash exactly at the window edge is forgotten', [5_000, 8_000, 9_000], 10_000, 'restart', [8_000, 9_000, 10_000]],
  ])('%s', (_name, recent, now, decision, window) => {
    expect(decideRestart(recent, now, limits)).toEqual({ decision, recentCrashes: window });
  });

  test('a limit of 0 gives up at the first crash', () => {
    expect(decideRestart([], 1, { maxRestarts: 0, withinMs: 5000 }).decision).toBe('give-up');
  });
});

describe('actor names for buckets', () => {
  test.each([
    ['shopping', 'shopping'],
    ['awesome-list', 'awesome-list'],
    ['a b', 'a$0020b'],
    ['$', '$0024'],
    ['ü', '$00fc'],
    ['a/b', 'a$002fb'],
    ['\ud800', '$d800'],
  ])('%j becomes %j', (bucket, name) => {
    expect(actorNameFor(bucket)).toBe(name);
  });

  test('distinct buckets never share an actor name, and names are valid for nact', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'binary' }), fc.string({ minLength: 1, unit: 'binary' }), (a, b) => {
        fc.pre(a !== b);
        expect(actorNameFor(a)).not.toBe(actorNameFor(b));
        expect(actorNameFor(a)).toMatch(/^[a-z0-9-$_.+!*'(),]+$/i);
      }),
    );
  });
});
