// The store's typed events: what observers and metrics watch (a bucket's
// life in its supervision tree, the cluster's links), emitted by the layers
// that see them through one `emit` function the store hands down.

/** Each event's name and its one argument. */
export interface StoreEventMap {
  /** A bucket was created on this node (not when it is replayed at startup). */
  bucketCreated: [{ bucket: string }];
  /** A bucket's actor crashed and its supervision restarted it. */
  bucketRestarted: [{ bucket: string; reason: string; restarts: number }];
  /** A bucket crashed past its restart intensity: it is stopped until `create` revives it. */
  bucketFailed: [{ bucket: string; reason: string }];
  /** A failed bucket was revived by `create`, with its data. */
  bucketRevived: [{ bucket: string }];
  /** A bucket was dropped on this node, with its keys. */
  bucketDropped: [{ bucket: string }];
  /** An authenticated connection to a peer node is up. */
  peerUp: [{ peer: string }];
  /** The connection to a peer node was lost. */
  peerDown: [{ peer: string; reason: string }];
}

/** Emits one event; never throws (a listener's error is rethrown on its own, as an uncaught exception). */
export type EmitEvent = <K extends keyof StoreEventMap>(name: K, ...args: StoreEventMap[K]) => void;

/** The emitter used where no store listens (a node's parts used on their own, in tests). */
export const emitNothing: EmitEvent = () => {};
