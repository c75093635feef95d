// A text-protocol client that reads replies as bytes (binary strings, one char
// per byte), for tests of values that are not UTF-8; LineClient decodes UTF-8.

import net from 'node:net';
import { waitFor, deadlineMs } from './deadlines';

export class ByteClient {
  /** Bytes received and not yet taken, as a binary string. */
  private received = '';
  private waiters: Array<() => void> = [];
  private ended = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      this.received += data;
      this.wake();
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  static connect(port: number): Promise<ByteClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new ByteClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends bytes: a Buffer, or a binary string. */
  write(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** The next `count` lines, as binary strings without their CRLF. */
  async lines(count: number): Promise<string[]> {
    const lineEnds = (): number[] => [...this.received.matchAll(/\r\n/g)].map((match) => match.index + 2);
    await waitFor(
      this.waiters,
      () => lineEnds().length >= count,
      () => `no ${count} lines within ${deadlineMs} ms; received: ${JSON.stringify(this.received.slice(0, 200))}`,
      () => (this.ended ? `connection closed; received: ${JSON.stringify(this.received.slice(0, 200))}` : undefined),
    );
    const end = lineEnds()[count - 1]!;
    const taken = this.received.slice(0, end);
    this.received = this.received.slice(end);
    return taken.split('\r\n').slice(0, count);
  }

  /** Half-closes: the server answers what it read, then closes. */
  /** Resets the connection (RST): the server's side closes at once. */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  end(): void {
    this.socket.end();
  }

  /** Everything received until the server closes the connection, as a binary string. */
  async rest(): Promise<string> {
    await waitFor(this.waiters, () => this.ended, () => `the server did not close within ${deadlineMs} ms; received: ${JSON.stringify(this.received.slice(0, 200))}`);
    const rest = this.received;
    this.received = '';
    return rest;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
