// Runs a parsed request against the Store (the guide's KVServer.Command.run).
// It calls the store synchronously, so every request of one data chunk reaches
// the store in the same turn and the store batches them per bucket.

import { toErrorData } from '../errors';
import type { Store } from '../store';
import type { Reply } from './format';
import type { Command, Parsed } from './parse';

const unknownReply: Reply = { kind: 'unknown' };

/** The reply to one request: at once for an unknown command, else when the store answers. Never rejects. */
export function run(store: Store, parsed: Parsed): Reply | Promise<Reply> {
  if (parsed.kind === 'unknown') return unknownReply;
  let call: Promise<string | undefined | void>;
  try {
    call = callStore(store, parsed);
  } catch (thrown) {
    return { kind: 'failed', error: toErrorData(thrown) };
  }
  return call.then(
    (value) => ({ kind: 'done', command: parsed, value: value ?? undefined }),
    (thrown: unknown) => ({ kind: 'failed', error: toErrorData(thrown) }),
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
