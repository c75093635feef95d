// The cluster's errors, written once: the text server prints their messages
// after `ERROR `, so these exact words are part of the wire protocol.

import { KvError } from '../errors';

/** A request or reply over the frame limit (a batch that hits it is split and sent again). */
export class TooLarge extends KvError {}

export const clusterErrors = {
  noRoute: (bucket: string) => new KvError('NO_ROUTE', `no route for bucket ${bucket}`),
  unavailable: (node: string) => new KvError('NODE_UNAVAILABLE', `node ${node} unavailable`),
  timeout: (node: string, ms: number) =>
    new KvError('TIMEOUT', `node ${node} did not answer within ${ms} ms (see cluster.requestTimeoutMs)`),
  tooLarge: (what: string, bytes: number, max: number) =>
    new TooLarge('BAD_REQUEST', `${what} of ${bytes} bytes is over the cluster frame limit of ${max} (see cluster.maxFrameBytes)`),
};
