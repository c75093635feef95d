// Talking to the observer as a browser or a scraper would: JSON over HTTP,
// an SSE stream read event by event, the buttons' POSTs, and a strict reader
// of Prometheus's text format.

import http from 'node:http';
import { waitFor } from './deadlines';

/** One HTTP exchange: status, headers and body as text. */
export function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** The headers the page sends with a button's POST. */
export const actionHeaders = { 'content-type': 'application/json', 'x-actor-kv': '1' };

/** Presses a button: POST /api/crash or /api/revive for `bucket`. */
export function press(baseUrl: string, action: 'crash' | 'revive', body: Record<string, string>, headers: Record<string, string> = actionHeaders) {
  return request(`${baseUrl}api/${action}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

export interface SseEvent {
  id?: string;
  event: string;
  data: unknown;
}

/** An open /events stream: every event it has received, parsed. */
export class EventStream {
  readonly events: SseEvent[] = [];
  comments = 0;
  private readonly waiters: Array<() => void> = [];
  private buffered = '';
  private ended = false;

  private constructor(private readonly outgoing: http.ClientRequest) {}

  /** Opens the stream; resolves once its headers arrived. */
  static open(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
    return new Promise((resolve, reject) => {
      const outgoing = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        if (response.statusCode !== 200) return reject(new Error(`/events answered ${response.statusCode}`));
        response.setEncoding('utf8');
        response.on('data', (text: string) => stream.take(text));
        response.on('close', () => stream.end());
        resolve(stream);
      });
      const stream = new EventStream(outgoing);
      outgoing.on('error', (error) => (stream.ended ? undefined : reject(error)));
    });
  }

  /** Resolves once an event satisfies `match`; returns it. */
  async next(match: (event: SseEvent) => boolean, what = 'an event'): Promise<SseEvent> {
    await waitFor(this.waiters, () => this.events.some(match), () => `timed out waiting for ${what}; got ${JSON.stringify(this.events)}`, () => (this.ended ? `the stream ended before ${what}` : undefined));
    return this.events.find(match)!;
  }

  /** Whether the server has closed it. */
  get closed(): boolean {
    return this.ended;
  }

  /** Resolves once the server closed the stream. */
  whenClosed(): Promise<void> {
    return waitFor(this.waiters, () => this.ended, () => 'timed out waiting for the stream to close');
  }

  close(): void {
    this.outgoing.destroy();
  }

  private take(text: string): void {
    this.buffered += text;
    let end: number;
    while ((end = this.buffered.indexOf('\n\n')) >= 0) {
      const block = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 2);
      this.parse(block);
    }
    this.wake();
  }

  private parse(block: string): void {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments++;
      const at = line.indexOf(': ');
      if (at > 0) fields[line.slice(0, at)] = line.slice(at + 2);
    }
    if (fields.data !== undefined) this.events.push({ id: fields.id, event: fields.event ?? 'message', data: JSON.parse(fields.data) });
  }

  private end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** One sample of the Prometheus text format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Reads Prometheus's text format (0.0.4) strictly: every line is a HELP, a
 * TYPE, a blank, or a sample of a metric whose TYPE came first; anything else throws.
 */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: PromSample[] } {
  const types = new Map<string, string>();
  const samples: PromSample[] = [];
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const value = '[-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?|NaN|Inf)';
  const sampleLine = new RegExp(`^(${name})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*)\\})? (${value})$`);
  text.split('\n').forEach((line, index) => {
    if (line === '') return;
    const help = new RegExp(`^# HELP (${name}) .*$`).exec(line);
    if (help) return;
    const type = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (type) return void types.set(type[1]!, type[2]!);
    const sample = sampleLine.exec(line);
    if (!sample) throw new Error(`line ${index + 1} is not Prometheus text: ${JSON.stringify(line)}`);
    const family = sample[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(sample[1]!) && !types.has(family)) throw new Error(`line ${index + 1}: ${sample[1]} has no TYPE before it`);
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((match) => [match[1]!, match[2]!]));
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]!.replace('Inf', 'Infinity')) });
  });
  return { types, samples };
}

/** The value of the sample named `name` with (at least) these labels, or undefined. */
export function sampleValue(samples: PromSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}
