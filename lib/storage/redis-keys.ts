// Where a bucket lives in Redis. Each bucket has three keys under one hash tag
// `{b:<name>}`, so that on a Redis Cluster they share a slot: a flush, a create
// and a drop are each one command or one MULTI on one master. The bucket
// directory is the set of `meta` keys, spread over the cluster like the
// buckets themselves, and found by scanning every master. Pure.

/** The Redis keys of one bucket. */
export interface BucketKeys {
  /** The hash of the bucket's keys and values. */
  data: string;
  /** The hash of the deadlines (epoch ms) of the keys that expire. */
  deadlines: string;
  /** The bucket's marker: it exists while the bucket does, and holds an id set at creation. */
  meta: string;
}

const metaSuffix = '}:meta';

/**
 * The keys of `bucket` under `prefix`. The tag opens after the prefix and
 * ends at the first `}`, so a name containing `}` still gives the three keys
 * one tag (`b:` keeps it non-empty: an empty tag would not count).
 */
export function bucketKeys(prefix: string, bucket: string): BucketKeys {
  const tagged = `${prefix}{b:${bucket}`;
  return { data: `${tagged}}:data`, deadlines: `${tagged}}:expiry`, meta: `${tagged}${metaSuffix}` };
}

/** The SCAN MATCH pattern of every meta key under `prefix` (its glob characters escaped). */
export function metaKeyPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (char) => `\\${char}`)}{b:*${metaSuffix}`;
}

/** The bucket a meta key belongs to, or undefined if `key` is not a meta key under `prefix`. */
export function bucketOfMetaKey(prefix: string, key: string): string | undefined {
  const start = `${prefix}{b:`;
  if (!key.startsWith(start) || !key.endsWith(metaSuffix) || key.length < start.length + metaSuffix.length) return undefined;
  return key.slice(start.length, key.length - metaSuffix.length);
}

/** Why `prefix` cannot be used on a Redis Cluster, or undefined: a tag in it would put every bucket in one slot. */
export function clusterPrefixProblem(prefix: string): string | undefined {
  return prefix.includes('{') ? "must not contain '{' on a Redis Cluster: a hash tag in it would put every bucket on one slot" : undefined;
}

/**
 * The keys of the layout before hash tags: one set of bucket names, one
 * marker, and untagged hashes. A single Redis holding them is moved to the
 * layout above when a node opens it.
 */
export const legacyLayout = {
  names: (prefix: string): string => `${prefix}buckets`,
  marker: (prefix: string): string => `${prefix}marker`,
  data: (prefix: string, bucket: string): string => `${prefix}bucket:${bucket}`,
  deadlines: (prefix: string, bucket: string): string => `${prefix}expiry:${bucket}`,
};
