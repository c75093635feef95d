// Runs a parsed request against the Store (the guide's KVServer.Command.run).
// It calls the store synchronously, so every request of one turn reaches the
// store in the same turn and the store batches them per bucket.

import { wallNow } from '../core/clock';
import { binaryToBuffer, toBinary } from '../core/bytes';
import { toErrorData } from '../errors';
import type { KeyPage, Outcome, Store } from '../store';
import type { Reply } from './format';
import { observe } from './observer/observed';
import { defaultObserverOptions } from './observer/options';
import { treeText } from './observer/tree-text';
import type { Command, Parsed } from './parse';

const unknownReply: Reply = { kind: 'unknown' };

/**
 * Runs one request and calls `answer` with its reply exactly once: at once for
 * an unknown command, else when the store answers. Never throws. Key
 * operations use the store's callback form, so a request costs no promise.
 */
export function run(store: Store, parsed: Parsed, answer: (reply: Reply) => void): void {
  switch (parsed.kind) {
    case 'unknown':
      return answer(unknownReply);
    case 'create':
      return settlePromise(parsed, store.create(binaryToBuffer(parsed.bucket)), answer);
    case 'drop':
      return settlePromise(parsed, store.drop(binaryToBuffer(parsed.bucket)), answer);
    case 'put':
      return store.submit(parsed.bucket, { kind: 'put', key: parsed.key, value: parsed.value }, (outcome) => answer(replyOf(parsed, outcome)));
    case 'get':
    case 'delete':
    case 'ttl':
      return store.submit(parsed.bucket, { kind: parsed.kind, key: parsed.key }, (outcome) => answer(replyOf(parsed, outcome)));
    case 'expire': {
      // As Redis: a deadline of 0 seconds deletes the key now.
      const expiresAt = parsed.seconds === 0 ? 1 : wallNow() + parsed.seconds * 1000;
      return store.submit(parsed.bucket, { kind: 'expire', key: parsed.key, expiresAt }, (outcome) => answer(replyOf(parsed, outcome)));
    }
    case 'keys':
      return scanKeys(store, parsed, 0, [], answer);
    case 'buckets':
      return settlePromise(parsed, store.bucketsBuffer().then((names) => names.map((name) => name.toString('latin1'))), answer);
    case 'tree':
      return settlePromise(parsed, treeLines(store), answer);
    case 'ping':
    case 'quit':
    case 'auth': // answered by the connection (auth.ts); never issued to the store
      return answer({ kind: 'done', command: parsed, value: undefined });
  }
}

/** Every node's supervision tree as the observer draws it for a terminal, a line each (as binary strings). */
async function treeLines(store: Store): Promise<string[]> {
  const observed = observe(store.node, await store.clusterTree(), store.clusterStatus(), wallNow(), defaultObserverOptions.restartingMs);
  return treeText(observed).trimEnd().split('\n').map((line) => toBinary(line));
}

/** Pages through the bucket's keys and answers them all at once. */
function scanKeys(store: Store, command: Command & { kind: 'keys' }, cursor: number, found: string[], answer: (reply: Reply) => void): void {
  store.submit(command.bucket, { kind: 'keys', cursor, count: keysPerPage }, (outcome) => {
    if (!outcome.ok) return answer({ kind: 'failed', error: outcome.error });
    const page = outcome.value as KeyPage;
    for (const key of page.keys) found.push(key);
    if (page.cursor === 0) answer({ kind: 'done', command, value: found });
    else scanKeys(store, command, page.cursor, found, answer);
  });
}

/** Keys per page of a KEYS scan: big enough to be few messages, small enough to be a short pause for the bucket. */
const keysPerPage = 1000;

function settlePromise(command: Command, result: Promise<unknown>, answer: (reply: Reply) => void): void {
  result.then(
    (value) => answer({ kind: 'done', command, value: value as string[] | undefined }),
    (thrown: unknown) => answer({ kind: 'failed', error: toErrorData(thrown) }),
  );
}

function replyOf(command: Command, outcome: Outcome): Reply {
  return outcome.ok ? { kind: 'done', command, value: outcome.value as string | number | boolean | undefined } : { kind: 'failed', error: outcome.error };
}
