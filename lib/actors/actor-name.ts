// nact accepts only [A-Za-z0-9-$_.+!*'(),] in actor names; bucket names may hold
// any character. This keeps readable names readable (so paths in tree() and
// logs look like the bucket) and escapes everything else as `$xx` UTF-8 bytes, so distinct
// buckets never share an actor name ('$' itself is escaped).

const plain = /^[A-Za-z0-9\-_.+!*'(),]$/;

/** A valid, unique nact actor name for a bucket name. */
export function actorNameFor(bucket: string): string {
  let name = '';
  for (const char of bucket) {
    if (plain.test(char)) {
      name += char;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) name += '$' + byte.toString(16).padStart(2, '0');
    }
  }
  return name;
}

