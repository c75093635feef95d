// The pure parts of the cluster handshake: nonces, proofs and the shape of the
// three handshake messages. Where Erlang's cookie check is MD5 over a 32-bit
// challenge, here each side proves it holds the secret with HMAC-SHA256 over
// both sides' 32-byte nonces and both names; the secret never crosses the wire.
//
//   dialer   -> acceptor  hello     { name, nonce }
//   acceptor -> dialer    challenge { name, nonce }
//   dialer   -> acceptor  response  { proof: mac('dialer') }
//   acceptor -> dialer    verdict   { verdict: 'ok' | 'duplicate', proof: mac('acceptor') }
//
// The dialer proves first: the listening side never emits a MAC to a party that
// has not proven itself, so anyone who can reach the cluster port cannot collect
// proofs over nonces of their choosing to guess the secret offline.
//
// Instead of the challenge or the verdict, the acceptor may refuse, then close:
//
//   acceptor -> dialer    refusal   { refused: 'unknown-node' | 'wrong-secret' }
//
// so that the dialing node's operator reads why ("wrong cluster secret") and
// not only that the connection closed. It tells the dialer nothing it could not
// tell already (an unknown name gets no challenge; a wrong proof, no verdict)
// and nothing about the secret.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const nonceBytes = 32;
/** Longest node name: keeps every handshake message, and so the handshake, small. */
export const maxNodeNameLength = 64;
/** Bytes a side may read before the handshake is complete. */
export const handshakeByteLimit = 512;

export type Role = 'dialer' | 'acceptor';

/** What both proofs are computed over. */
export interface HandshakeTranscript {
  dialer: string;
  acceptor: string;
  dialerNonce: Buffer;
  acceptorNonce: Buffer;
}

export const newNonce = (): Buffer => randomBytes(nonceBytes);

/** HMAC-SHA256 keyed by the secret over the role, both names and both nonces (length-prefixed, so no two transcripts collide). */
export function proof(secret: string, role: Role, transcript: HandshakeTranscript): Buffer {
  const mac = createHmac('sha256', secret);
  for (const part of [role, transcript.dialer, transcript.acceptor]) {
    const bytes = Buffer.from(part, 'utf8');
    mac.update(lengthOf(bytes)).update(bytes);
  }
  return mac.update(transcript.dialerNonce).update(transcript.acceptorNonce).digest();
}

function lengthOf(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length, 0);
  return length;
}

/** Constant-time check of a proof received (timingSafeEqual throws on unequal lengths: check first). */
export function proofMatches(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}

/** A node name that can be routed to and fits a handshake. */
export function isNodeName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= maxNodeNameLength && /^[A-Za-z0-9_.@:-]+$/.test(name);
}

export interface Hello {
  name: string;
  nonce: Buffer;
}
export type Challenge = Hello;
export interface Response {
  proof: Buffer;
}
export type Verdict = 'ok' | 'duplicate';
/** The acceptor's last message: its verdict and its own proof. */
export interface VerdictMessage extends Response {
  verdict: Verdict;
}

/** Why an acceptor turns a dialer away. */
export type Refusal = 'unknown-node' | 'wrong-secret';

/** What the dialer's operator reads for each refusal. */
export const refusalText: Readonly<Record<Refusal, string>> = {
  'unknown-node': 'this node is not one of its configured peers',
  'wrong-secret': 'wrong cluster secret',
};

/**
 * The refusal in a message, 'other' for one this version does not know (only
 * known words are shown: the text comes from a party not yet authenticated),
 * or null if the message is not a refusal.
 */
export function parseRefusal(body: Buffer): Refusal | 'other' | null {
  const refused = parseFields(body)?.refused;
  if (refused === undefined) return null;
  return typeof refused === 'string' && Object.hasOwn(refusalText, refused) ? (refused as Refusal) : 'other';
}

/** Encodes a handshake message: JSON with buffers in hex. */
export function encodeMessage(message: Record<string, string | Buffer>): Buffer {
  const plain = Object.fromEntries(Object.entries(message).map(([key, value]) => [key, Buffer.isBuffer(value) ? value.toString('hex') : value]));
  return Buffer.from(JSON.stringify(plain), 'utf8');
}

/** Parses a hello; null if it is not one. */
export function parseHello(body: Buffer): Hello | null {
  const fields = parseFields(body);
  const nonce = hexField(fields, 'nonce', nonceBytes);
  if (!fields || !nonce || !isNodeName(fields.name)) return null;
  return { name: fields.name, nonce };
}

export const parseChallenge: (body: Buffer) => Challenge | null = parseHello;

export function parseResponse(body: Buffer): Response | null {
  const received = hexField(parseFields(body), 'proof', 32);
  return received ? { proof: received } : null;
}

export function parseVerdict(body: Buffer): VerdictMessage | null {
  const fields = parseFields(body);
  const verdict = fields?.verdict;
  const received = hexField(fields, 'proof', 32);
  return (verdict === 'ok' || verdict === 'duplicate') && received ? { verdict, proof: received } : null;
}

function parseFields(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function hexField(fields: Record<string, unknown> | null, key: string, bytes: number): Buffer | null {
  const value = fields?.[key];
  if (typeof value !== 'string' || value.length !== bytes * 2 || !/^[0-9a-f]+$/.test(value)) return null;
  return Buffer.from(value, 'hex');
}
