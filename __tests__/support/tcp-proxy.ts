// A TCP proxy that a fault test puts between cluster nodes, so that it can
// partition them: each node dials its peers through a proxy the test owns.
// cut() is a partition, not a crash: bytes vanish and nothing is closed, as
// when a cable is pulled (a closed socket would tell the node at once, a
// black hole makes it find out by its own timeouts). heal() ends it;
// resetAll() drops every connection. Only node:net, only 127.0.0.1.

import net from 'node:net';

/** One accepted connection: the side that dialed us, and ours to the target once we dialed it. */
interface Link {
  readonly client: net.Socket;
  readonly targetPort: number;
  upstream?: net.Socket;
}

const ignore = (): void => {};

/** Tells `to` what `from` did: an end is passed on as an end (half-close), a close as a close once `to` has flushed. */
function passOn(from: net.Socket, to: net.Socket): void {
  if (from.destroyed) to.destroySoon();
  else if (from.readableEnded && !to.writableEnded) to.end();
}

export class TcpProxy {
  private readonly links = new Set<Link>();
  private isCut = false;
  /** Bytes from the target are dropped (requests go through, answers never come back). */
  private repliesCut = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private targetPort: number,
    private readonly targetHost: string,
  ) {}

  /** Listens on 127.0.0.1 port 0, forwarding every accepted connection to target (host 127.0.0.1). */
  static start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    // allowHalfOpen: we pass a FIN on ourselves (and not at all while cut) rather than let node answer it.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject).on('error', ignore);
        const proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port, targetPort, targetHost);
        server.on('connection', (client) => proxy.accept(client));
        resolve(proxy);
      });
    });
  }

  /** Points new connections at another target port (existing ones keep theirs). */
  retarget(targetPort: number): void {
    this.targetPort = targetPort;
  }

  /** Black hole: bytes both ways are read and dropped, nothing is closed; new connections are accepted and swallowed too. */
  cut(): void {
    this.isCut = true;
    // A side paused because the other was slow to read would stop reading: a black hole keeps reading.
    for (const { client, upstream } of this.links) [client, upstream].forEach((socket) => socket?.resume());
  }

  /** A one-way black hole: bytes to the target still go through, bytes from it are read and dropped. */
  cutReplies(): void {
    this.repliesCut = true;
  }

  /** Lets bytes flow again, both ways; connections opened while cut are dialed upstream now. Bytes swallowed meanwhile are gone. */
  heal(): void {
    this.isCut = false;
    this.repliesCut = false;
    for (const link of this.links) {
      if (!link.upstream) this.dial(link);
      this.settle(link); // an end or a close that came while cut is passed on now
    }
  }

  /** Destroys every current connection (both sides). */
  resetAll(): void {
    for (const { client, upstream } of this.links) [client, upstream].forEach((socket) => socket?.destroy());
  }

  /** Closes the listener and destroys every connection; resolves when closed. */
  stop(): Promise<void> {
    this.resetAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const link: Link = { client, targetPort: this.targetPort };
    this.links.add(link);
    this.relay(link, client, () => link.upstream);
    if (!this.isCut) this.dial(link);
  }

  private dial(link: Link): void {
    const upstream = net.connect({ port: link.targetPort, host: this.targetHost, allowHalfOpen: true, noDelay: true });
    link.upstream = upstream;
    this.relay(link, upstream, () => link.client);
  }

  /** Forwards what `from` reads to the other side (found when the bytes come: upstream is dialed late if cut), ends and closes too. */
  private relay(link: Link, from: net.Socket, other: () => net.Socket | undefined): void {
    from.on('error', ignore); // a close follows, and settle() passes it on
    from.on('end', () => this.settle(link));
    from.on('close', () => this.settle(link));
    from.on('data', (chunk: Buffer) => {
      const to = other();
      if (this.isCut || !to || (this.repliesCut && from === link.upstream)) return; // the black hole: read and dropped
      if (!to.write(chunk)) {
        // Backpressure: read no more from a fast side than the slow one takes.
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  }

  /** Passes each side's end or close on to the other; forgets the link once both are closed. While cut, nothing is passed on. */
  private settle(link: Link): void {
    const { client, upstream } = link;
    if (client.destroyed && (!upstream || upstream.destroyed)) return void this.links.delete(link);
    if (this.isCut || !upstream) return;
    passOn(client, upstream);
    passOn(upstream, client);
  }
}
