// One client connection (the guide's KVServer.serve loop): framing, in-order
// replies to pipelined requests with one socket write per batch of ready
// replies, and the per-client limits that keep one client from harming others.

import type { Socket } from 'node:net';
import type { Store } from '../store';
import { formatReply, refusals, type Reply } from './format';
import { LineReader, type LineSink } from './line-reader';
import type { ResolvedServerOptions } from './options';
import { parse, type Parsed } from './parse';
import { run } from './run';

/** Requests awaiting their reply past which reading pauses, as unsent bytes do. */
const maxQueuedReplies = 4096;

/** A reply's place in the queue: its text once the store has answered. */
interface Slot {
  text: string | undefined;
}

/** A request held back until the CREATE before it has finished. */
interface Held {
  parsed: Parsed;
  slot: Slot;
}

export class Connection implements LineSink {
  private readonly reader: LineReader;
  private readonly limits: ResolvedServerOptions;
  /** Replies in request order; `head` is the first not yet written. */
  private slots: Slot[] = [];
  private head = 0;
  private flushQueued = false;
  /** Set while a CREATE runs: the requests after it wait in `held`, in order. */
  private barrier = false;
  private held: Held[] = [];
  private heldHead = 0;
  private paused = false;
  /** Set once no further request will be read: refused, ended by the client, or shutting down. */
  private closing = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  /** Settles when the socket is closed. */
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly store: Store,
    options: ResolvedServerOptions,
  ) {
    this.limits = options;
    this.reader = new LineReader(options.maxLineBytes);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // The client half-closed: answer everything it sent, then close our side.
    socket.on('end', () => this.closeAfterReplies());
    socket.on('drain', () => this.updateBackpressure());
    // Resets are routine; 'close' follows and cleans up.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.stopIdleTimer();
        clearTimeout(this.closeTimer);
        resolve();
      }),
    );
  }

  /** Stops reading requests, answers those already received, then closes. */
  shutdown(): void {
    this.closeAfterReplies();
  }

  /** Ends the connection now, replies or not. */
  destroy(): void {
    this.socket.destroy();
  }

  line(text: string): void {
    const slot = this.newSlot();
    const parsed = parse(text);
    if (this.barrier) this.held.push({ parsed, slot });
    else this.issue(parsed, slot);
  }

  invalidLine(): void {
    this.enqueueText(refusals.invalidUtf8);
  }

  private onData(chunk: Buffer): void {
    // Input after the end is read and dropped (a lingering close), so that
    // unread bytes do not turn our FIN into a reset that loses the last reply.
    if (this.closing) return;
    const lines = this.reader.push(chunk, this);
    if (lines === 'too-long') return this.refuse(refusals.lineTooLong, 'line too long');
    this.updateIdleTimer(lines > 0);
    this.updateBackpressure();
  }

  private newSlot(): Slot {
    const slot: Slot = { text: undefined };
    this.slots.push(slot);
    return slot;
  }

  // Requests run in the order they were sent. Calls to a bucket keep their
  // order in the store, but a CREATE goes through the registry, so the
  // requests after it wait until it is done (`PUT` right after `CREATE` must
  // find the bucket).
  private issue(parsed: Parsed, slot: Slot): void {
    const reply = run(this.store, parsed);
    if (!(reply instanceof Promise)) return this.settle(slot, reply);
    if (parsed.kind === 'create') this.barrier = true;
    void reply.then((settled) => {
      this.settle(slot, settled);
      if (parsed.kind === 'create') this.release();
    });
  }

  private release(): void {
    this.barrier = false;
    while (!this.barrier && this.heldHead < this.held.length) {
      const { parsed, slot } = this.held[this.heldHead++]!;
      this.issue(parsed, slot);
    }
    if (this.heldHead === this.held.length) {
      this.held = [];
      this.heldHead = 0;
    }
  }

  private settle(slot: Slot, reply: Reply): void {
    slot.text = formatReply(reply);
    this.scheduleFlush();
  }

  private enqueueText(text: string): void {
    this.newSlot().text = text;
    this.scheduleFlush();
  }

  // Replies that settle in the same turn (a batch from one bucket) go out in one write.
  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.socket.destroyed) return;
    const out = this.takeReadyText();
    if (out === undefined) return this.drop();
    if (out !== '') this.socket.write(out);
    if (this.closing && this.slots.length === 0) this.finish();
    else this.updateBackpressure();
  }

  /** The ready replies at the head, joined; undefined if they would pass the hard limit. */
  private takeReadyText(): string | undefined {
    let out = '';
    const room = this.limits.outputHardLimitBytes - this.socket.writableLength;
    for (; this.head < this.slots.length; this.head++) {
      const text = this.slots[this.head]!.text;
      if (text === undefined) break;
      out += text;
      if (out.length > room) return undefined;
    }
    if (this.head === this.slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  private drop(): void {
    this.log('warn', 'client dropped', { reason: 'unsent replies passed outputHardLimitBytes', limit: this.limits.outputHardLimitBytes });
    this.socket.destroy();
  }

  private refuse(text: string, event: string): void {
    this.log('warn', event, {});
    this.enqueueText(text);
    this.closeAfterReplies();
  }

  private closeAfterReplies(): void {
    if (this.closing) return;
    this.closing = true;
    this.stopIdleTimer();
    if (this.slots.length === 0) this.finish();
  }

  private finish(): void {
    if (this.closeTimer || this.socket.destroyed) return;
    this.socket.end();
    this.socket.resume();
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.limits.closeTimeoutMs);
  }

  // Soft limit: stop reading from a client that does not read its replies (or
  // has too many requests in flight) until the socket drains. The hard limit
  // is checked when replies are written (takeReadyText).
  private updateBackpressure(): void {
    if (this.closing || this.socket.destroyed) return;
    const over = this.socket.writableLength > this.limits.outputSoftLimitBytes || this.slots.length - this.head > maxQueuedReplies;
    if (over === this.paused) return;
    this.paused = over;
    if (over) {
      this.socket.pause();
      this.stopIdleTimer();
      this.log('info', 'client paused', { unsentBytes: this.socket.writableLength, queuedReplies: this.slots.length - this.head });
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

  private log(level: 'info' | 'warn', event: string, fields: Record<string, unknown>): void {
    this.limits.logger[level](event, { remote: `${this.socket.remoteAddress}:${this.socket.remotePort}`, ...fields });
  }
}
