// Test helpers for the text server: a line-oriented client over a real socket
// (as the guide's tests use :gen_tcp with packet: :line) with deadlines
// instead of sleeps.

import net from 'node:net';
import { deadlineMs, waitFor, waitUntil } from './deadlines';

export class LineClient {
  /** Complete lines received and not yet taken (terminators included), from `head`. */
  private received: string[] = [];
  private head = 0;
  private partial = '';
  private waiters: Array<() => void> = [];
  /** Set once the server closed the connection (or it failed). */
  ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      const pieces = (this.partial + data).split(/(?<=\n)/);
      this.partial = pieces[pieces.length - 1]!.endsWith('\n') ? '' : pieces.pop()!;
      for (const line of pieces) this.received.push(line);
      this.wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new LineClient(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): boolean {
    return this.socket.write(data);
  }

  /** The next line, terminator included (`:gen_tcp.recv` with `packet: :line`). */
  async nextLine(): Promise<string> {
    await this.until(() => this.available() > 0, 'a line');
    return this.received[this.head++]!;
  }

  /** The guide's send_and_recv: sends `command` (if any), then reads one line. */
  async sendAndRecv(command: string): Promise<string> {
    if (command !== '') this.write(command);
    return this.nextLine();
  }

  /** The next `count` lines, without terminators. */
  async lines(count: number): Promise<string[]> {
    await this.until(() => this.available() >= count, `${count} lines`);
    const lines = this.received.slice(this.head, this.head + count).map((line) => line.replace(/\r?\n$/, ''));
    this.head += count;
    return lines;
  }

  /** Everything received until the server closes the connection. */
  async rest(): Promise<string> {
    await this.until(() => this.ended, 'the server to close the connection');
    const rest = this.received.slice(this.head).join('') + this.partial;
    this.received = [];
    this.head = 0;
    this.partial = '';
    return rest;
  }

  private available(): number {
    return this.received.length - this.head;
  }

  private sample(): string {
    return JSON.stringify((this.received.slice(this.head, this.head + 5).join('') + this.partial).slice(0, 200));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private until(ready: () => boolean, what: string): Promise<void> {
    return waitFor(
      this.waiters,
      ready,
      () => `no ${what} within ${deadlineMs} ms; received so far: ${this.sample()}`,
      () => (this.ended ? `connection closed while waiting for ${what}; received: ${this.sample()}` : undefined),
    );
  }

}

/** waitUntil at the default deadline, under the name cli.system.test.ts knows it by. */
export const eventually = (ready: () => boolean, what: string): Promise<void> => waitUntil(ready, deadlineMs, what);

/** The clients one test file opens, so that an afterEach can close them all. */
export class LineClients {
  private readonly open: LineClient[] = [];

  /** Connects a client to 127.0.0.1:`port`, to be closed by destroyAll(). */
  async connect(port: number): Promise<LineClient> {
    const client = await LineClient.connect(port);
    this.open.push(client);
    return client;
  }

  destroyAll(): void {
    for (const client of this.open.splice(0)) client.destroy();
  }
}

/** A small seeded PRNG (mulberry32), so a failing random test can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
