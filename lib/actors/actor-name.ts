// nact accepts only [A-Za-z0-9-$_.+!*'(),] in actor names; bucket names may hold
// any character. This keeps readable names readable (so paths in tree() and
// logs look like the bucket) and escapes every other UTF-16 unit as `$xxxx`, so
// distinct buckets never share an actor name ('$' itself is escaped, and lone
// surrogates are kept apart, which a UTF-8 escape would merge).

const plain = /^[A-Za-z0-9\-_.+!*'(),]$/;

/**
 * A valid, unique nact actor name for incarnation `generation` of a bucket.
 * Later incarnations get a `$g<n>` suffix, which no escaped name can hold ('$'
 * is always followed by four hex digits there).
 */
export function actorNameFor(bucket: string, generation = 0): string {
  let name = '';
  for (let i = 0; i < bucket.length; i++) {
    const unit = bucket[i]!;
    name += plain.test(unit) ? unit : '$' + unit.charCodeAt(0).toString(16).padStart(4, '0');
  }
  return generation === 0 ? name : `${name}$g${generation}`;
}
