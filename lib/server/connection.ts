// One client connection (the guide's KVServer.serve loop): reads lines, queues
// their replies in order, writes each batch of ready replies at once, and
// enforces the per-client limits that keep one client from harming others.

import type { Socket } from 'node:net';
import type { Store } from '../store';
import { refusals } from './format';
import { LineReader, type LineSink } from './line-reader';
import type { ResolvedServerOptions } from './options';
import { parse } from './parse';
import { ReplyQueue } from './reply-queue';
import type { Flushable, Turn } from './turn';

/** Requests awaiting their reply past which reading pauses, as unsent bytes do. */
const maxQueuedReplies = 4096;

export class Connection implements LineSink, Flushable {
  private readonly reader: LineReader;
  private readonly limits: ResolvedServerOptions;
  private readonly replies: ReplyQueue;
  private flushQueued = false;
  private paused = false;
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
  ) {
    this.limits = options;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.log('debug', 'client connected', {});
    this.reader = new LineReader(options.maxLineBytes);
    this.replies = new ReplyQueue(store, turn, () => this.scheduleFlush());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // The client half-closed: answer everything it sent, then close our side.
    socket.on('end', () => this.closeAfterReplies());
    socket.on('drain', () => this.updateBackpressure());
    // Resets are routine; 'close' follows and cleans up.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', (hadError) => {
        this.stopIdleTimer();
        clearTimeout(this.closeTimer);
        this.log('debug', 'client closed', hadError ? { reason: 'reset or error' } : {});
        resolve();
      }),
    );
  }

  /** Stops reading requests, answers those already received, then closes. */
  shutdown(): void {
    this.closeAfterReplies();
  }

  line(binary: string): void {
    // After QUIT, the lines behind it in the same chunk are not requests any more.
    if (this.closing) return;
    const parsed = parse(binary);
    this.replies.request(parsed);
    // QUIT: its OK, and every reply before it, go out before the close.
    if (parsed.kind === 'quit') this.closeAfterReplies();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return this.discard(chunk);
    const lines = this.reader.push(chunk, this);
    if (lines === 'too-long') return this.refuse(refusals.lineTooLong, 'line too long');
    this.updateIdleTimer(lines > 0);
    this.updateBackpressure();
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
    if (over === this.paused) return;
    this.paused = over;
    if (over) {
      this.socket.pause();
      this.stopIdleTimer();
      this.log('info', 'client paused', { unsentBytes: this.socket.writableLength, queuedReplies: this.replies.length });
    } else {
      this.socket.resume();
      this.updateIdleTimer(true);
      this.log('info', 'client resumed', {});
    }
  }

  // A started line must end within idleTimeoutMs of the last complete line;
  // time spent paused by backpressure does not count.
  private updateIdleTimer(progress: boolean): void {
    if (this.limits.idleTimeoutMs === 0) return;
    if (progress || this.reader.pending === 0) this.stopIdleTimer();
    if (this.reader.pending > 0 && !this.idleTimer && !this.paused) {
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
