// What nodes say to each other once the handshake is done: requests for the
// owner's registry and bucket actors, and replies matched to them by id. Plain
// JSON (nact references stay home: nact has no remoting).

import { checkOp } from '../core/arguments';
import type { BucketOp, Outcome, StoredEntries } from '../core/operations';
import type { BucketConfig } from './replication/config';
import type { StepAction } from './replication/primary';

/** A request for another node's actors. */
export type NodeRequest =
  /** Make the bucket exist on its owner (the owner's registry). */
  | { kind: 'create'; bucket: string }
  /** Run operations on one bucket, in order, as one actor message. */
  | { kind: 'batch'; bucket: string; ops: BucketOp[] }
  /** Whether the owner has the bucket. */
  | { kind: 'exists'; bucket: string }
  /** Remove the bucket and its keys from its owner. */
  | { kind: 'drop'; bucket: string }
  /** The owner's bucket names. */
  | { kind: 'buckets' }
  /** The owner's supervision tree. */
  | { kind: 'tree' }
  // Replication (replication/): a call for a bucket's primary (`claim`: the
  // sender could not reach the primary, take over if this node cannot either),
  // the epoch votes, and the steps a primary sends its copies.
  | { kind: 'client'; bucket: string; action: StepAction; claim: boolean }
  | { kind: 'prepare'; bucket: string; epoch: number }
  | { kind: 'accept'; bucket: string; config: BucketConfig }
  | { kind: 'replicate'; bucket: string; config: BucketConfig; seq: number; action: StepAction }
  /** `dropped`: the primary has no such bucket, the copy drops its own (entries is then empty). */
  | { kind: 'install'; bucket: string; config: BucketConfig; seq: number; entries: StoredEntries; dropped?: true }
  | { kind: 'ping' };

/** One frame after the handshake: a request (`q`) or the reply (`r`) to request `i`. */
export type Envelope = { i: number; q: NodeRequest } | { i: number; r: Outcome<unknown> };

export function encodeEnvelope(envelope: Envelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/**
 * A request encoded once, ahead of its id: measured against the frame limit
 * with it, then framed with the id the connection gives it (frameRequest).
 */
export interface EncodedRequest {
  /** The request as JSON. */
  readonly json: string;
  /** The frame body's size with the largest id: what the frame limit is checked against. */
  readonly bytes: number;
}

/** The prefix and suffix that frameRequest() puts around a request's JSON. */
const envelopeBytes = Buffer.byteLength(`{"i":${Number.MAX_SAFE_INTEGER},"q":}`);

/** Encodes `request`; undefined past V8's longest string (JSON.stringify throws RangeError there). */
export function encodeRequest(request: NodeRequest): EncodedRequest | undefined {
  try {
    const json = JSON.stringify(request);
    return { json, bytes: envelopeBytes + Buffer.byteLength(json, 'utf8') };
  } catch {
    return undefined;
  }
}

/** The frame body of an encoded request, given its id: the same bytes as encodeEnvelope({ i, q }). */
export function frameRequest(id: number, request: EncodedRequest): Buffer {
  return Buffer.from(`{"i":${id},"q":${request.json}}`, 'utf8');
}

/** One part of a batch that fits a frame, with its encoded request (undefined: too large to encode). */
export interface BatchPart {
  ops: BucketOp[];
  request: EncodedRequest | undefined;
}

/**
 * Splits a batch into consecutive parts whose request frames fit `maxFrameBytes`
 * (halving until they do; a single operation that alone is too large stays a
 * part of its own, for the sender to refuse). Each part is encoded once, here.
 * Synchronous, so the parts can be sent back to back and keep their order.
 */
export function splitBatch(bucket: string, ops: BucketOp[], maxFrameBytes: number): BatchPart[] {
  const request = encodeRequest({ kind: 'batch', bucket, ops });
  if (ops.length < 2 || (request && request.bytes <= maxFrameBytes)) return [{ ops, request }];
  const half = Math.ceil(ops.length / 2);
  return [...splitBatch(bucket, ops.slice(0, half), maxFrameBytes), ...splitBatch(bucket, ops.slice(half), maxFrameBytes)];
}

/** Parses a frame's body; null if it is not an envelope (a bad frame: the connection is closed). */
export function parseEnvelope(body: Buffer): Envelope | null {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const envelope = value as Record<string, unknown>;
  if (!Number.isSafeInteger(envelope.i)) return null;
  if (isObject(envelope.q) || isObject(envelope.r)) return envelope as Envelope;
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a request's shape (a well-formed envelope may still carry nonsense); a reason if it is bad. */
export function requestProblem(request: Record<string, unknown>): string | null {
  switch (request.kind) {
    case 'buckets':
    case 'tree':
    case 'ping':
      return null;
    case 'client':
    case 'replicate':
      if (typeof request.bucket !== 'string') return 'bucket must be a string';
      if (request.kind === 'replicate' && (!isConfig(request.config) || !Number.isSafeInteger(request.seq))) return 'a replicate request needs a config and a seq';
      return isAction(request.bucket, request.action) ? null : 'action must be ops, create or drop';
    case 'prepare':
      return typeof request.bucket === 'string' && Number.isSafeInteger(request.epoch) ? null : 'a prepare request needs a bucket and an epoch';
    case 'accept':
      return typeof request.bucket === 'string' && isConfig(request.config) ? null : 'an accept request needs a bucket and a config';
    case 'install':
      if (typeof request.bucket !== 'string' || !isConfig(request.config) || !Number.isSafeInteger(request.seq)) return 'an install request needs a bucket, a config and a seq';
      return isOp(request.bucket, { kind: 'replace', entries: request.entries } as BucketOp) ? null : 'entries must be [key, value, expiresAt] triples';
    case 'create':
    case 'exists':
    case 'drop':
      return typeof request.bucket === 'string' ? null : 'bucket must be a string';
    case 'batch':
      if (typeof request.bucket !== 'string') return 'bucket must be a string';
      return Array.isArray(request.ops) && request.ops.every((op) => isOp(request.bucket as string, op)) ? null : 'ops must be bucket operations';
    default:
      return `unknown request kind ${JSON.stringify(request.kind)}`;
  }
}

function isConfig(value: unknown): value is BucketConfig {
  const config = value as Partial<BucketConfig> | null;
  return typeof config === 'object' && config !== null && Number.isSafeInteger(config.epoch) && typeof config.primary === 'string' && Array.isArray(config.copies) && config.copies.every((copy) => typeof copy === 'string');
}

function isAction(bucket: string, value: unknown): value is StepAction {
  const action = value as Partial<StepAction> | null;
  if (typeof action !== 'object' || action === null) return false;
  if (action.kind === 'create' || action.kind === 'drop') return true;
  return action.kind === 'ops' && Array.isArray(action.ops) && action.ops.every((op) => isOp(bucket, op));
}

/** The same check as a local call's (checkOp), so a peer cannot send what a caller could not. */
function isOp(bucket: string, op: unknown): op is BucketOp {
  try {
    checkOp(bucket, op as BucketOp);
    return true;
  } catch {
    return false;
  }
}
