// The cluster's errors, written once: the text server prints their messages
// after `ERROR `, so these exact words are part of the wire protocol.

import { KvError, type ErrorData } from '../errors';

export const clusterErrors = {
  noRoute: (bucket: string) => new KvError('NO_ROUTE', `no route for bucket ${bucket}`),
  unavailable: (node: string) => new KvError('NODE_UNAVAILABLE', `node ${node} unavailable`),
  timeout: (node: string, ms: number) =>
    new KvError('TIMEOUT', `node ${node} did not answer within ${ms} ms (see cluster.requestTimeoutMs)`),
  tooLarge: (what: string, bytes: number | undefined, max: number) =>
    new KvError('BAD_REQUEST', `${what} ${bytes === undefined ? 'too large to encode' : `of ${bytes} bytes`} is over the cluster frame limit of ${max} (see cluster.maxFrameBytes)`),
};

/** One result of a batch left out of the reply because the whole would not fit the frame limit. */
export interface ReplyTooLarge extends ErrorData {
  /** Marks the result as left out for size only: the operation may be asked for again on its own. */
  tooLarge: true;
}

export function replyTooLarge(max: number): ReplyTooLarge {
  const message = `the result of this call did not fit in a reply within the cluster frame limit of ${max} bytes (see cluster.maxFrameBytes)`;
  return { code: 'BAD_REQUEST', message, tooLarge: true };
}

/** Whether a batch result was left out for size only (see replyTooLarge). */
export function isReplyTooLarge(error: ErrorData): boolean {
  return (error as Partial<ReplyTooLarge>).tooLarge === true;
}
