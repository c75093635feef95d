// One client connection (the guide's KVServer.serve loop): reads lines, queues
// their replies in order, writes each batch of ready replies at once, and
// enforces the per-client limits that keep one client from harming others.

import type { Socket } from 'node:net';
import type { Store } from '../store';
import { refusals } from './format';
import { LineReader, type LineSink } from './line-reader';
import { passwordMatches } from './access';
import type { AuthFailures } from './auth-failures';
import type { BudgetMember, MemoryBudget } from './memory-budget';
import type { ReadQuota } from './read-quota';
import type { ResolvedServerOptions } from './options';
import { parse, type Parsed } from './parse';
import { textRunner } from './run';
import { ReplyQueue } from './reply-queue';
import type { Flushable, Turn } from './turn';

/** Requests awaiting their reply past which reading pauses, as unsent bytes do. */
const maxQueuedReplies = 4096;

/**
 * Lines taken from one client at a time: a client that sends 10,000 requests
 * in one write has them read 32 at a time, within the turn's quota shared
 * by every client (read-quota.ts), so its requests in flight stay bounded.
 */
const maxLinesPerRead = 32;

/** Why reading from a client is paused: unsent replies, the memory budget, or a backlog read a turn at a time. */
type PauseReason = 'output' | 'budget' | 'backlog';

export class Connection implements LineSink, Flushable, BudgetMember {
  private readonly reader: LineReader;
  private readonly limits: ResolvedServerOptions;
  private readonly replies: ReplyQueue<Parsed>;
  private flushQueued = false;
  private readonly pausedFor = new Set<PauseReason>();
  /** Lines handed to line() by the read under way (each is in flight until answered). */
  private linesRead = 0;
  /** A pause was logged ('client paused'): its end is logged too. */
  private pauseLogged = false;
  /** Set once no further request will be read: refused, ended by the client, or shutting down. */
  private closing = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  /** Input read and dropped since closing began. */
  private discarded = 0;
  /** The client's address, for logs (kept: a closed socket no longer knows it). */
  private readonly remote: string;
  /** Settles when the socket is closed. */
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    store: Store,
    private readonly turn: Turn,
    options: ResolvedServerOptions,
    private readonly budget: MemoryBudget,
    private readonly quota: ReadQuota,
    /** Set until the client AUTHs, when the node has a password. */
    private mustAuthenticate: boolean,
    private readonly authFailures: AuthFailures,
  ) {
    this.limits = options;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.log('debug', 'client connected', {});
    this.reader = new LineReader(options.maxLineBytes);
    this.replies = new ReplyQueue(textRunner(store), turn, () => this.scheduleFlush(), () => quota.answered());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // The client half-closed: answer everything it sent, then close our side.
    socket.on('end', () => this.closeAfterReplies());
    socket.on('drain', () => this.updateBackpressure());
    // Resets are routine; 'close' follows and cleans up.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', (hadError) => {
        this.budget.remove(this);
        this.stopIdleTimer();
        clearTimeout(this.closeTimer);
        this.log('debug', 'client closed', hadError ? { reason: 'reset or error' } : {});
        resolve();
      }),
    );
  }

  /** Bytes held for this client: input not yet cut into requests, requests in flight and their replies, unsent bytes. */
  get heldBytes(): number {
    return this.reader.pending + this.replies.heldBytes + this.socket.writableLength;
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

  /** Stops reading requests, answers those already received, then closes. */
  shutdown(): void {
    this.closeAfterReplies();
  }

  line(binary: string): void {
    this.linesRead++;
    // After QUIT, the lines behind it in the same chunk are not requests any more (nor in flight).
    if (this.closing) return this.quota.answered();
    const parsed = parse(binary);
    if (parsed.kind === 'auth') return this.authenticate(parsed.password);
    if (this.mustAuthenticate && parsed.kind !== 'quit') {
      this.replies.push(refusals.authRequired);
      return this.quota.answered(); // not a request for the store
    }
    this.replies.request(parsed, binary.length);
    // QUIT: its OK, and every reply before it, go out before the close.
    if (parsed.kind === 'quit') this.closeAfterReplies();
  }

  /** AUTH: OK, or (after a delay that grows with the address's failures) ERROR invalid password. */
  private authenticate(given: string): void {
    this.quota.answered(); // not a request for the store
    const password = this.limits.password;
    if (password === undefined) return this.replies.push(refusals.noPassword);
    const address = String(this.socket.remoteAddress);
    if (passwordMatches(given, password)) {
      this.mustAuthenticate = false;
      this.authFailures.succeeded(address);
      return this.replies.push(refusals.authenticated);
    }
    // Its place in the replies is kept; the commands behind it wait for it, in order.
    const answer = this.replies.later();
    setTimeout(() => answer(refusals.invalidPassword), this.authFailures.failed(address));
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return this.discard(chunk);
    this.read(chunk);
  }

  /** Cuts the lines this turn's quota allows from `chunk` (none: the backlog); the rest waits for a later turn. */
  private read(chunk: Buffer | undefined): void {
    const granted = this.quota.take(maxLinesPerRead);
    this.linesRead = 0;
    const lines = this.reader.push(chunk, this, granted);
    // Counted by line(), which also sees the lines before one that is too long.
    this.quota.giveBack(granted - this.linesRead);
    if (lines === 'too-long') return this.refuse(refusals.lineTooLong, 'line too long');
    this.updateIdleTimer(lines > 0);
    this.updateBackpressure();
    this.budget.update(this);
    const backlogged = this.reader.backlogged && !this.closing;
    this.setPaused('backlog', backlogged);
    if (backlogged) this.quota.wait(() => this.readBacklog());
  }

  /** Goes on with the backlog, unless reading is paused for another reason (its end resumes it). */
  private readBacklog(): void {
    if (this.closing || this.socket.destroyed || !this.reader.backlogged) return;
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

  // The replies that become ready in one turn go out in one write: the
  // buckets of a pipelined burst answer in separate callbacks of the same
  // check phase, and a write per answer would cost a system call each.
  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.turn.requestFlush(this);
  }

  /** Writes the ready replies at the head of the queue (the turn's write pass calls it). */
  flush(): void {
    this.flushQueued = false;
    if (this.socket.destroyed) return;
    const out = this.replies.takeReady(this.limits.outputHardLimitBytes - this.socket.writableLength);
    if (out === undefined) return this.drop();
    // One char per byte: the socket counts the string's length, which is its bytes.
    if (out !== '') this.socket.write(out, 'latin1');
    this.budget.update(this);
    if (this.closing && this.replies.length === 0) this.finish();
    else this.updateBackpressure();
  }

  private drop(): void {
    this.log('warn', 'client dropped', { reason: 'unsent replies passed outputHardLimitBytes', limit: this.limits.outputHardLimitBytes });
    this.socket.destroy();
  }

  private refuse(text: string, event: string): void {
    this.log('warn', event, {});
    this.replies.push(text);
    this.closeAfterReplies();
  }

  private closeAfterReplies(): void {
    if (this.closing) return;
    this.closing = true;
    this.stopIdleTimer();
    if (this.replies.length === 0) this.finish();
  }

  private finish(): void {
    if (this.closeTimer || this.socket.destroyed) return;
    this.socket.end();
    if (this.discarded <= this.limits.maxLineBytes) this.socket.resume();
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.limits.closeTimeoutMs);
  }

  // Soft limit: stop reading from a client that does not read its replies (or
  // has too many requests in flight) until the socket drains. The hard limit
  // is checked when replies are written (flush).
  private updateBackpressure(): void {
    if (this.closing || this.socket.destroyed) return;
    const over = this.socket.writableLength > this.limits.outputSoftLimitBytes || this.replies.length > maxQueuedReplies;
    if (over === this.pausedFor.has('output')) return;
    if (over) this.logPause({ unsentBytes: this.socket.writableLength, queuedReplies: this.replies.length });
    this.setPaused('output', over);
    if (!over) this.readBacklog();
  }

  /** Pauses reading while any reason holds; resumes when none does. */
  private setPaused(reason: PauseReason, paused: boolean): void {
    if (this.closing || this.socket.destroyed) return;
    const before = this.pausedFor.size > 0;
    if (paused) this.pausedFor.add(reason);
    else this.pausedFor.delete(reason);
    const after = this.pausedFor.size > 0;
    if (before === after) return;
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

  // A started line must end within idleTimeoutMs of the last complete line;
  // time spent paused by backpressure does not count.
  private updateIdleTimer(progress: boolean): void {
    if (this.limits.idleTimeoutMs === 0) return;
    if (progress || this.reader.pending === 0) this.stopIdleTimer();
    if (this.reader.pending > 0 && !this.idleTimer && this.pausedFor.size === 0) {
      this.idleTimer = setTimeout(() => this.refuse(refusals.idleTimeout, 'client idle'), this.limits.idleTimeoutMs);
    }
  }

  private stopIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private log(level: 'debug' | 'info' | 'warn', event: string, fields: Record<string, unknown>): void {
    this.limits.logger[level]({ remote: this.remote, ...fields }, event);
  }
}
