// The name -> bucket table the registry maintains and every call reads directly
// (the Elixir guide's registry moved lookups to ETS for the same reason: a lookup must
// not queue behind the registry's mailbox).

import type { Ref } from 'nact';
import type { BucketStatus } from '../core/tree';
import { BucketQueue } from './batcher';
import type { BucketMsg } from './messages';

/** What the node knows of one bucket; outlives the bucket's actor incarnations. */
export interface BucketRecord {
  readonly name: string;
  /** The bucket supervisor (nact parent) it hangs under. */
  readonly supervisor: string;
  /** The current incarnation's reference; unset while failed. */
  ref: Ref<BucketMsg> | undefined;
  /** Incarnations spawned so far; names each new one, so a revived bucket never collides with the one still stopping. */
  generation: number;
  status: BucketStatus;
  /** Restarts since the bucket was created. */
  restarts: number;
  /** Times of the crashes inside the restart-intensity window. */
  recentCrashes: number[];
  /** Why it last crashed, if it ever did. */
  lastCrash: string | null;
  /** When it last crashed (epoch ms), if it ever did. */
  lastCrashAt: number | null;
  /** Its calls waiting for an answer, across incarnations. */
  readonly queue: BucketQueue;
  /** Set once the bucket is dropped: calls still in its mailbox answer NOT_FOUND. */
  dropped: boolean;
}

export type Directory = Map<string, BucketRecord>;

/** A new bucket's record; `generation` continues a dropped namesake's, so their actor names never collide. */
export function newRecord(name: string, supervisor: string, generation = 0): BucketRecord {
  return { name, supervisor, ref: undefined, generation, status: 'running', restarts: 0, recentCrashes: [], lastCrash: null, lastCrashAt: null, queue: new BucketQueue(name), dropped: false };
}
