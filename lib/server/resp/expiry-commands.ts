// Redis's expiry commands on names: EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT
// (with NX, XX, GT, LT), TTL, PTTL, EXPIRETIME, PEXPIRETIME and PERSIST. String
// keys expire as in Redis, each command one store operation on the strings
// bucket; buckets keep no expiry of their own, so EXPIRE on a hash is refused
// with a clear error, and a hash reports itself as never expiring.

import { wallNow } from '../../core/clock';
import { answerPromise, type CommandContext, type CommandSpec } from './command';
import { expireDeadline, parseExpireConditions } from './expire-options';
import { isHash } from './keyspace-commands';
import { error, integer } from './reply';
import { askStrings } from './strings-bucket';

const noBucketExpiry = error('ERR', 'a hash is an actor-kv bucket, which keeps no expiry: EXPIRE and PERSIST apply to string keys only');

/** EXPIRE, PEXPIRE (`relative`) and EXPIREAT, PEXPIREAT, in `unitMs`: on the string key; on a hash, refused. */
function expire(unitMs: 1000n | 1n, relative: boolean): CommandSpec['run'] {
  return (context, args, answer) => {
    const conditions = parseExpireConditions(args);
    if (typeof conditions === 'string') return answer(conditions);
    const now = wallNow();
    const expiresAt = expireDeadline(args[2]!, unitMs, relative ? now : 0, args[0]!, now);
    if (typeof expiresAt === 'string') return answer(expiresAt);
    answerPromise(
      (async () => {
        const done = await askStrings<number>(context, { kind: 'expireIf', key: args[1]!, expiresAt, ...conditions });
        if (done !== -2) return integer(done);
        return (await isHash(context, args[1]!)) ? noBucketExpiry : integer(0);
      })(),
      answer,
    );
  };
}

/**
 * TTL, PTTL (the time left, from the ttl operation) and EXPIRETIME,
 * PEXPIRETIME (the deadline), in seconds (rounded, as Redis rounds) or ms:
 * the string key's; a hash never expires (-1); no such name, -2.
 */
function timeLeft(kind: 'ttl' | 'deadline', seconds: boolean): CommandSpec['run'] {
  return (context, args, answer) =>
    answerPromise(
      (async () => {
        const ms = await askStrings<number>(context, { kind, key: args[1]! });
        if (ms === -2 && (await isHash(context, args[1]!))) return integer(-1);
        return integer(ms < 0 || !seconds ? ms : Math.floor((ms + 500) / 1000));
      })(),
      answer,
    );
}

/** PERSIST: 1 if the string key had a deadline and lost it; a hash has none (0). */
async function persist(context: CommandContext, name: string): Promise<string> {
  const done = await askStrings<number>(context, { kind: 'expireIf', key: name, expiresAt: 0, xx: true });
  return integer(Math.max(0, done));
}

/** Each but PERSIST may take two steps (the string key, then the hash): the requests after it wait. */
const barrier = () => true;
const write = ['write', 'fast'];
const read = ['readonly', 'fast'];
const key: [number, number, number] = [1, 1, 1];

export const expiryCommands: Record<string, CommandSpec> = {
  expire: { arity: -3, flags: write, keys: key, barrier, run: expire(1000n, true) },
  pexpire: { arity: -3, flags: write, keys: key, barrier, run: expire(1n, true) },
  expireat: { arity: -3, flags: write, keys: key, barrier, run: expire(1000n, false) },
  pexpireat: { arity: -3, flags: write, keys: key, barrier, run: expire(1n, false) },
  ttl: { arity: 2, flags: read, keys: key, barrier, run: timeLeft('ttl', true) },
  pttl: { arity: 2, flags: read, keys: key, barrier, run: timeLeft('ttl', false) },
  expiretime: { arity: 2, flags: read, keys: key, barrier, run: timeLeft('deadline', true) },
  pexpiretime: { arity: 2, flags: read, keys: key, barrier, run: timeLeft('deadline', false) },
  persist: { arity: 2, flags: write, keys: key, run: (context, args, answer) => answerPromise(persist(context, args[1]!), answer) },
};
