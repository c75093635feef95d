// In-order replies for pipelined requests: each request takes a slot when it
// is read, the slot fills when the store answers, and the filled slots at the
// head leave together, as one socket write.

import type { Store } from '../store';
import { formatReply, type Reply } from './format';
import type { Parsed } from './parse';
import { run } from './run';

/** A reply's place in the queue: its text once the store has answered. */
interface Slot {
  text: string | undefined;
}

/** A request held back until the CREATE before it has finished. */
interface Held {
  parsed: Parsed;
  slot: Slot;
}

export class ReplyQueue {
  /** Replies in request order; `head` is the first not yet taken. */
  private slots: Slot[] = [];
  private head = 0;
  /** Set while a CREATE runs: the requests after it wait in `held`, in order. */
  private barrier = false;
  private held: Held[] = [];
  private heldHead = 0;

  /** `onReady` is called whenever a reply becomes ready. */
  constructor(
    private readonly store: Store,
    private readonly onReady: () => void,
  ) {}

  /** Requests read whose replies have not been taken yet. */
  get length(): number {
    return this.slots.length - this.head;
  }

  /** Runs a request (or holds it behind a CREATE); its reply keeps its place. */
  request(parsed: Parsed): void {
    const slot = this.newSlot();
    if (this.barrier) this.held.push({ parsed, slot });
    else this.issue(parsed, slot);
  }

  /** Queues a reply that is ready now (a refusal). */
  push(text: string): void {
    this.newSlot().text = text;
    this.onReady();
  }

  /**
   * The ready replies at the head, joined and removed from the queue; or
   * undefined, leaving them, as soon as they pass `room` characters.
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
    this.head = at;
    if (this.head === this.slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  private newSlot(): Slot {
    const slot: Slot = { text: undefined };
    this.slots.push(slot);
    return slot;
  }

  // Requests run in the order they were read. Calls to one bucket keep their
  // order in the store, but a CREATE goes through the registry, so the
  // requests after it wait until it is done (`PUT` right after `CREATE` must
  // find the bucket). Everything else is issued at once, in the same turn,
  // so the store batches a pipelined burst per bucket.
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
    this.onReady();
  }
}
