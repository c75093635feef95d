// What every client connection does, whatever its protocol (the text
// protocol's Connection, RESP's RespClient): reads its requests a few at a
// time within the turn's quota shared by every client (read-quota.ts), runs
// them through a ReplyQueue (replies in order, a turn's requests issued
// together), writes each turn's ready replies at once, and enforces the
// per-client limits that keep one client from harming others: output soft and
// hard limits, the client memory budget, the idle timeout, a lingering close.
// A protocol supplies the reader that cuts bytes into requests and the runner.

import type { Socket } from 'node:net';
import type { BudgetMember, MemoryBudget } from './memory-budget';
import type { ResolvedServerOptions } from './options';
import type { ReadQuota } from './read-quota';
import { ReplyQueue, type RequestRunner } from './reply-queue';
import type { Flushable, Turn } from './turn';

/** What every client of a server shares, whichever protocol it speaks. */
export interface ClientShared {
  turn: Turn;
  budget: MemoryBudget;
  quota: ReadQuota;
  limits: ResolvedServerOptions;
}

/** A reply that ends the connection (after the replies before it), and the warning logged. */
export interface Refusal {
  reply: string;
  event: string;
  fields?: Record<string, unknown>;
}

/** What one read cut: how many requests (each now in flight, or answered), or a refusal. */
export interface ReadResult {
  requests: number;
  refusal?: Refusal;
}

/** Requests awaiting their reply past which reading pauses, as unsent bytes do. */
const maxQueuedReplies = 4096;

/**
 * Requests taken from one client at a time: a client that sends 10,000
 * requests in one write has them read 32 at a time, within the turn's quota
 * shared by every client, so its requests in flight stay bounded.
 */
const maxRequestsPerRead = 32;

/** Why reading from a client is paused: unsent replies, the memory budget, or a backlog read a turn at a time. */
type PauseReason = 'output' | 'budget' | 'backlog';

export abstract class ClientSocket<R> implements Flushable, BudgetMember, RequestRunner<R> {
  protected readonly replies: ReplyQueue<R>;
  protected readonly limits: ResolvedServerOptions;
  /**
   * Set once no further input is read: the client ended its side, the server
   * shuts down, or (`dropped` set too) a QUIT or a refusal. Requests already
   * received and waiting their turn still run unless dropped.
   */
  protected closing = false;
  /** Set by QUIT or a refusal: requests received after it are not run. */
  protected dropped = false;
  /** The client's address, for logs (kept: a closed socket no longer knows it). */
  readonly remote: string;
  /** Settles when the socket is closed. */
  readonly closed: Promise<void>;
  private flushQueued = false;
  private readonly pausedFor = new Set<PauseReason>();
  /** A pause was logged ('client paused'): its end is logged too. */
  private pauseLogged = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  /** Input read and dropped since closing began. */
  private discarded = 0;
  /** Replies delayed on purpose (a wrong password's): cleared when the socket closes, so none keeps the process up. */
  private readonly delays = new Map<NodeJS.Timeout, () => void>();

  constructor(
    protected readonly socket: Socket,
    protected readonly shared: ClientShared,
    /** Added to every log line about this client. */
    private readonly logFields: Record<string, unknown>,
  ) {
    this.limits = shared.limits;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.replies = new ReplyQueue(this, shared.turn, () => this.scheduleFlush(), () => shared.quota.answered());
    this.log('debug', 'client connected', {});
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // The client half-closed: answer everything it sent, then close our side.
    socket.on('end', () => this.closeAfterReplies());
    socket.on('drain', () => this.updateBackpressure());
    // Resets are routine; 'close' follows and cleans up.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', (hadError) => {
        shared.budget.remove(this);
        this.stopIdleTimer();
        clearTimeout(this.closeTimer);
        // Answered now rather than later: each is a request in flight for the quota until answered.
        for (const [delay, then] of this.delays) {
          clearTimeout(delay);
          then();
        }
        this.delays.clear();
        this.log('debug', 'client closed', hadError ? { reason: 'reset or error' } : {});
        resolve();
      }),
    );
  }

  // --- what a protocol supplies ---

  /**
   * Cuts up to `max` requests from `chunk` (none: from what earlier reads
   * left) and hands each to the reply queue. Every request cut counts, even
   * one answered at once without the store (the quota is told `answered`).
   */
  protected abstract readRequests(chunk: Buffer | undefined, max: number): ReadResult;
  /** Bytes read and not yet handed over as requests. */
  protected abstract get inputBytes(): number;
  /** Whether requests already received wait for a later read (call readRequests with no chunk). */
  protected abstract get backlogged(): boolean;
  /** Runs one request (the reply queue calls it); `answer` is called exactly once. */
  abstract run(request: R, answer: (text: string) => void): void;
  /** Whether the requests after this one wait until it is answered. */
  abstract isBarrier(request: R): boolean;
  /** The reply to a client whose request stays incomplete past idleTimeoutMs. */
  protected abstract idleRefusal(): string;

  // --- the budget's view ---

  /** Bytes held for this client: input not yet cut into requests, requests in flight and their replies, unsent bytes. */
  get heldBytes(): number {
    return this.inputBytes + this.replies.heldBytes + this.socket.writableLength;
  }

  pauseForBudget(paused: boolean): void {
    if (paused) this.logPause({ reason: 'client memory budget', held: this.heldBytes });
    this.setPaused('budget', paused);
    if (!paused) this.readBacklog();
  }

  dropForBudget(total: number, limit: number): void {
    this.log('warn', 'client dropped', { reason: 'the clients together passed the client memory budget, and this one held the most', held: this.heldBytes, total, limit });
    this.socket.destroy();
  }

  /**
   * Stops reading, answers the requests already taken in, then closes. Those
   * still waiting their turn are dropped: a client that does not read would
   * hold them, and the shutdown, forever.
   */
  shutdown(): void {
    this.closeAfterReplies('drop');
  }

  /** Calls `then` after `ms`, or at once when the socket closes (so no timer outlives it). */
  protected after(ms: number, then: () => void): void {
    const delay = setTimeout(() => {
      this.delays.delete(delay);
      then();
    }, ms);
    this.delays.set(delay, then);
  }

  // --- reading ---

  private onData(chunk: Buffer): void {
    if (this.closing) return this.discard(chunk);
    this.read(chunk);
  }

  /** Cuts the requests this turn's quota allows from `chunk` (none: the backlog); the rest waits for a later turn. */
  private read(chunk: Buffer | undefined): void {
    const { quota } = this.shared;
    const granted = quota.take(maxRequestsPerRead);
    const { requests, refusal } = this.readRequests(chunk, granted);
    quota.giveBack(granted - requests);
    if (refusal) return this.refuse(refusal);
    this.updateIdleTimer(requests > 0);
    this.updateBackpressure();
    this.shared.budget.update(this);
    const backlogged = this.hasBacklog();
    this.setPaused('backlog', backlogged);
    if (backlogged) quota.wait(() => this.readBacklog());
    else if (this.closing && this.replies.length === 0) this.finish();
  }

  /** Requests received that wait for a later turn and will run (after an end or a shutdown they still do). */
  private hasBacklog(): boolean {
    return !this.dropped && this.backlogged;
  }

  /** Goes on with the backlog, unless reading is paused for another reason (its end resumes it). */
  private readBacklog(): void {
    if (this.socket.destroyed || !this.hasBacklog()) return;
    if (this.pausedFor.has('output') || this.pausedFor.has('budget')) return;
    this.read(undefined);
  }

  // Input after closing began is read and dropped (a lingering close), so the
  // client's FIN is seen and unread bytes do not turn our FIN into a reset that
  // loses the last reply; but only up to one line's worth, so that a flood
  // costs nothing: past it, reading stops until closeTimeoutMs destroys the socket.
  private discard(chunk: Buffer): void {
    this.discarded += chunk.length;
    if (this.discarded > this.limits.maxLineBytes) this.socket.pause();
  }

  // --- writing ---

  // The replies that become ready in one turn go out in one write: the
  // buckets of a pipelined burst answer in separate callbacks of the same
  // check phase, and a write per answer would cost a system call each.
  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.shared.turn.requestFlush(this);
  }

  /** Writes the ready replies at the head of the queue (the turn's write pass calls it). */
  flush(): void {
    this.flushQueued = false;
    if (this.socket.destroyed) return;
    const out = this.replies.takeReady(this.limits.outputHardLimitBytes - this.socket.writableLength);
    if (out === undefined) return this.drop();
    // One char per byte: the socket counts the string's length, which is its bytes.
    if (out !== '') this.socket.write(out, 'latin1');
    this.shared.budget.update(this);
    if (this.closing && this.replies.length === 0 && !this.hasBacklog()) this.finish();
    else this.updateBackpressure();
  }

  private drop(): void {
    this.log('warn', 'client dropped', { reason: 'unsent replies passed outputHardLimitBytes', limit: this.limits.outputHardLimitBytes });
    this.socket.destroy();
  }

  // --- closing ---

  private refuse(refusal: Refusal): void {
    this.log('warn', refusal.event, refusal.fields ?? {});
    this.replies.push(refusal.reply);
    this.closeAfterReplies('drop');
  }

  /**
   * Reads no further input; closes once every reply is written, after the
   * requests already received have run ('drop': QUIT or a refusal, they do not).
   */
  protected closeAfterReplies(backlog: 'run' | 'drop' = 'run'): void {
    if (backlog === 'drop') this.dropped = true;
    if (!this.closing) {
      this.closing = true;
      this.stopIdleTimer();
    }
    // Again when already closing: a shutdown while a half-closed client's backlog waits drops it, and may end here.
    if (this.replies.length === 0 && !this.hasBacklog()) this.finish();
    else if (this.hasBacklog()) this.readBacklog();
  }

  private finish(): void {
    if (this.closeTimer || this.socket.destroyed) return;
    this.socket.end();
    if (this.discarded <= this.limits.maxLineBytes) this.socket.resume();
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.limits.closeTimeoutMs);
  }

  // --- pausing ---

  // Soft limit: stop reading from a client that does not read its replies (or
  // has too many requests in flight) until the socket drains. The hard limit
  // is checked when replies are written (flush).
  private updateBackpressure(): void {
    if (this.socket.destroyed) return;
    const over = this.socket.writableLength > this.limits.outputSoftLimitBytes || this.replies.length > maxQueuedReplies;
    if (over === this.pausedFor.has('output')) return;
    if (over && !this.closing) this.logPause({ unsentBytes: this.socket.writableLength, queuedReplies: this.replies.length });
    this.setPaused('output', over);
    if (!over) this.readBacklog();
  }

  /** Pauses reading while any reason holds; resumes when none does. Once closing, only the reasons are kept (for the backlog). */
  private setPaused(reason: PauseReason, paused: boolean): void {
    if (this.socket.destroyed) return;
    const before = this.pausedFor.size > 0;
    if (paused) this.pausedFor.add(reason);
    else this.pausedFor.delete(reason);
    const after = this.pausedFor.size > 0;
    if (before === after || this.closing) return;
    if (after) {
      this.socket.pause();
      this.stopIdleTimer();
    } else {
      this.socket.resume();
      this.updateIdleTimer(true);
      if (this.pauseLogged) this.log('info', 'client resumed', {});
      this.pauseLogged = false;
    }
  }

  private logPause(fields: Record<string, unknown>): void {
    this.pauseLogged = true;
    this.log('info', 'client paused', fields);
  }

  // A started request must be complete within idleTimeoutMs of the last
  // complete one (bytes that trickle in without completing one do not count);
  // time spent paused by backpressure does not count either.
  private updateIdleTimer(progress: boolean): void {
    if (this.limits.idleTimeoutMs === 0 || this.closing) return;
    if (progress || this.inputBytes === 0) this.stopIdleTimer();
    if (this.inputBytes > 0 && !this.idleTimer && this.pausedFor.size === 0) {
      this.idleTimer = setTimeout(() => this.refuse({ reply: this.idleRefusal(), event: 'client idle' }), this.limits.idleTimeoutMs);
    }
  }

  private stopIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  protected log(level: 'debug' | 'info' | 'warn', event: string, fields: Record<string, unknown>): void {
    this.limits.logger[level]({ remote: this.remote, ...this.logFields, ...fields }, event);
  }
}
