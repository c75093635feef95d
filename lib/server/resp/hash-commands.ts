// Redis hashes are buckets: the hash's name is the bucket's, its fields are the
// bucket's keys. A write to a missing hash creates the bucket first (Redis
// semantics; the text protocol keeps its NOT FOUND rule); a read of one reads
// as empty. The strings bucket is not a hash: hash commands on it answer WRONGTYPE.

import type { BucketOp, KeyPage, Outcome, StoredEntries } from '../../core/operations';
import { isBucketName } from '../../core/bytes';
import { parseInt64 } from '../../core/arguments';
import { toErrorData } from '../../errors';
import { encodeOutcome, notInteger, wrongArity, wrongType, type Answer, type CommandContext, type CommandSpec } from './command';
import { invalidCursor, parseCursor, parseScanOptions } from './scan-options';
import { array, bulk, bulks, emptyArray, error, integer, map, nil } from './reply';

/** Runs a read on the hash `bucket`; a missing hash answers `missing`. */
function readHash(context: CommandContext, bucket: string, op: BucketOp, encode: (value: never) => string, answer: Answer, missing: string): void {
  if (bucket === context.options.stringsBucket) return answer(wrongType);
  // A name that cannot be a bucket (a space in it, say) names no hash.
  if (!isBucketName(bucket)) return answer(missing);
  context.store.submit(bucket, op, (outcome) => answer(encodeOutcome(outcome, encode, missing)));
}

/**
 * Runs a write on the hash `bucket`, creating the bucket first unless this
 * listener knows it exists (then a NOT_FOUND, a bucket dropped meanwhile,
 * creates it and tries again).
 */
function writeHash(context: CommandContext, bucket: string, op: BucketOp, encode: (value: never) => string, answer: Answer): void {
  if (bucket === context.options.stringsBucket) return answer(wrongType);
  const { store, listener } = context;
  if (!listener.knownBuckets.has(bucket)) return createThenWrite(context, bucket, op, encode, answer);
  // The usual case, a known bucket: one closure per request, as it may wait a while in a busy bucket.
  store.submit(bucket, op, (outcome) => {
    if (!outcome.ok && outcome.error.code === 'NOT_FOUND') {
      listener.knownBuckets.delete(bucket);
      return createThenWrite(context, bucket, op, encode, answer);
    }
    answer(encodeOutcome(outcome, encode));
  });
}

/** Creates the hash's bucket (a no-op if it exists), then writes and remembers the bucket as existing. */
function createThenWrite(context: CommandContext, bucket: string, op: BucketOp, encode: (value: never) => string, answer: Answer): void {
  const { store, listener } = context;
  const settle = (outcome: Outcome) => {
    if (outcome.ok) rememberBucket(listener.knownBuckets, bucket);
    answer(encodeOutcome(outcome, encode));
  };
  store.create(Buffer.from(bucket, 'latin1')).then(
    () => store.submit(bucket, op, settle),
    (thrown: unknown) => settle({ ok: false, error: toErrorData(thrown) }),
  );
}

/** The most bucket names a listener remembers as existing; past it, it starts over (a miss only costs a CREATE). */
const maxKnownBuckets = 100_000;

function rememberBucket(known: Set<string>, bucket: string): void {
  if (known.size >= maxKnownBuckets) known.clear();
  known.add(bucket);
}

/** A hash write holds back the requests after it while it creates its bucket. */
const createsBucket = (context: CommandContext, args: readonly string[]): boolean => !context.listener.knownBuckets.has(args[1]!);

function hset(context: CommandContext, args: readonly string[], answer: Answer): void {
  if (args.length % 2 !== 0) return answer(wrongArity(args[0]!));
  const entries: Array<[string, string]> = [];
  for (let at = 2; at < args.length; at += 2) entries.push([args[at]!, args[at + 1]!]);
  // HMSET answers OK; HSET, how many fields were new.
  const isHmset = args[0]!.toLowerCase() === 'hmset';
  writeHash(context, args[1]!, { kind: 'putMany', entries }, (added: number) => (isHmset ? '+OK\r\n' : integer(added)), answer);
}

const notAnIntegerField = error('ERR', 'hash value is not an integer');

function hincrby(context: CommandContext, args: readonly string[], answer: Answer): void {
  if (parseInt64(args[3]!) === undefined) return answer(notInteger);
  // Redis words a field that is not a number its own way.
  const worded = (reply: string) => answer(reply === notInteger ? notAnIntegerField : reply);
  writeHash(context, args[1]!, { kind: 'incrBy', key: args[2]!, by: args[3]! }, (value: string) => integer(value), worded);
}

/** HDEL: one delete per field, counted; the store keeps their order within the bucket. */
function hdel(context: CommandContext, args: readonly string[], answer: Answer): void {
  const fields = [...new Set(args.slice(2))];
  let removed = 0;
  let left = fields.length;
  let failure: string | undefined;
  for (const key of fields) {
    readHash(context, args[1]!, { kind: 'delete', key }, (value: string | undefined) => (value === undefined ? '' : 'x'), (reply) => {
      if (reply === 'x') removed++;
      else if (reply !== '') failure ??= reply;
      if (--left === 0) answer(failure ?? integer(removed));
    }, '');
  }
}

/** Every [field, value] of the hash, in one step (the store's dump). */
const pairsOf = (entries: StoredEntries): string[] => entries.flatMap(([key, value]) => [key, value]);

function hscan(context: CommandContext, args: readonly string[], answer: Answer): void {
  const cursor = parseCursor(args[2]!);
  if (cursor === undefined) return answer(invalidCursor);
  const options = parseScanOptions(args, 3, false);
  if (typeof options === 'string') return answer(options);
  const bucket = args[1]!;
  const empty = array([bulk('0'), emptyArray]);
  if (bucket === context.options.stringsBucket) return answer(wrongType);
  if (!isBucketName(bucket)) return answer(empty);
  const { store } = context;
  store.submit(bucket, { kind: 'keys', cursor, count: options.count, ...(options.match === undefined ? {} : { match: options.match }) }, (scanned) => {
    if (!scanned.ok) return answer(encodeOutcome(scanned, () => '', empty));
    const page = scanned.value as KeyPage;
    // The values, read right after the page; a field deleted between the two is left out.
    store.submit(bucket, { kind: 'getMany', keys: page.keys }, (read) => answer(encodeOutcome(read, (values: Array<string | null>) => {
      const pairs: string[] = [];
      page.keys.forEach((key, index) => values[index] !== null && pairs.push(key, values[index]!));
      return array([bulk(String(page.cursor)), bulks(pairs)]);
    }, empty)));
  });
}



const write = ['write', 'denyoom', 'fast'];
const read = ['readonly', 'fast'];
const key1: readonly [number, number, number] = [1, 1, 1];

export const hashCommands: Record<string, CommandSpec> = {
  hset: { arity: -4, flags: write, keys: key1, barrier: createsBucket, run: hset },
  hmset: { arity: -4, flags: write, keys: key1, barrier: createsBucket, run: hset },
  hsetnx: { arity: 4, flags: write, keys: key1, barrier: createsBucket, run: (c, a, answer) => writeHash(c, a[1]!, { kind: 'putIf', key: a[2]!, value: a[3]!, exists: false }, (written: boolean) => integer(written ? 1 : 0), answer) },
  hincrby: { arity: 4, flags: write, keys: key1, barrier: createsBucket, run: hincrby },
  hget: { arity: 3, flags: read, keys: key1, run: (c, a, answer) => readHash(c, a[1]!, { kind: 'get', key: a[2]! }, (value: string | undefined) => bulk(value), answer, nil) },
  hmget: { arity: -3, flags: read, keys: key1, run: (c, a, answer) => readHash(c, a[1]!, { kind: 'getMany', keys: a.slice(2) }, bulks, answer, bulks(a.slice(2).map(() => null))) },
  hdel: { arity: -3, flags: ['write', 'fast'], keys: key1, run: hdel },
  hexists: { arity: 3, flags: read, keys: key1, run: (c, a, answer) => readHash(c, a[1]!, { kind: 'has', key: a[2]! }, (found: boolean) => integer(found ? 1 : 0), answer, integer(0)) },
  hlen: { arity: 2, flags: read, keys: key1, run: (c, a, answer) => readHash(c, a[1]!, { kind: 'size' }, (size: number) => integer(size), answer, integer(0)) },
  hgetall: { arity: 2, flags: ['readonly'], keys: key1, run: (c, a, answer) => readHash(c, a[1]!, { kind: 'dump' }, (entries: StoredEntries) => map(pairsOf(entries).map(bulk), c.session.protocol), answer, map([], c.session.protocol)) },
  hkeys: { arity: 2, flags: ['readonly'], keys: key1, run: (c, a, answer) => readHash(c, a[1]!, { kind: 'dump' }, (entries: StoredEntries) => bulks(entries.map(([key]) => key)), answer, emptyArray) },
  hvals: { arity: 2, flags: ['readonly'], keys: key1, run: (c, a, answer) => readHash(c, a[1]!, { kind: 'dump' }, (entries: StoredEntries) => bulks(entries.map(([, value]) => value)), answer, emptyArray) },
  hstrlen: { arity: 3, flags: read, keys: key1, run: (c, a, answer) => readHash(c, a[1]!, { kind: 'get', key: a[2]! }, (value: string | undefined) => integer(value?.length ?? 0), answer, integer(0)) },
  hscan: { arity: -3, flags: ['readonly'], keys: key1, barrier: () => true, run: hscan },
};
