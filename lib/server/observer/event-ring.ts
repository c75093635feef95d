// The last N events, each with an id, so an EventSource that reconnects with
// Last-Event-ID gets what it missed, or is told to start over when that is
// no longer held. Ids are `<run>.<sequence>`: an id from another run of the
// node (a restart) is never mistaken for one of this run.

/** One event with its id. */
export interface RingEvent {
  id: string;
  event: string;
  data: unknown;
}

export class EventRing {
  private readonly events: RingEvent[] = [];
  /** Sequence number of the newest event (0: none yet). */
  private sequence = 0;

  /** `capacity`: how many events are kept; `run`: this run's tag (random by default). */
  constructor(
    private readonly capacity: number,
    readonly run: string = Math.random().toString(36).slice(2, 8),
  ) {}

  /** The id of the newest event, or of none yet (`<run>.0`): what a client that saw everything so far holds. */
  get lastId(): string {
    return `${this.run}.${this.sequence}`;
  }

  /** Appends an event, dropping the oldest past capacity; returns it with its id. */
  push(event: string, data: unknown): RingEvent {
    this.sequence++;
    const entry = { id: `${this.run}.${this.sequence}`, event, data };
    this.events.push(entry);
    if (this.events.length > this.capacity) this.events.shift();
    return entry;
  }

  /** The events after `id`, oldest first; undefined when `id` is not of this run or older than what is held. */
  since(id: string): RingEvent[] | undefined {
    const match = /^([a-z0-9]+)\.(\d+)$/.exec(id);
    if (!match || match[1] !== this.run) return undefined;
    const seen = Number(match[2]);
    if (seen > this.sequence) return undefined;
    const oldestHeld = this.sequence - this.events.length + 1;
    if (seen < oldestHeld - 1) return undefined;
    return this.events.slice(seen - oldestHeld + 1);
  }
}
