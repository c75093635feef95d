// A bucket's keys in memory, kept in the order they were added so that a scan
// can resume from a cursor while the bucket is written, with Redis's SCAN
// guarantee: a key present for the whole scan is returned at least once.
// Every key has a sequence number, given when it is added and kept while it
// lives; a cursor is the last number a page visited.
//
// A key may have an expiry deadline (epoch ms). An expired key is never
// returned; it is removed when it is next touched, or by sweepExpired(),
// which samples the keys that have a deadline, as Redis's active expiry does,
// rather than arming a timer per key.

import { wallNow } from '../core/clock';
import { expirySweeper } from './expiry-sweeper';

/** One key: its value, its deadline (0: none) and its place in the order. */
interface Slot {
  readonly key: string;
  value: string;
  expiresAt: number;
  readonly seq: number;
  live: boolean;
  /** Its index in `volatile` while it has a deadline, else -1. */
  volatileAt: number;
  /** The part of the order it was added to. */
  readonly chunk: Chunk;
}

/**
 * A run of the order, in sequence. The order is kept in chunks so that
 * dropping the deleted slots from it is a pause of one chunk, not of the whole
 * table (a million keys expiring together would stop the bucket for tens of ms).
 */
interface Chunk {
  slots: Slot[];
  dead: number;
}

/** One page of a scan: some keys, and the cursor to pass for the next page (0: the scan is done). */
export interface ScanPage {
  cursor: number;
  keys: string[];
}

/** A key's value and deadline, as the backends store them (expiresAt 0: none). */
export interface StoredEntry {
  value: string;
  expiresAt: number;
}

/** A scan page visits at most this many slots per key it may return, so a sparse match stays a short pause. */
const slotsPerKey = 10;

/** Slots a chunk of the order holds at most. */
const chunkSlots = 4096;

/** A chunk's dead slots are dropped once they are this many and half of it (or all of it). */
const compactAfterDead = 64;

/** Keys sampled per round of the active sweep, and the share of expired ones that calls for another round (Redis's figures). */
const sampleSize = 20;
const repeatAbove = sampleSize / 4;

export class KeyTable {
  private readonly slots = new Map<string, Slot>();
  /** Every slot in the order it was added, in chunks; deleted ones stay until their chunk is compacted. None is empty. */
  private order: Chunk[] = [];
  /**
   * Never reset (not by clear, nor by a table that replaces this one, which
   * starts where it ended), so a cursor from before still points before every
   * key added after it.
   */
  private nextSeq: number;
  /** The live slots that have a deadline, for the sweep to sample. */
  private volatile: Slot[] = [];

  constructor(firstSeq = 1) {
    this.nextSeq = firstSeq;
  }

  /** The number the next key added gets: where a table that replaces this one starts. */
  get nextSequence(): number {
    return this.nextSeq;
  }

  /** Numbers the keys added from now on after `seq` (this table is back in place of one that numbered up to it). */
  continueFrom(seq: number): void {
    this.nextSeq = Math.max(this.nextSeq, seq);
  }

  /** Keys held, counting expired ones not yet removed (as Redis's DBSIZE). */
  get size(): number {
    return this.slots.size;
  }

  /** Keys with a deadline. */
  get expiring(): number {
    return this.volatile.length;
  }

  get(key: string): string | undefined {
    return this.live(key)?.value;
  }

  /** The value and deadline of `key`, or undefined. */
  entry(key: string): StoredEntry | undefined {
    const slot = this.live(key);
    return slot && { value: slot.value, expiresAt: slot.expiresAt };
  }

  /**
   * Sets `key` with a deadline (0: none; a SET without one removes an old
   * one, as in Redis); returns what it replaced. A key that exists keeps its
   * place in the order.
   */
  set(key: string, value: string, expiresAt = 0): StoredEntry | undefined {
    const slot = this.live(key);
    if (slot) {
      const previous = { value: slot.value, expiresAt: slot.expiresAt };
      slot.value = value;
      this.setDeadline(slot, expiresAt);
      return previous;
    }
    const added: Slot = { key, value, expiresAt: 0, seq: this.nextSeq++, live: true, volatileAt: -1, chunk: this.lastChunk() };
    this.slots.set(key, added);
    added.chunk.slots.push(added);
    this.setDeadline(added, expiresAt);
    return undefined;
  }

  /** Removes `key`; returns what it held. */
  delete(key: string): StoredEntry | undefined {
    const slot = this.live(key);
    if (!slot) return undefined;
    this.remove(slot);
    return { value: slot.value, expiresAt: slot.expiresAt };
  }

  /** Removes every key; returns how many there were. */
  clear(): number {
    const removed = this.slots.size;
    for (const slot of this.slots.values()) slot.live = false;
    this.slots.clear();
    this.order = [];
    if (this.volatile.length > 0) expirySweeper.unwatch(this);
    this.volatile = [];
    return removed;
  }

  /** Lets go of the sweeper (the table is dropped or its storage closed): it holds no table that is gone. */
  release(): void {
    if (this.volatile.length > 0) expirySweeper.unwatch(this);
  }

  /** Every live entry, expired ones left out. */
  *entries(): IterableIterator<[string, string, number]> {
    const now = wallNow();
    for (const slot of this.slots.values()) if (!isExpired(slot, now)) yield [slot.key, slot.value, slot.expiresAt];
  }

  /**
   * Up to `count` keys after `cursor` (0 starts a scan) that `match` accepts,
   * visiting at most `count * slotsPerKey` slots, so one page is a short
   * pause however large the table or sparse the match.
   */
  scan(cursor: number, count: number, match?: (key: string) => boolean): ScanPage {
    const order = this.order;
    const now = wallNow();
    let chunk = firstChunkAfter(order, cursor);
    let at = chunk < order.length ? firstAfter(order[chunk]!.slots, cursor) : 0;
    let visits = count * slotsPerKey;
    let last = cursor;
    const keys: string[] = [];
    while (chunk < order.length && visits > 0 && keys.length < count) {
      const slots = order[chunk]!.slots;
      for (; at < slots.length && visits > 0 && keys.length < count; at++, visits--) {
        const slot = slots[at]!;
        last = slot.seq;
        if (slot.live && !isExpired(slot, now) && (!match || match(slot.key))) keys.push(slot.key);
      }
      if (at >= slots.length) [chunk, at] = [chunk + 1, 0];
    }
    return { cursor: chunk >= order.length ? 0 : last, keys };
  }

  /**
   * Removes expired keys found by sampling those with a deadline, round after
   * round while a round finds more than a quarter expired, until `budgetMs`
   * is spent. Returns whether it stopped for the budget (expired keys are
   * likely left).
   */
  sweepExpired(budgetMs: number): boolean {
    const now = wallNow();
    const until = performance.now() + budgetMs;
    for (;;) {
      let found = 0;
      for (let i = 0; i < sampleSize && this.volatile.length > 0; i++) {
        const slot = this.volatile[Math.floor(Math.random() * this.volatile.length)]!;
        if (isExpired(slot, now)) {
          this.remove(slot);
          found++;
        }
      }
      if (found <= repeatAbove || this.volatile.length === 0) return false;
      if (performance.now() >= until) return true;
    }
  }

  /** The slot of `key` unless it has expired (then it is removed). */
  private live(key: string): Slot | undefined {
    const slot = this.slots.get(key);
    if (slot && slot.expiresAt !== 0 && slot.expiresAt <= wallNow()) {
      this.remove(slot);
      return undefined;
    }
    return slot;
  }

  private setDeadline(slot: Slot, expiresAt: number): void {
    slot.expiresAt = expiresAt;
    if (expiresAt !== 0 && slot.volatileAt === -1) {
      slot.volatileAt = this.volatile.push(slot) - 1;
      if (this.volatile.length === 1) expirySweeper.watch(this);
    } else if (expiresAt === 0 && slot.volatileAt !== -1) {
      this.forgetDeadline(slot);
    }
  }

  /** Swap-removes the slot from `volatile`. */
  private forgetDeadline(slot: Slot): void {
    const last = this.volatile.pop()!;
    if (last !== slot) {
      this.volatile[slot.volatileAt] = last;
      last.volatileAt = slot.volatileAt;
    }
    slot.volatileAt = -1;
    if (this.volatile.length === 0) expirySweeper.unwatch(this);
  }

  private remove(slot: Slot): void {
    this.slots.delete(slot.key);
    slot.live = false;
    if (slot.volatileAt !== -1) this.forgetDeadline(slot);
    const { chunk } = slot;
    if (++chunk.dead === chunk.slots.length) this.order.splice(this.order.indexOf(chunk), 1);
    else if (chunk.dead >= compactAfterDead && chunk.dead * 2 >= chunk.slots.length) {
      chunk.slots = chunk.slots.filter((each) => each.live);
      chunk.dead = 0;
    }
  }

  /** The chunk a new key goes to: the last, or a new one when it is full. */
  private lastChunk(): Chunk {
    const last = this.order[this.order.length - 1];
    if (last && last.slots.length < chunkSlots) return last;
    const chunk: Chunk = { slots: [], dead: 0 };
    this.order.push(chunk);
    return chunk;
  }
}

function isExpired(slot: Slot, now: number): boolean {
  return slot.expiresAt !== 0 && slot.expiresAt <= now;
}

/** The index of the first chunk holding a number above `seq` (chunks are in order, none empty). */
function firstChunkAfter(order: readonly Chunk[], seq: number): number {
  let low = 0;
  let high = order.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const { slots } = order[middle]!;
    if (slots[slots.length - 1]!.seq <= seq) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The index of the first slot whose number is above `seq` (the slots are sorted by number). */
function firstAfter(order: readonly Slot[], seq: number): number {
  let low = 0;
  let high = order.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (order[middle]!.seq <= seq) low = middle + 1;
    else high = middle;
  }
  return low;
}
