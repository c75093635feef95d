// In-order replies for pipelined requests: each request takes a slot when it
// is read, the slot fills when the store answers, and the filled slots at the
// head leave together, as one socket write.

import type { Turn, TurnMember } from './turn';

/** How a protocol runs its requests (the text protocol's, or RESP's). */
export interface RequestRunner<R> {
  /** Runs `request`; `answer` is called exactly once with its reply's bytes (a binary string). Never throws. */
  run(request: R, answer: (text: string) => void): void;
  /** Whether the requests after this one must wait until it is answered (it creates or drops a bucket). */
  isBarrier(request: R): boolean;
}

/** A request's place in the queue: the request until it is issued, its reply's bytes (a binary string) once the store has answered. */
interface Slot<R> {
  request: R | undefined;
  text: string | undefined;
  /** What the slot is counted as holding (heldBytes). */
  bytes: number;
}

/**
 * What a request in flight is counted as holding besides its line: the parsed
 * request, the operation and its callbacks in the store, the slot. Measured
 * with 400 clients of 10,000 pipelined PUTs (server-memory.system.test.ts);
 * an estimate that errs high, so the budget bounds the real memory.
 */
export const requestOverheadBytes = 512;

export class ReplyQueue<R> implements TurnMember {
  /** Replies in request order; `head` is the first not yet taken. */
  private slots: Array<Slot<R>> = [];
  private head = 0;
  /** Requests not yet issued, in order, from `waitingHead`: waiting for the turn, or for the CREATE before them. */
  private waiting: Array<Slot<R>> = [];
  private waitingHead = 0;
  private inTurn = false;
  /** Set while a CREATE runs: the requests after it wait until it is done. */
  private barrier = false;
  /** What the queue is counted as holding: its requests and the replies not yet taken. */
  heldBytes = 0;

  /** `onReady` is called whenever a reply becomes ready; `onAnswered` once per request the store answered. */
  constructor(
    private readonly runner: RequestRunner<R>,
    private readonly turn: Turn,
    private readonly onReady: () => void,
    private readonly onAnswered: () => void = () => {},
  ) {}

  /** Requests read whose replies have not been taken yet. */
  get length(): number {
    return this.slots.length - this.head;
  }

  /** Queues a request (read as a line of `lineBytes`) to run with the rest of this turn's; its reply keeps its place. */
  request(parsed: R, lineBytes: number): void {
    this.waiting.push(this.newSlot(parsed, lineBytes + requestOverheadBytes));
    if (this.inTurn || this.barrier) return;
    this.inTurn = true;
    this.turn.join(this);
  }

  /** Issues the waiting requests, in order, up to the first CREATE still running. */
  issueWaiting(): void {
    this.inTurn = false;
    while (!this.barrier && this.waitingHead < this.waiting.length) {
      this.issue(this.waiting[this.waitingHead++]!);
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    }
  }

  /** Queues a reply that is ready now (a refusal), as a binary string. */
  push(text: string): void {
    this.later()(text);
  }

  /** Keeps a reply's place now; the function returned fills it (once). */
  later(): (text: string) => void {
    const slot = this.newSlot(undefined, 0);
    return (text) => {
      slot.text = text;
      slot.bytes += text.length;
      this.heldBytes += text.length;
      this.onReady();
    };
  }

  /**
   * The ready replies at the head, joined and removed from the queue; or
   * undefined, leaving them, as soon as they pass `room` bytes (a reply is a
   * binary string: its length is its bytes).
   */
  takeReady(room: number): string | undefined {
    let out = '';
    let at = this.head;
    for (; at < this.slots.length; at++) {
      const text = this.slots[at]!.text;
      if (text === undefined) break;
      out += text;
      if (out.length > room) return undefined;
    }
    this.advanceTo(at);
    return out;
  }

  /** Removes the slots before `at`, compacting the array now and then. */
  private advanceTo(at: number): void {
    for (let index = this.head; index < at; index++) this.heldBytes -= this.slots[index]!.bytes;
    this.head = at;
    if (this.head === this.slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }

  private newSlot(request: R | undefined, bytes: number): Slot<R> {
    const slot: Slot<R> = { request, text: undefined, bytes };
    this.slots.push(slot);
    this.heldBytes += bytes;
    return slot;
  }

  // Requests run in the order they were read. Calls to one bucket keep their
  // order in the store, but a CREATE or a DROP goes through the registry, so
  // the requests after it wait until it is done (`PUT` right after `CREATE`
  // must find the bucket, and right after `DROP` must not). Everything else is issued in the same turn, so the
  // store batches a pipelined burst per bucket.
  private issue(slot: Slot<R>): void {
    const request = slot.request!;
    slot.request = undefined;
    if (!this.runner.isBarrier(request)) return this.runner.run(request, (text) => this.settle(slot, text));
    this.barrier = true;
    this.runner.run(request, (text) => {
      this.settle(slot, text);
      this.barrier = false;
      this.issueWaiting();
    });
  }

  private settle(slot: Slot<R>, text: string): void {
    slot.text = text;
    slot.bytes += slot.text.length;
    this.heldBytes += slot.text.length;
    this.onAnswered();
    this.onReady();
  }
}
