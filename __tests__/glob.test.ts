// Redis's glob patterns, as KEYS and SCAN MATCH use them.

import { globMatcher } from '../lib/core/glob';

test.each([
  ['*', 'anything', true],
  ['*', '', true],
  ['h?llo', 'hello', true],
  ['h?llo', 'hllo', false],
  ['h*llo', 'heeeello', true],
  ['h*llo', 'hllo', true],
  ['h[ae]llo', 'hallo', true],
  ['h[ae]llo', 'hillo', false],
  ['h[^e]llo', 'hallo', true],
  ['h[^e]llo', 'hello', false],
  ['h[a-b]llo', 'hbllo', true],
  ['h[b-a]llo', 'hallo', true],
  ['h[a-b]llo', 'hcllo', false],
  ['user:*', 'user:42', true],
  ['user:*', 'users:42', false],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'axb', false],
  ['a[b', 'a[b', true],
  ['a.b', 'axb', false],
  ['(x)+', '(x)+', true],
  ['line*', 'line\nbreak', true],
  ['\xff?', '\xff\x00', true],
])('%j matches %j: %s', (pattern, text, expected) => {
  expect(globMatcher(pattern)(text)).toBe(expected);
});
