// The live picture: redrawn from clusterTree() soon after a store event (a
// bucket created, crashed, failed, revived, dropped; a peer up or down) and
// every `pollMs` while someone watches (other nodes' changes, a restart that
// is no longer recent); each change becomes an event in the ring and is sent
// to every subscriber.

import type { ServerResponse } from 'node:http';
import type { StoreEventMap } from '../../core/events';
import { errors } from '../../errors';
import type { Store } from '../../store';
import { changesBetween } from './changes';
import { EventRing, type RingEvent } from './event-ring';
import { observe, type Observed } from './observed';
import { SseSubscriber, sseComment, sseFrame, sseRetry } from './sse';

export interface FeedOptions {
  /** How long after a crash a bucket shows as restarting. */
  restartingMs: number;
  pollMs: number;
  heartbeatMs: number;
  /** Events kept for clients that reconnect. */
  eventBuffer: number;
  /** Unsent bytes past which a subscriber is dropped. */
  maxClientBufferBytes: number;
}

/** More changes than this at once become one `reset` (refetch /api/tree), not thousands of events. */
const maxChangesAtOnce = 500;

/** The store events after which the picture is redrawn. */
const watched: ReadonlyArray<keyof StoreEventMap> = ['bucketCreated', 'bucketRestarted', 'bucketFailed', 'bucketRevived', 'bucketDropped', 'peerUp', 'peerDown'];

/**
 * How soon after a store event the picture is redrawn: every event of that
 * time makes one redraw and one write per subscriber (1,000 crashes a second
 * cost 10 redraws a second, not 1,000), and a person sees no delay.
 */
const redrawDelayMs = 100;

export class Feed {
  readonly ring: EventRing;
  private picture: Observed | undefined;
  private readonly subscribers = new Set<SseSubscriber>();
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private redrawTimer: NodeJS.Timeout | undefined;
  private readonly pollTimer: NodeJS.Timeout;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly onStoreEvent = () => this.redrawSoon();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly options: FeedOptions,
  ) {
    this.ring = new EventRing(options.eventBuffer);
    for (const name of watched) store.on(name, this.onStoreEvent);
    this.pollTimer = setInterval(() => {
      if (this.subscribers.size > 0) void this.refresh();
    }, options.pollMs).unref();
    this.heartbeatTimer = setInterval(() => this.broadcast(sseComment('heartbeat')), options.heartbeatMs).unref();
  }

  /** Subscribers connected now. */
  get watchers(): number {
    return this.subscribers.size;
  }

  /** The picture now, with the id of the last event it includes (a client resumes from there). */
  async current(): Promise<{ picture: Observed; lastEventId: string }> {
    await this.refresh();
    // No picture yet: the store stopped before its tree could be read.
    if (!this.picture) throw errors.stopped();
    return { picture: this.picture, lastEventId: this.ring.lastId };
  }

  /**
   * Takes the first picture if there is none yet. A change becomes an event
   * only against an earlier picture, so a stream opened before any (without
   * /api/tree first) would see its first change folded into that picture and
   * never sent.
   */
  async ready(): Promise<void> {
    if (!this.picture) await this.refresh();
  }

  /**
   * Streams events to `response`: those after `lastEventId` first (or a
   * `reset` when they are no longer held), then every new one.
   */
  subscribe(response: ServerResponse, lastEventId: string | undefined): void {
    const subscriber = new SseSubscriber(response, this.options.maxClientBufferBytes);
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    subscriber.send(sseRetry(1000));
    if (lastEventId !== undefined) {
      const missed = this.ring.since(lastEventId);
      if (missed) for (const event of missed) subscriber.send(frameOf(event));
      else subscriber.send(sseFrame(this.ring.lastId, 'reset', { reason: 'the events since that id are no longer held: read /api/tree again' }));
    }
    this.subscribers.add(subscriber);
    response.on('close', () => this.subscribers.delete(subscriber));
  }

  /** Redraws the picture and sends what changed; calls made during a redraw share the next one. */
  refresh(): Promise<void> {
    if (this.queued) return this.queued;
    if (this.running) {
      this.queued = this.running.then(() => {
        this.queued = undefined;
        return this.redraw();
      });
      return this.queued;
    }
    return this.redraw();
  }

  /** Ends every stream and stops watching the store. */
  close(): void {
    this.closed = true;
    for (const name of watched) this.store.off(name, this.onStoreEvent);
    clearInterval(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.redrawTimer);
    for (const subscriber of this.subscribers) subscriber.end();
    this.subscribers.clear();
  }

  private redrawSoon(): void {
    if (this.redrawTimer || this.closed) return;
    this.redrawTimer = setTimeout(() => {
      this.redrawTimer = undefined;
      void this.refresh();
    }, redrawDelayMs);
  }

  private redraw(): Promise<void> {
    this.running = this.draw().finally(() => (this.running = undefined));
    return this.running;
  }

  /** One redraw; a store that is stopping keeps the last picture. */
  private async draw(): Promise<void> {
    let next: Observed;
    try {
      next = observe(this.store.node, await this.store.clusterTree(), this.store.clusterStatus(), Date.now(), this.options.restartingMs);
    } catch {
      return;
    }
    const before = this.picture;
    this.picture = next;
    if (!before || this.closed) return;
    const changes = changesBetween(before, next);
    if (changes.length === 0) return;
    if (changes.length > maxChangesAtOnce) return this.broadcast(this.record('reset', { reason: `${changes.length} changes at once: read /api/tree again` }));
    this.broadcast(changes.map((change) => this.record(change.event, change.data)).join(''));
  }

  /** Keeps an event in the ring; returns its frame. */
  private record(event: string, data: unknown): string {
    return frameOf(this.ring.push(event, data));
  }

  private broadcast(text: string): void {
    for (const subscriber of this.subscribers) subscriber.send(text);
  }
}

function frameOf(event: RingEvent): string {
  return sseFrame(event.id, event.event, event.data);
}
