// The Redis key layout as tables: a bucket's three keys share one hash tag by
// Redis Cluster's own rule (so every command on a bucket stays on one slot),
// its marker names it back, and the scan pattern finds markers only.

import fc from 'fast-check';
import { globMatcher } from '../lib/core/glob';
import { bucketKeys, bucketOfMetaKey, clusterPrefixProblem, metaKeyPattern } from '../lib/storage/redis-keys';

/** The part of `key` Redis Cluster hashes: the first {...} with something inside, else the whole key. */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

const awkwardNames = ['shopping', '}', '{', '{}', '}{', 'a}b', '}:meta', 'x}:meta}:data', '*', '[a-z]', '\\', 'b:', 'ünï', '\u00ff\u00fe'];

test.each(awkwardNames)('the keys of bucket %j share one non-empty hash tag, and its marker names it back', (name) => {
  const keys = bucketKeys('actor-kv:n1:', name);
  const tags = [keys.data, keys.deadlines, keys.meta].map(hashedPart);
  expect(new Set(tags).size).toBe(1);
  expect(tags[0]).not.toBe(keys.data); // a real tag, not the whole key
  expect(new Set([keys.data, keys.deadlines, keys.meta]).size).toBe(3);
  expect(bucketOfMetaKey('actor-kv:n1:', keys.meta)).toBe(name);
});

test('any name and prefix without a brace: the tag holds, and the marker names the bucket back', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1 }), fc.string().filter((prefix) => !prefix.includes('{')), (name, prefix) => {
      const keys = bucketKeys(prefix, name);
      expect(new Set([keys.data, keys.deadlines, keys.meta].map(hashedPart)).size).toBe(1);
      expect(bucketOfMetaKey(prefix, keys.meta)).toBe(name);
    }),
  );
});

test.each([
  ['p:{b:shopping}:meta', 'shopping'],
  ['p:{b:shopping}:data', undefined],
  ['p:{b:shopping}:expiry', undefined],
  ['q:{b:shopping}:meta', undefined],
  ['p:{b:}:meta', ''],
  ['p:{b:meta', undefined],
  ['p:bucket:shopping', undefined],
])('%j is the marker of %j under prefix p:', (key, bucket) => {
  expect(bucketOfMetaKey('p:', key)).toBe(bucket);
});

test.each(['actor-kv:n1:', 'odd*prefix?:', 'br[a]cket\\:', ''])('the scan pattern under prefix %j matches markers and nothing else of the layout', (prefix) => {
  const matches = globMatcher(metaKeyPattern(prefix));
  for (const name of awkwardNames) {
    const keys = bucketKeys(prefix, name);
    expect(matches(keys.meta)).toBe(true);
    expect(matches(keys.data)).toBe(false);
    expect(matches(keys.deadlines)).toBe(false);
  }
  expect(matches(bucketKeys(`${prefix}other:`, 'x').meta)).toBe(false); // another prefix's markers are not ours
});

test.each([
  ['actor-kv:n1:', undefined],
  ['kv}', undefined],
  ['kv{', expect.stringContaining('one slot')],
  ['kv{x}:', expect.stringContaining('one slot')],
])('prefix %j on a Redis Cluster: %p', (prefix, problem) => {
  expect(clusterPrefixProblem(prefix)).toEqual(problem);
});
