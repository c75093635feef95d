// The owner's side of "too large": a reply frame that always fits the frame
// limit and never throws while being encoded. A batch whose results are too
// large keeps every outcome that fits (so a write that was applied still says
// so) and marks the largest results as too large, which the requester may ask
// for again on their own (remote-node.ts).

import type { Outcome } from '../core/operations';
import { failed } from '../core/operations';
import { clusterErrors, replyTooLarge } from './errors';
import { encodeEnvelope } from './protocol';

/** JSON.stringify throws RangeError past V8's longest string: that counts as too large. */
function tryEncode(id: number, outcome: Outcome<unknown>): Buffer | null {
  try {
    return encodeEnvelope({ i: id, r: outcome });
  } catch {
    return null;
  }
}

/** Bytes `value` takes in JSON, or Infinity if it cannot be encoded. */
function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value), 'utf8');
  } catch {
    return Infinity;
  }
}

/** The reply frame body for request `id`: the outcome, or as much of a batch's outcomes as fits, or an error. */
export function encodeReply(id: number, outcome: Outcome<unknown>, isBatch: boolean, maxFrameBytes: number): Buffer {
  const body = tryEncode(id, outcome);
  if (body && body.length <= maxFrameBytes) return body;
  const size = body?.length;
  if (isBatch && outcome.ok && Array.isArray(outcome.value)) {
    const fitted = tryEncode(id, { ok: true, value: fitOutcomes(outcome.value as Outcome[], maxFrameBytes) });
    if (fitted && fitted.length <= maxFrameBytes) return fitted;
  }
  return encodeEnvelope({ i: id, r: failed(clusterErrors.tooLarge('a reply', size, maxFrameBytes).toData()) });
}

/** Replaces the largest successful outcomes with a too-large error until the whole fits `maxFrameBytes`. */
export function fitOutcomes(outcomes: readonly Outcome[], maxFrameBytes: number): Outcome[] {
  const sizes = outcomes.map(jsonBytes);
  const marker = failed(replyTooLarge(maxFrameBytes));
  const markerBytes = jsonBytes(marker);
  // Room for the envelope and the commas between outcomes.
  let total = 64 + outcomes.length + sizes.reduce((sum, bytes) => sum + Math.min(bytes, Number.MAX_SAFE_INTEGER), 0);
  const fitted = [...outcomes];
  const largestFirst = sizes.map((bytes, index) => ({ bytes, index })).sort((a, b) => b.bytes - a.bytes);
  for (const { bytes, index } of largestFirst) {
    if (total <= maxFrameBytes || bytes <= markerBytes) break;
    fitted[index] = marker;
    total -= Math.min(bytes, Number.MAX_SAFE_INTEGER) - markerBytes;
  }
  return fitted;
}
