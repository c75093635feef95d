// The supervision tree as plain data: what tree() returns and what an observer
// page or the CLI draws (the Elixir guide points at Erlang's Observer for this).

/** A bucket's state in its supervision tree. */
export type BucketStatus = 'running' | 'failed';

/** One bucket in the tree. */
export interface BucketInfo {
  /** The bucket's name. */
  name: string;
  /** The bucket supervisor it hangs under. */
  supervisor: string;
  /** 'running', or 'failed' once it crashed past its restart intensity. */
  status: BucketStatus;
  /** Times it was restarted after a crash. */
  restarts: number;
  /** Why it last crashed, or null. */
  lastCrash: string | null;
  /** When it last crashed (epoch ms), or null. */
  lastCrashAt: number | null;
  /** Keys in its table. */
  keys: number;
  /** Operations waiting for it: queued or in flight (its mailbox depth). */
  mailbox: number;
}

/** One node's supervision tree. */
export interface NodeTree {
  /** The node's name. */
  node: string;
  /** The storage backend's kind ('memory', 'file', 'redis'). */
  storage: string;
  /** The registry actor. */
  registry: { status: 'running' };
  /** The bucket supervisors' names, in order. */
  supervisors: string[];
  /** Every bucket, sorted by name. */
  buckets: BucketInfo[];
  /** With replicas (R > 1): what this node knows of each of its buckets' copies. */
  replication?: BucketReplication[];
}

/** One bucket's replication, as one node sees it. */
export interface BucketReplication {
  bucket: string;
  /** The preference list: R nodes, the preferred primary first. */
  preference: string[];
  /** The primary under the newest configuration this node knows. */
  primary: string;
  /** That configuration's epoch (0: the preference list's own, no failover yet). */
  epoch: number;
  /** The copies that hold every acknowledged write (the primary first). */
  inSync: string[];
  /** Nodes of the preference list that do not: lost, or catching up (they are added back once they hold a full copy). */
  outOfSync: string[];
  /** This node's part: it serves the bucket, holds a copy, or neither. */
  role: 'primary' | 'copy' | 'none';
}
