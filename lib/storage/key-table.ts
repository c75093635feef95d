// A bucket's keys in memory, kept in the order they were added so that a scan
// can resume from a cursor while the bucket is written, with Redis's SCAN
// guarantee: a key present for the whole scan is returned at least once.
// Every key has a sequence number, given when it is added and kept while it
// lives; a cursor is the last number a page visited.

/** One key: its value and its place in the order. */
interface Slot {
  readonly key: string;
  value: string;
  readonly seq: number;
  live: boolean;
}

/** One page of a scan: some keys, and the cursor to pass for the next page (0: the scan is done). */
export interface ScanPage {
  cursor: number;
  keys: string[];
}

/** A scan page visits at most this many slots per key it may return, so a sparse match stays a short pause. */
const slotsPerKey = 10;

/** Dead slots are dropped from the order once they are this many and half of it. */
const compactAfterDead = 1024;

export class KeyTable {
  private readonly slots = new Map<string, Slot>();
  /** Every slot in the order it was added; deleted ones stay until the order is compacted. */
  private order: Slot[] = [];
  private dead = 0;
  /** Never reset (not even by clear), so a cursor from before a clear still points before every key added after it. */
  private nextSeq = 1;

  get size(): number {
    return this.slots.size;
  }

  get(key: string): string | undefined {
    return this.slots.get(key)?.value;
  }

  /** Sets `key`; returns the value it replaced. A key that exists keeps its place in the order. */
  set(key: string, value: string): string | undefined {
    const slot = this.slots.get(key);
    if (slot) {
      const previous = slot.value;
      slot.value = value;
      return previous;
    }
    const added: Slot = { key, value, seq: this.nextSeq++, live: true };
    this.slots.set(key, added);
    this.order.push(added);
    return undefined;
  }

  /** Removes `key`; returns the value it had. */
  delete(key: string): string | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    this.slots.delete(key);
    slot.live = false;
    if (++this.dead >= compactAfterDead && this.dead * 2 >= this.order.length) {
      this.order = this.order.filter((each) => each.live);
      this.dead = 0;
    }
    return slot.value;
  }

  /** Removes every key; returns how many there were. */
  clear(): number {
    const removed = this.slots.size;
    for (const slot of this.order) slot.live = false;
    this.slots.clear();
    this.order = [];
    this.dead = 0;
    return removed;
  }

  *entries(): IterableIterator<[string, string]> {
    for (const slot of this.slots.values()) yield [slot.key, slot.value];
  }

  /**
   * Up to `count` keys after `cursor` (0 starts a scan) that `match` accepts,
   * visiting at most `count * slotsPerKey` slots, so one page is a short
   * pause however large the table or sparse the match.
   */
  scan(cursor: number, count: number, match?: (key: string) => boolean): ScanPage {
    const order = this.order;
    let at = firstAfter(order, cursor);
    const stop = Math.min(order.length, at + count * slotsPerKey);
    const keys: string[] = [];
    for (; at < stop && keys.length < count; at++) {
      const slot = order[at]!;
      if (slot.live && (!match || match(slot.key))) keys.push(slot.key);
    }
    return { cursor: at >= order.length ? 0 : order[at - 1]!.seq, keys };
  }
}

/** The index of the first slot whose number is above `seq` (the order is sorted by number). */
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
