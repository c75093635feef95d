// Who may use the text server (Redis's protected mode): with a password, every
// client must AUTH first; without one, a server listening beyond loopback
// serves loopback clients only, unless the operator turned protected mode off.
// Pure: the decision is a table of cases in the tests.

import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** What a new client gets: served, asked to AUTH first, or refused with the explanation. */
export type Access = 'serve' | 'authenticate' | 'refuse';

export interface AccessPolicy {
  /** The address the listener is bound to. */
  boundHost: string;
  passwordSet: boolean;
  protectedMode: boolean;
}

/** Loopback addresses: 127.0.0.0/8, ::1, and IPv4-mapped 127.x (::ffff:127.0.0.1); 'localhost' as a bound host. */
export function isLoopback(address: string): boolean {
  if (address === 'localhost' || address === '::1' || address === '0:0:0:0:0:0:0:1') return true;
  const v4 = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The decision for a client from `remote` (isLocal: which addresses count as this machine's, loopback by default). */
export function accessFor(remote: string, policy: AccessPolicy, isLocal: (address: string) => boolean = isLoopback): Access {
  if (policy.passwordSet) return 'authenticate';
  if (policy.protectedMode && !isLoopback(policy.boundHost) && !isLocal(remote)) return 'refuse';
  return 'serve';
}

/** What a refused client reads, in one line: why, and the two ways out. */
export const protectedModeRefusal =
  'ERROR protected mode: this node listens beyond loopback without a password, so it serves loopback clients only; set a password (--password, or ACTOR_KV_PASSWORD) and AUTH, or turn protected mode off on purpose (--protected-mode no)\r\n';

/**
 * Whether `given` (the AUTH word's bytes, a binary string) is the password
 * (text, sent as UTF-8), in time that does not depend on where they differ
 * (their digests have equal lengths).
 */
export function passwordMatches(given: string, password: string): boolean {
  const digest = (text: string, encoding: BufferEncoding) => createHash('sha256').update(text, encoding).digest();
  return timingSafeEqual(digest(given, 'latin1'), digest(password, 'utf8'));
}
