// Runs a parsed request against the Store (the guide's KVServer.Command.run).
// It calls the store synchronously, so every request of one turn reaches the
// store in the same turn and the store batches them per bucket.

import { toErrorData } from '../errors';
import type { Store } from '../store';
import type { Reply } from './format';
import type { Command, Parsed } from './parse';

const unknownReply: Reply = { kind: 'unknown' };

/**
 * Runs one request and calls `answer` with its reply exactly once: at once for
 * an unknown command, else when the store answers. Never throws.
 */
export function run(store: Store, parsed: Parsed, answer: (reply: Reply) => void): void {
  if (parsed.kind === 'unknown') return answer(unknownReply);
  let call: Promise<string | undefined | void>;
  try {
    call = callStore(store, parsed);
  } catch (thrown) {
    return answer({ kind: 'failed', error: toErrorData(thrown) });
  }
  call.then(
    (value) => answer({ kind: 'done', command: parsed, value: value ?? undefined }),
    (thrown: unknown) => answer({ kind: 'failed', error: toErrorData(thrown) }),
  );
}

function callStore(store: Store, command: Command): Promise<string | undefined | void> {
  switch (command.kind) {
    case 'create':
      return store.create(command.bucket);
    case 'put':
      return store.put(command.bucket, command.key, command.value);
    case 'get':
      return store.get(command.bucket, command.key);
    case 'delete':
      return store.delete(command.bucket, command.key);
  }
}
