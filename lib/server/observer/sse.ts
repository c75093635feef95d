// Server-Sent Events: the wire framing (pure) and one subscriber, whose
// unsent bytes are bounded: a client that does not read is dropped, never
// buffered without limit.

import type { ServerResponse } from 'node:http';

/** One event in SSE framing: `id:`, `event:`, one `data:` line (JSON has no line breaks), a blank line. */
export function sseFrame(id: string, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: keeps proxies and the browser from timing the stream out. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** How long the browser waits before it reconnects, in SSE framing. */
export function sseRetry(ms: number): string {
  return `retry: ${ms}\n\n`;
}

/** One connected EventSource. */
export class SseSubscriber {
  constructor(
    private readonly response: ServerResponse,
    private readonly maxBufferedBytes: number,
  ) {}

  /** Whether it is still connected. */
  get open(): boolean {
    return !this.response.destroyed && !this.response.writableEnded;
  }

  /** Sends `text`, or drops the client if it already holds more unsent bytes than allowed. */
  send(text: string): void {
    if (!this.open) return;
    if (this.response.writableLength > this.maxBufferedBytes) return void this.response.destroy();
    this.response.write(text);
  }

  /** Ends the stream (the node is stopping). */
  end(): void {
    if (this.open) this.response.end();
  }
}
