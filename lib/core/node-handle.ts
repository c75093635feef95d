// What the store needs of a node, local or remote: LocalNode (actors/) and
// RemoteNode (cluster/) both satisfy it, so the store routes a call by picking one.

import type { BucketOp, Outcome } from './operations';
import type { Settle } from './settle';
import type { NodeTree } from './tree';

/** One node's buckets, as the store calls them. */
export interface NodeHandle {
  /** Creates the bucket on this node; idempotent. */
  create(bucket: string): Promise<void>;
  /** Removes the bucket with its keys from this node; NOT_FOUND if there is none. */
  drop(bucket: string): Promise<void>;
  /** Runs one operation on one of this node's buckets; `settle` is called once with its outcome. */
  submit(bucket: string, op: BucketOp, settle: Settle): void;
  /** Runs operations on one bucket, in order; `answer` is called once with one outcome each. */
  submitBatch(bucket: string, ops: BucketOp[], answer: (outcomes: Outcome[]) => void): void;
  /** Whether this node has the bucket. */
  exists(bucket: string): boolean | Promise<boolean>;
  /** This node's bucket names, sorted. */
  buckets(): string[] | Promise<string[]>;
  /** This node's supervision tree. */
  tree(): NodeTree | Promise<NodeTree>;
}
