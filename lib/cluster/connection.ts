// One authenticated TCP connection to a peer, multiplexed: requests carry ids,
// replies are matched by id, each request times out on its own, and requests
// from the peer are served and answered on the same connection. A bad frame or
// an oversized length closes this connection and nothing else.

import type { Socket } from 'node:net';
import { now } from '../core/clock';
import { atTurnEnd } from '../core/turn-end';
import { OpenCall, OpenCalls } from '../core/open-calls';
import type { Outcome } from '../core/operations';
import { failed, ok } from '../core/operations';
import { toErrorData, type ErrorData } from '../errors';
import { clusterErrors } from './errors';
import { headerBytes } from './frame';
import type { Established } from './handshake-session';
import { frameRequest, parseEnvelope, requestProblem, type EncodedRequest, type NodeRequest } from './protocol';
import { encodeReply } from './reply';

/** Limits of one connection. */
export interface ConnectionSettings {
  /** How long a request may wait for its reply. */
  requestTimeoutMs: number;
  /** The longest frame body sent or accepted. */
  maxFrameBytes: number;
  /** Bytes queued for a peer that does not read, past which requests fail fast and the peer's requests are dropped. */
  maxBufferedBytes: number;
}

/** Serves one request from the peer; never rejects. */
export type Serve = (request: NodeRequest) => Promise<Outcome<unknown>>;

export class Connection {
  readonly peer: string;
  private readonly socket: Socket;
  /** Requests sent and not yet answered, with their timeouts (one timer for all). */
  private readonly open: OpenCalls;
  /**
   * The same requests by id, to match replies. A Map churned per request, which
   * open-calls.ts avoids; here it is one entry per frame (a turn's batch for one
   * bucket), not per operation.
   */
  private readonly waiting = new Map<number, OpenCall<Outcome<unknown>>>();
  private nextId = 1;
  private outbox: Buffer[] = [];
  private outboxBytes = 0;
  private flushScheduled = false;
  private closed = false;
  /** Frames that followed the handshake in its last chunk, until start(). */
  private early: Buffer[];

  constructor(
    established: Established,
    private readonly settings: ConnectionSettings,
    private readonly serve: Serve,
    private readonly onClose: (connection: Connection, reason: string) => void,
  ) {
    const { socket, decoder, early } = established;
    this.peer = established.peer;
    this.open = new OpenCalls(() => clusterErrors.timeout(this.peer, settings.requestTimeoutMs).toData());
    this.socket = socket;
    // 1. No Nagle: frames are already coalesced per event-loop turn (flush), latency matters.
    // 2. Keep-alive: notice a peer whose host vanished without a FIN.
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 5000);
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk, (body) => this.onFrame(body));
      } catch (error) {
        this.close(toErrorData(error).message);
      }
    });
    socket.on('close', () => this.close('the connection closed'));
    socket.on('error', (error) => this.close(error.message));
    this.early = early;
  }

  /**
   * Handles the frames that came with the handshake, then reads on. Separate
   * from the constructor: one of them may close the connection, and the owner
   * must already hold it then, or it would not see the close (and keep a
   * closed connection as its live one, never redialing).
   */
  start(): void {
    const early = this.early;
    this.early = [];
    for (const body of early) this.onFrame(body);
    if (!this.closed) this.socket.resume();
  }

  /** Bytes waiting to be sent (bounded by `maxBufferedBytes` plus one frame). */
  get bufferedBytes(): number {
    return this.socket.writableLength + this.outboxBytes;
  }

  /**
   * Sends an encoded request; `answer` is called once with the peer's outcome,
   * or with NODE_UNAVAILABLE, TIMEOUT or BAD_REQUEST (too large) as an outcome.
   * Failures travel as outcomes, never as exceptions: a batch's callers are
   * settled from them directly.
   */
  request(request: EncodedRequest | undefined, answer: (outcome: Outcome<unknown>) => void, timeoutMs = this.settings.requestTimeoutMs): void {
    if (this.closed || this.bufferedBytes > this.settings.maxBufferedBytes) return answer(failed(clusterErrors.unavailable(this.peer).toData()));
    if (!request || request.bytes > this.settings.maxFrameBytes) {
      return answer(failed(clusterErrors.tooLarge('a request', request?.bytes, this.settings.maxFrameBytes).toData()));
    }
    const id = this.nextId++;
    const settle = (outcome: Outcome<Outcome<unknown>>): void => {
      this.waiting.delete(id);
      answer(outcome.ok ? outcome.value : outcome);
    };
    this.waiting.set(id, this.open.open(settle, now() + timeoutMs, this.peer));
    this.enqueue(frameRequest(id, request));
  }

  /** Closes the connection; every request still waiting is answered `waiting` (by default NODE_UNAVAILABLE). */
  close(reason: string, waiting: ErrorData = clusterErrors.unavailable(this.peer).toData()): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.outbox = [];
    this.outboxBytes = 0;
    this.open.stop(waiting);
    this.onClose(this, reason);
  }

  private onFrame(body: Buffer): void {
    if (this.closed) return;
    const envelope = parseEnvelope(body);
    if (!envelope) return this.close('a bad frame');
    if ('q' in envelope) {
      // A peer that does not read our replies gets no more of its requests
      // served until it does: they are dropped, and time out on its side.
      // Reading goes on (pausing it would also stop the replies to our own
      // requests, and two nodes that both pass the cap would each wait for
      // the other to read, forever).
      if (this.socket.writableLength > this.settings.maxBufferedBytes) return;
      return this.answer(envelope.i, envelope.q);
    }
    const call = this.waiting.get(envelope.i);
    // A reply to a request that already timed out is dropped.
    if (call) this.open.close(call, ok(envelope.r));
  }

  private answer(id: number, request: NodeRequest): void {
    const problem = requestProblem(request as unknown as Record<string, unknown>);
    const outcome = problem ? Promise.resolve(failed({ code: 'BAD_REQUEST', message: problem })) : this.serve(request);
    outcome
      .catch((error: unknown) => failed(toErrorData(error)))
      .then((result) => this.reply(id, result, request.kind === 'batch'))
      // encodeReply never throws; should anything else, this connection goes, not the process.
      .catch((error: unknown) => this.close(`could not reply: ${toErrorData(error).message}`));
  }

  private reply(id: number, outcome: Outcome<unknown>, isBatch: boolean): void {
    if (this.closed) return;
    this.enqueue(encodeReply(id, outcome, isBatch, this.settings.maxFrameBytes));
  }

  /**
   * Queues a frame; everything queued in one event-loop turn goes out in one
   * write, at the end of the check phase in which the bucket actors answered
   * (core/turn-end.ts), not one loop iteration later.
   */
  private enqueue(body: Buffer): void {
    const header = Buffer.allocUnsafe(headerBytes);
    header.writeUInt32BE(body.length, 0);
    this.outbox.push(header, body);
    this.outboxBytes += headerBytes + body.length;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    atTurnEnd(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.outbox.length === 0) return;
    const data = Buffer.concat(this.outbox, this.outboxBytes);
    this.outbox = [];
    this.outboxBytes = 0;
    this.socket.write(data);
  }
}
