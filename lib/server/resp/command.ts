// What a RESP command is: its arity and flags as COMMAND reports them, and how
// it runs against the store. Commands answer with wire bytes (reply.ts) and
// call the store's callback form, so a GET or a SET costs no promise.

import type { Outcome, Store } from '../../store';
import type { ErrorData } from '../../errors';
import { error } from './reply';
import type { ResolvedRespOptions } from './options';

/** Called exactly once with a command's reply (wire bytes, a binary string). */
export type Answer = (reply: string) => void;

/** One client, as commands see it (CLIENT, HELLO, AUTH, INFO). */
export interface Session {
  readonly id: number;
  /** CLIENT SETNAME's name ('' for none). */
  name: string;
  /** The protocol HELLO chose: 2 (the default) or 3 (maps for HGETALL, HELLO, CONFIG GET; other replies as in RESP2). */
  protocol: 2 | 3;
  readonly remote: string;
  readonly local: string;
  readonly connectedAt: number;
  /** The last command's name, lower case. */
  readonly lastCommand: string;
  /** AUTH: checks the password and answers (a wrong one after a delay). */
  authenticate(password: string, answer: Answer): void;
  /** QUIT: the reply goes out, then the connection closes. */
  quit(): void;
  /** RESET: back to a new connection's state (asked to AUTH again if the listener has a password). */
  reset(): void;
  /** Whether the client must AUTH before other commands. */
  readonly mustAuthenticate: boolean;
}

/** The listener, as commands see it (INFO, CLIENT LIST, the buckets known to exist). */
export interface ListenerView {
  readonly startedAt: number;
  readonly port: number;
  sessions(): Iterable<Session>;
  readonly stats: { connectionsReceived: number; commandsProcessed: number; rejectedConnections: number };
  /** Buckets this listener saw exist: a hash write to one needs no CREATE first. */
  readonly knownBuckets: Set<string>;
  /** The most clients at once (maxclients). */
  readonly maxClients: number;
}

export interface CommandContext {
  readonly store: Store;
  readonly options: ResolvedRespOptions;
  readonly session: Session;
  readonly listener: ListenerView;
}

export interface CommandSpec {
  /** Redis's arity: the number of arguments with the name; negative: at least that many. */
  arity: number;
  /** COMMAND's flags: write, readonly, fast, admin, noauth, ... */
  flags: readonly string[];
  /** COMMAND's first key, last key (-1: the last argument) and step. */
  keys?: readonly [number, number, number];
  /** Whether the requests after this one wait until it is answered (it creates or drops buckets). */
  barrier?(context: CommandContext, args: readonly string[]): boolean;
  /** Runs the command; `args[0]` is its name as sent. Never throws. */
  run(context: CommandContext, args: readonly string[], answer: Answer): void;
}

/** The wire form of a store error: BAD_REQUEST is Redis's generic ERR, any other code stays ours. */
export function storeError(data: ErrorData): string {
  return error(data.code === 'BAD_REQUEST' ? 'ERR' : data.code, data.message);
}

export const syntaxError = error('ERR', 'syntax error');
export const notInteger = error('ERR', 'value is not an integer or out of range');
export const wrongType = error('WRONGTYPE', 'Operation against a key holding the wrong kind of value');

export function wrongArity(name: string): string {
  return error('ERR', `wrong number of arguments for '${name.toLowerCase()}' command`);
}

/** Redis's error for an expiry out of range, naming the command as Redis does (lower case). */
export function invalidExpireTime(command: string): string {
  return error('ERR', `invalid expire time in '${command.toLowerCase()}' command`);
}

/** A store outcome as a reply: `encode(value)`; a missing bucket answers `missing` if given (Redis reads a missing key as empty), any other failure its error. */
export function encodeOutcome(outcome: Outcome, encode: (value: never) => string, missing?: string): string {
  if (outcome.ok) return encode(outcome.value as never);
  if (missing !== undefined && outcome.error.code === 'NOT_FOUND') return missing;
  return storeError(outcome.error);
}

/** Runs a promise-shaped step and answers its reply, or the store error it failed with. */
export function answerPromise(result: Promise<string>, answer: Answer): void {
  result.then(answer, (thrown: unknown) => answer(storeError(toData(thrown))));
}

function toData(thrown: unknown): ErrorData {
  if (typeof thrown === 'object' && thrown !== null && 'code' in thrown && 'message' in thrown) return thrown as ErrorData;
  return { code: 'INTERNAL', message: thrown instanceof Error ? thrown.message : String(thrown) };
}
