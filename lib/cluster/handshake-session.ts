// Runs the handshake (handshake.ts) over a fresh socket, as dialer or acceptor,
// within hard limits: at most 512 bytes read and `timeoutMs` allowed before it
// completes. On success the socket is paused and handed over with its decoder
// and any frames that arrived right behind the handshake.

import type { Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from './frame';
import * as hs from './handshake';

/** What a HandshakeFailed says beyond its message. */
interface FailureDetails {
  /** No fault: two nodes dialed each other at once, and the other connection is kept. */
  duplicate?: boolean;
  /** Acceptor side: the refusal to tell the dialer before closing. */
  refusal?: hs.Refusal;
  /** Dialer side: the peer refused this node, for this reason (in words). */
  refused?: string;
  /** The node on the other side, once known (the dialer's, from its hello). */
  peer?: string;
}

/** Why a handshake did not complete. */
export class HandshakeFailed extends Error {
  readonly duplicate: boolean;
  readonly refusal: hs.Refusal | undefined;
  readonly refused: string | undefined;
  readonly peer: string | undefined;

  constructor(message: string, details: FailureDetails = {}) {
    super(message);
    this.duplicate = details.duplicate ?? false;
    this.refusal = details.refusal;
    this.refused = details.refused;
    this.peer = details.peer;
  }

  /** This failure, naming `peer` if it did not name one yet. */
  naming(peer: string): HandshakeFailed {
    if (this.peer !== undefined || peer === '') return this;
    return new HandshakeFailed(this.message, { duplicate: this.duplicate, refusal: this.refusal, refused: this.refused, peer });
  }
}

/** An authenticated socket, paused, ready for a Connection. */
export interface Established {
  socket: Socket;
  peer: string;
  decoder: FrameDecoder;
  /** Frames that followed the handshake in the same chunk. */
  early: Buffer[];
}

export interface HandshakeSettings {
  /** This node's name. */
  self: string;
  /** The shared secret. */
  secret: string;
  /** Time allowed for the whole handshake (including the TCP connect, for a dialer). */
  timeoutMs: number;
  /** The frame limit once authenticated. */
  maxFrameBytes: number;
}

/** Time an acceptor allows for the dialer's first message: a real peer sends it at once, a squatter is let go early. */
export const firstMessageMs = 500;

/** How long a socket that was told why (a refusal, a duplicate) may stay open for the other side to close it. */
const lingerMs = 1000;

/** One handshake step: consumes a frame; true once the handshake is complete. Throws HandshakeFailed. */
type Step = (body: Buffer) => boolean;

const tooMuch = (): HandshakeFailed => new HandshakeFailed(`more than ${hs.handshakeByteLimit} bytes before the handshake completed`);

/** Drives `steps` over `socket`, frame by frame; `peer()` names the peer once a step learnt it. */
function run(socket: Socket, settings: HandshakeSettings, steps: Step[], peer: () => string, firstFrameMs?: number): Promise<Established> {
  return new Promise((resolve, reject) => new HandshakeRun(socket, settings, steps, peer, resolve, reject, firstFrameMs));
}

/** One handshake in progress: its byte budget, its timer and its listeners. */
class HandshakeRun {
  private readonly decoder = new FrameDecoder(hs.handshakeByteLimit);
  private readonly early: Buffer[] = [];
  private readonly timer: NodeJS.Timeout;
  private firstTimer: NodeJS.Timeout | undefined;
  private consumed = 0;
  private done = false;
  private readonly onData = (chunk: Buffer): void => this.data(chunk);
  private readonly onClose = (): void => this.fail(new HandshakeFailed('the connection closed during the handshake'));
  private readonly onError = (error: Error): void => this.fail(new HandshakeFailed(error.message));

  constructor(
    private readonly socket: Socket,
    private readonly settings: HandshakeSettings,
    private readonly steps: Step[],
    private readonly peer: () => string,
    private readonly resolve: (established: Established) => void,
    private readonly reject: (error: HandshakeFailed) => void,
    firstFrameMs?: number,
  ) {
    this.timer = setTimeout(() => this.fail(new HandshakeFailed(`no handshake within ${settings.timeoutMs} ms`)), settings.timeoutMs);
    if (firstFrameMs !== undefined && firstFrameMs < settings.timeoutMs) {
      this.firstTimer = setTimeout(() => this.fail(new HandshakeFailed(`no first message within ${firstFrameMs} ms`)), firstFrameMs);
    }
    // A socket error with no listener ends the process: this one stays for the socket's life.
    socket.on('error', ignore);
    socket.on('data', this.onData).on('close', this.onClose).on('error', this.onError);
  }

  private data(chunk: Buffer): void {
    try {
      this.decoder.push(chunk, (body) => this.frame(body));
      if (!this.done && this.consumed + this.decoder.pending > hs.handshakeByteLimit) throw tooMuch();
    } catch (error) {
      return this.fail(error);
    }
    if (!this.done) return;
    this.cleanup();
    this.socket.pause();
    this.resolve({ socket: this.socket, peer: this.peer(), decoder: this.decoder, early: this.early });
  }

  private frame(body: Buffer): void {
    if (this.done) return void this.early.push(body);
    clearTimeout(this.firstTimer);
    this.consumed += body.length + 4;
    if (this.consumed > hs.handshakeByteLimit) throw tooMuch();
    this.done = this.steps.shift()!(body);
    if (this.done) this.decoder.maxBody = this.settings.maxFrameBytes;
  }

  private fail(error: unknown): void {
    this.cleanup();
    const failure = (error instanceof HandshakeFailed ? error : new HandshakeFailed(String(error))).naming(this.peer());
    if (failure.refusal) send(this.socket, { refused: failure.refusal });
    // A duplicate was told so in a verdict, a refused dialer why: let that reach the peer before the close.
    if (failure.duplicate || failure.refusal) closeAfterWrites(this.socket);
    else this.socket.destroy();
    this.reject(failure);
  }

  private cleanup(): void {
    clearTimeout(this.timer);
    clearTimeout(this.firstTimer);
    this.socket.off('data', this.onData).off('close', this.onClose).off('error', this.onError);
  }
}

const ignore = (): void => {};

function send(socket: Socket, message: Record<string, string | Buffer>): void {
  socket.write(encodeFrame(hs.encodeMessage(message)));
}

/** Ends the socket once written; destroys it if the other side has not closed within lingerMs. */
function closeAfterWrites(socket: Socket): void {
  socket.end();
  const timer = setTimeout(() => socket.destroy(), lingerMs).unref();
  socket.once('close', () => clearTimeout(timer));
}

function proofHolds(settings: HandshakeSettings, role: hs.Role, transcript: hs.HandshakeTranscript, received: Buffer): boolean {
  return hs.proofMatches(hs.proof(settings.secret, role, transcript), received);
}

const lacksSecret = (who: string, details: FailureDetails = {}): HandshakeFailed => new HandshakeFailed(`${who} does not hold the cluster secret`, details);

/** Throws if `body` is the acceptor's refusal: the dialer learns why it was turned away. */
function checkNotRefused(body: Buffer, peer: string): void {
  const refusal = hs.parseRefusal(body);
  if (refusal === null) return;
  const reason = refusal === 'other' ? 'for a reason this version does not know' : hs.refusalText[refusal];
  throw new HandshakeFailed(`node ${peer} refused the handshake: ${reason}`, { refused: reason });
}

/** Dials: proves itself to `expectedPeer` first, then checks the peer's proof that comes with its verdict. */
export function dialHandshake(socket: Socket, settings: HandshakeSettings, expectedPeer: string): Promise<Established> {
  const dialerNonce = hs.newNonce();
  let transcript: hs.HandshakeTranscript | undefined;
  const steps: Step[] = [
    (body) => {
      checkNotRefused(body, expectedPeer);
      const challenge = hs.parseChallenge(body);
      if (!challenge) throw new HandshakeFailed('malformed challenge');
      if (challenge.name !== expectedPeer) throw new HandshakeFailed(`expected node ${expectedPeer}, reached node ${challenge.name}`);
      transcript = { dialer: settings.self, acceptor: challenge.name, dialerNonce, acceptorNonce: challenge.nonce };
      send(socket, { proof: hs.proof(settings.secret, 'dialer', transcript) });
      return false;
    },
    (body) => {
      checkNotRefused(body, expectedPeer);
      const verdict = hs.parseVerdict(body);
      if (!verdict) throw new HandshakeFailed('malformed verdict');
      if (!proofHolds(settings, 'acceptor', transcript!, verdict.proof)) throw lacksSecret(`node ${expectedPeer}`);
      if (verdict.verdict === 'duplicate') throw new HandshakeFailed(`node ${expectedPeer} keeps the connection it dialed`, { duplicate: true });
      return true;
    },
  ];
  const established = run(socket, settings, steps, () => expectedPeer);
  send(socket, { name: settings.self, nonce: dialerNonce });
  return established;
}

/** What the acceptor asks its transport during a handshake. */
export interface AcceptPolicy {
  /** Whether `name` is a configured peer (anyone else is turned away before any proof). */
  isPeer(name: string): boolean;
  /** Once `name` is authenticated: keep this connection, or keep the one already being dialed. */
  verdict(name: string): hs.Verdict;
  /** Why the connection cannot be `name` whatever it proves (with TLS: its certificate names another node), or undefined. */
  notWho?(name: string): string | undefined;
}

/** Accepts: challenges the dialer, checks its proof, and only then proves itself, with the verdict. */
export function acceptHandshake(socket: Socket, settings: HandshakeSettings, policy: AcceptPolicy): Promise<Established> {
  const acceptorNonce = hs.newNonce();
  let transcript: hs.HandshakeTranscript | undefined;
  const steps: Step[] = [
    (body) => {
      const hello = hs.parseHello(body);
      if (!hello) throw new HandshakeFailed('malformed hello');
      if (!policy.isPeer(hello.name) || hello.name === settings.self) {
        throw new HandshakeFailed(`node ${hello.name} is not a configured peer`, { refusal: 'unknown-node', peer: hello.name });
      }
      const impostor = policy.notWho?.(hello.name);
      if (impostor) throw new HandshakeFailed(`the connection claiming to be ${hello.name}: ${impostor}`, { peer: hello.name });
      transcript = { dialer: hello.name, acceptor: settings.self, dialerNonce: hello.nonce, acceptorNonce };
      // No proof yet: a MAC sent to a party that has not proven itself would let it guess the secret offline.
      send(socket, { name: settings.self, nonce: acceptorNonce });
      return false;
    },
    (body) => {
      const response = hs.parseResponse(body);
      if (!response) throw new HandshakeFailed('malformed response');
      const dialer = transcript!.dialer;
      if (!proofHolds(settings, 'dialer', transcript!, response.proof)) throw lacksSecret(`node ${dialer}`, { refusal: 'wrong-secret', peer: dialer });
      const verdict = policy.verdict(dialer);
      send(socket, { verdict, proof: hs.proof(settings.secret, 'acceptor', transcript!) });
      if (verdict === 'duplicate') throw new HandshakeFailed(`kept the connection to node ${dialer} this node dialed`, { duplicate: true, peer: dialer });
      return true;
    },
  ];
  return run(socket, settings, steps, () => transcript?.dialer ?? '', firstMessageMs);
}
