// A bucket's replication configuration: which node is its primary and which
// copies must hold a write before it is acknowledged, under an epoch. A
// configuration takes effect once a majority of the cluster's nodes accepted
// it (votes.ts); the one every node starts from, epoch 0, is the bucket's
// preference list itself. Pure.

/** Who serves a bucket under which epoch. */
export interface BucketConfig {
  /** Higher is newer; 0 is the preference list's own configuration. */
  epoch: number;
  /** The one node that serves the bucket's reads and orders its writes. */
  primary: string;
  /** Every node that holds each acknowledged write, the primary first. */
  copies: string[];
}

/** The configuration before any failover: the preference list, its first node primary. */
export function initialConfig(preference: readonly string[]): BucketConfig {
  return { epoch: 0, primary: preference[0]!, copies: [...preference] };
}

/** Proposers per epoch round: epochs are unique to their proposer, so two never propose the same one. */
const proposersPerRound = 1024;

/** The smallest epoch above `above` that proposer number `proposer` (its index among the sorted node names) may use. */
export function nextEpoch(above: number, proposer: number): number {
  return (Math.floor(above / proposersPerRound) + 1) * proposersPerRound + proposer;
}

/** How many of `nodes` make a majority: any two majorities share a node. */
export function majority(nodes: number): number {
  return Math.floor(nodes / 2) + 1;
}

/** The newer of two configurations (by epoch). */
export function newer(a: BucketConfig | null, b: BucketConfig | null): BucketConfig | null {
  if (!a) return b;
  if (!b) return a;
  return b.epoch > a.epoch ? b : a;
}
