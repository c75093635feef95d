// Commands on names, whatever they hold: a name is a string key (in the
// strings bucket), a hash (a bucket), or, unlike Redis, both at once; each
// command acts on both. The expiry commands are in expiry-commands.ts.

import { isBucketName } from '../../core/bytes';
import { globMatcher } from '../../core/glob';
import { toErrorData } from '../../errors';
import type { KeyPage } from '../../store';
import { answerPromise, type Answer, type CommandContext, type CommandSpec } from './command';
import { askStrings } from './strings-bucket';
import { invalidCursor, parseCursor, parseScanOptions } from './scan-options';
import { array, bulk, bulks, error, integer, ok, simple } from './reply';

/** Whether `name` is a hash: a bucket (other than the strings bucket) with at least one field, as Redis has no empty hash. */
export async function isHash(context: CommandContext, name: string): Promise<boolean> {
  if (!isBucketName(name) || name === context.options.stringsBucket) return false;
  return new Promise((resolve, reject) =>
    context.store.submit(name, { kind: 'size' }, (outcome) => {
      if (outcome.ok) return resolve((outcome.value as number) > 0);
      if (outcome.error.code === 'NOT_FOUND') return resolve(false);
      reject(outcome.error);
    }),
  );
}

/**
 * Drops the bucket `name` if there is one; resolves with whether it was a
 * hash. A bucket emptied by HDEL goes too, but counts for nothing: Redis had
 * already removed that hash with its last field.
 */
async function dropHash(context: CommandContext, name: string): Promise<boolean> {
  if (!isBucketName(name) || name === context.options.stringsBucket) return false;
  const wasHash = await isHash(context, name);
  context.listener.knownBuckets.delete(name);
  try {
    await context.store.drop(Buffer.from(name, 'latin1'));
    return wasHash;
  } catch (thrown) {
    if (toErrorData(thrown).code === 'NOT_FOUND') return false;
    throw thrown;
  }
}

/** DEL and UNLINK: each name's string key and bucket go; a name counts once. */
async function del(context: CommandContext, names: readonly string[]): Promise<string> {
  let removed = 0;
  for (const name of new Set(names)) {
    const [value, dropped] = await Promise.all([askStrings<string | undefined>(context, { kind: 'delete', key: name }), dropHash(context, name)]);
    if (value !== undefined || dropped) removed++;
  }
  return integer(removed);
}

async function exists(context: CommandContext, names: readonly string[]): Promise<string> {
  const found = await Promise.all(names.map(async (name) => (await askStrings<boolean>(context, { kind: 'has', key: name })) || isHash(context, name)));
  return integer(found.filter(Boolean).length);
}

async function type(context: CommandContext, name: string): Promise<string> {
  if (await askStrings<boolean>(context, { kind: 'has', key: name })) return simple('string');
  return simple((await isHash(context, name)) ? 'hash' : 'none');
}

/** Every string key matching `match`, a page at a time. */
async function allStringKeys(context: CommandContext, match: string | undefined): Promise<string[]> {
  const found: string[] = [];
  let cursor = 0;
  do {
    const page = await askStrings<KeyPage>(context, { kind: 'keys', cursor, count: 1000, ...(match === undefined ? {} : { match }) });
    found.push(...page.keys);
    cursor = page.cursor;
  } while (cursor !== 0);
  return found;
}

/** The buckets' names matching `match`, the strings bucket left out. */
async function hashNames(context: CommandContext, match: string | undefined): Promise<string[]> {
  const matches = match === undefined ? () => true : globMatcher(match);
  const names = (await context.store.bucketsBuffer()).map((name) => name.toString('latin1'));
  return names.filter((name) => name !== context.options.stringsBucket && matches(name));
}

async function keys(context: CommandContext, pattern: string): Promise<string> {
  const [hashes, strings] = await Promise.all([hashNames(context, pattern), allStringKeys(context, pattern)]);
  return bulks([...new Set([...hashes, ...strings])]);
}

/**
 * SCAN: cursor 0 returns every hash name and the first page of string keys;
 * the cursor it returns is the string keys' (0 once they are done).
 */
function scan(context: CommandContext, args: readonly string[], answer: Answer): void {
  const cursor = parseCursor(args[1]!);
  if (cursor === undefined) return answer(invalidCursor);
  const options = parseScanOptions(args, 2, true);
  if (typeof options === 'string') return answer(options);
  const { match, count, type: wanted } = options;
  answerPromise(
    (async () => {
      const hashes = cursor === 0 && wanted !== 'string' ? await hashNames(context, match) : [];
      const page = wanted === undefined || wanted === 'string' ? await askStrings<KeyPage>(context, { kind: 'keys', cursor, count, ...(match === undefined ? {} : { match }) }) : { cursor: 0, keys: [] };
      return array([bulk(String(page.cursor)), bulks([...hashes, ...page.keys])]);
    })(),
    answer,
  );
}

/** DBSIZE: the string keys and the hashes, an empty bucket not counted (Redis has no empty hash). One size call per bucket. */
async function dbsize(context: CommandContext): Promise<string> {
  const [hashes, strings] = await Promise.all([hashNames(context, undefined), askStrings<number>(context, { kind: 'size' })]);
  const nonEmpty = await Promise.all(hashes.map((name) => isHash(context, name)));
  return integer(nonEmpty.filter(Boolean).length + strings);
}

/** FLUSHDB and FLUSHALL: every bucket dropped but the strings bucket, which is emptied. Only when allowed. */
async function flush(context: CommandContext): Promise<string> {
  if (!context.options.allowFlush) return error('ERR', 'FLUSHDB is disabled on this node: start it with --resp-allow-flush (resp.allowFlush) to allow it');
  for (const name of await hashNames(context, undefined)) await dropHash(context, name);
  await askStrings(context, { kind: 'clear' });
  return ok;
}

const promised = <A extends unknown[]>(body: (context: CommandContext, ...rest: A) => Promise<string>, pick: (args: readonly string[]) => A): CommandSpec['run'] =>
  (context, args, answer) => answerPromise(body(context, ...pick(args)), answer);
/** Each of these takes several steps: the requests after it wait, so they cannot come between its steps. */
const barrier = () => true;
const all = (args: readonly string[]): [readonly string[]] => [args.slice(1)];
const first = (args: readonly string[]): [string] => [args[1]!];
const none = (): [] => [];

export const keyspaceCommands: Record<string, CommandSpec> = {
  del: { arity: -2, flags: ['write'], keys: [1, -1, 1], barrier, run: promised(del, all) },
  unlink: { arity: -2, flags: ['write', 'fast'], keys: [1, -1, 1], barrier, run: promised(del, all) },
  exists: { arity: -2, flags: ['readonly', 'fast'], keys: [1, -1, 1], barrier, run: promised(exists, all) },
  type: { arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], barrier, run: promised(type, first) },
  keys: { arity: 2, flags: ['readonly'], barrier, run: promised(keys, first) },
  scan: { arity: -2, flags: ['readonly'], barrier, run: scan },
  dbsize: { arity: 1, flags: ['readonly', 'fast'], barrier, run: promised(dbsize, none) },
  flushdb: { arity: -1, flags: ['write'], barrier, run: promised(flush, none) },
  flushall: { arity: -1, flags: ['write'], barrier, run: promised(flush, none) },
};
