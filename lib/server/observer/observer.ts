// The observer (Erlang's Observer, which the Elixir guide opens to watch
// buckets restart): an HTTP server, node:http only, with the page, the tree
// as JSON, a Server-Sent Events stream of its changes, Prometheus metrics,
// a health check, and the crash and revive buttons' POSTs.

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { countConnections } from '../../core/metrics';
import { errors, toErrorData } from '../../errors';
import type { Store } from '../../store';
import { isLoopback } from '../access';
import { hostAllowed, refuseAction } from './actions';
import { Feed } from './feed';
import { parseTarget, readBody, send, sendJson, statusOf } from './http';
import { resolveObserverOptions, type ObserverOptions, type ResolvedObserverOptions } from './options';
import { pageHtml } from './page';

/** A running observer. */
export interface Observer {
  /** The port it listens on (the bound one when started with port 0). */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  /** Its address, as `http://host:port/`. */
  readonly url: string;
  /** From now on /healthz answers 503: the node is shutting down (close() does it too). */
  markStopping(): void;
  /** Stops serving: /healthz answers 503 from now on, then streams end and the listener closes. */
  close(): Promise<void>;
}

/**
 * Starts the observer of `store`; resolves once it listens. Given a promise of
 * the store, it serves at once and /healthz says 503 (starting) until the store is up.
 */
export async function startObserver(store: Store | Promise<Store>, options: ObserverOptions = {}): Promise<Observer> {
  const resolved = resolveObserverOptions(options);
  const observer = new HttpObserver(resolved);
  await observer.listen();
  Promise.resolve(store).then(
    (started) => observer.serve(started),
    () => {}, // the caller learns of it from its own promise; /healthz stays 503
  );
  return observer;
}

class HttpObserver implements Observer {
  private readonly server: http.Server;
  private store: Store | undefined;
  private feed: Feed | undefined;
  private state: 'starting' | 'serving' | 'stopping' = 'starting';
  private closing: Promise<void> | undefined;
  private uncount: () => void = () => {};

  constructor(private readonly options: ResolvedObserverOptions) {
    pageHtml(); // read now: a package missing its page fails at start, not at the first visit
    this.server = http.createServer((request, response) => this.handle(request, response));
    if (options.metrics) this.uncount = countConnections(options.metrics, 'observer', () => this.feed?.watchers ?? 0);
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  get host(): string {
    return this.options.host;
  }

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/`;
  }

  listen(): Promise<void> {
    const { port, host } = this.options;
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => {
        this.uncount();
        reject(errors.listenFailed('the observer', `${host}:${port}`, "the observer's options `observer.host` and `observer.port`", error));
      };
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        if (!isLoopback(host)) this.options.logger.warn({ host, port: this.port }, `the observer listens beyond loopback; its buttons ${this.options.password === undefined ? 'serve loopback clients only' : 'need the password'}`);
        resolve();
      });
    });
  }

  serve(store: Store): void {
    if (this.state !== 'starting') return;
    this.store = store;
    this.feed = new Feed(store, this.options);
    this.state = 'serving';
  }

  markStopping(): void {
    this.state = 'stopping';
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'stopping';
      this.uncount();
      this.feed?.close();
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      // Its requests are short or streams just ended: nothing is lost by closing every connection now.
      this.server.closeAllConnections();
      await closed;
    })();
    return this.closing;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    response.setHeader('x-content-type-options', 'nosniff');
    response.setHeader('x-frame-options', 'DENY');
    if (!hostAllowed(request.headers.host, isLoopback(this.options.host))) return sendJson(response, 421, { error: 'this observer answers to loopback names only (127.0.0.1, localhost)' });
    const path = new URL(request.url ?? '/', 'http://observer').pathname;
    const route = `${request.method} ${path}`;
    this.route(route, request, response).catch((error: unknown) => {
      const data = toErrorData(error);
      if (!response.headersSent) sendJson(response, statusOf(data.code), { error: data.code, message: data.message });
      else response.destroy();
    });
  }

  private async route(route: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    switch (route) {
      case 'GET /healthz':
        return this.health(response);
      case 'GET /':
        response.setHeader('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
        return send(response, 200, 'text/html; charset=utf-8', pageHtml());
      case 'GET /metrics':
        return this.metrics(response);
    }
    if (this.state !== 'serving' || !this.feed || !this.store) return sendJson(response, 503, { error: 'UNAVAILABLE', message: `the node is ${this.state}` });
    switch (route) {
      case 'GET /api/tree': {
        const { picture, lastEventId } = await this.feed.current();
        return sendJson(response, 200, { ...picture, lastEventId });
      }
      case 'GET /events':
        return this.events(request, response, this.feed);
      case 'POST /api/crash':
      case 'POST /api/revive':
        return this.act(route === 'POST /api/crash' ? 'crash' : 'revive', request, response, this.store);
    }
    sendJson(response, 404, { error: 'NOT_FOUND', message: 'no such page: try /, /api/tree, /events, /metrics or /healthz' });
  }

  private async health(response: ServerResponse): Promise<void> {
    // A store that is stopping refuses its tree: the node no longer serves.
    const serving = this.state === 'serving' && (await this.store!.tree().then(() => true, () => false));
    const status = serving ? 'serving' : this.state === 'serving' ? 'stopping' : this.state;
    sendJson(response, serving ? 200 : 503, { status });
  }

  private async metrics(response: ServerResponse): Promise<void> {
    const registry = this.options.metrics;
    if (!registry) return sendJson(response, 404, { error: 'NOT_FOUND', message: 'metrics are off: start the observer with a metrics registry (the CLI always does)' });
    send(response, 200, registry.contentType, await registry.metrics());
  }

  private async events(request: IncomingMessage, response: ServerResponse, feed: Feed): Promise<void> {
    await feed.ready();
    // Gone while the picture was taken: subscribed, it would never hear its own close.
    if (request.socket.destroyed) return;
    if (feed.watchers >= this.options.maxClients) return sendJson(response, 503, { error: 'UNAVAILABLE', message: `too many event streams (maxClients ${this.options.maxClients})` });
    const header = request.headers['last-event-id'];
    const after = new URL(request.url ?? '/', 'http://observer').searchParams.get('after');
    feed.subscribe(response, (Array.isArray(header) ? header[0] : header) ?? after ?? undefined);
  }

  private async act(action: 'crash' | 'revive', request: IncomingMessage, response: ServerResponse, store: Store): Promise<void> {
    const refusal = refuseAction({ headers: request.headers, remote: String(request.socket.remoteAddress) }, { password: this.options.password, isLocalAddress: this.options.isLocalAddress });
    if (refusal) {
      request.resume();
      return sendJson(response, refusal.status, { error: 'REFUSED', message: refusal.message });
    }
    const { bucket, node } = parseTarget(await readBody(request));
    if (action === 'crash') await store.crashBucket(bucket, 'crashed from the observer', node === undefined ? {} : { node });
    else await store.create(bucket);
    sendJson(response, 200, { ok: true });
  }
}
