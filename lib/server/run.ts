// Runs a parsed request against the Store (the guide's KVServer.Command.run).
// It calls the store synchronously, so every request of one turn reaches the
// store in the same turn and the store batches them per bucket.

import { binaryToBuffer } from '../core/bytes';
import { toErrorData } from '../errors';
import type { Outcome, Store } from '../store';
import type { Reply } from './format';
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
      return create(store, parsed, answer);
    case 'put':
      return store.submit(parsed.bucket, { kind: 'put', key: parsed.key, value: parsed.value }, (outcome) => answer(replyOf(parsed, outcome)));
    case 'get':
    case 'delete':
      return store.submit(parsed.bucket, { kind: parsed.kind, key: parsed.key }, (outcome) => answer(replyOf(parsed, outcome)));
  }
}

function create(store: Store, command: Command & { kind: 'create' }, answer: (reply: Reply) => void): void {
  store.create(binaryToBuffer(command.bucket)).then(
    () => answer({ kind: 'done', command, value: undefined }),
    (thrown: unknown) => answer({ kind: 'failed', error: toErrorData(thrown) }),
  );
}

function replyOf(command: Command, outcome: Outcome): Reply {
  return outcome.ok ? { kind: 'done', command, value: typeof outcome.value === 'string' ? outcome.value : undefined } : { kind: 'failed', error: outcome.error };
}
