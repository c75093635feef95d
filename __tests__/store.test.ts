// createStore's own checks of its options. What a running store does is the
// conformance suite's (support/store-conformance.ts), which every target runs
// (store-conformance-*.test.ts).

import { createStore } from '../lib';
import { rejection } from './support/rejection';

describe('bad options', () => {
  test.each([
    ['a negative timeout', { callTimeoutMs: -1 }, 'callTimeoutMs'],
    // Node would fire it after 1 ms: every call would time out at once.
    ['a timeout longer than a timer can wait', { callTimeoutMs: 2 ** 31 }, 'callTimeoutMs` must be at most 2147483647 ms'],
  ])('%s is refused, naming the option', async (_name, options, mention) => {
    const error = await rejection(createStore(options));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(mention);
  });
});
