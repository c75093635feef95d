// Replication's errors, written once: clients see the messages after `ERROR `.

import { KvError } from '../../errors';

export const replicationErrors = {
  notPrimary: (node: string, bucket: string, primary?: string) =>
    new KvError('NOT_PRIMARY', `node ${node} is not the primary of bucket ${bucket}${primary ? `; ${primary} is` : ''}`),
  notEnoughReplicas: (bucket: string, lost: readonly string[], why: string) =>
    new KvError('NOT_ENOUGH_REPLICAS', `bucket ${bucket}: the write is not on enough copies (${lost.join(', ')} unreachable, and ${why})`),
  noMajority: (got: number, needed: number, of: number) => `only ${got} of ${of} nodes agreed, ${needed} needed`,
  outOfSync: (bucket: string) => new KvError('OUT_OF_SYNC', `this copy of bucket ${bucket} missed writes`),
  unavailable: (bucket: string, why: string) => new KvError('NOT_ENOUGH_REPLICAS', `bucket ${bucket} has no primary that can be reached (${why})`),
};
