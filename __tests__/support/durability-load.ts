// A write load over the text protocol that records every PUT it sent and every
// one acknowledged, then checks what a restarted node serves against it
// (lost and unexpected, as every fault test counts them). Each key has one writer, whose
// values count up, so "the last acknowledged value or a later one it sent"
// is a precise check.

import { createConnection, type Socket } from 'node:net';

/** What one key saw: the highest value sent, and the highest acknowledged. */
interface KeyHistory {
  sent: number;
  acked: number | undefined;
}

export interface Verdict {
  acknowledged: number;
  lost: string[];
  unexpected: string[];
}

/** `connections` clients, each pipelining up to `window` PUTs to its own keys, until stopped. */
export class PutLoad {
  readonly keys = new Map<string, KeyHistory>();
  acknowledged = 0;
  sent = 0;
  private stopped = false;
  private readonly sockets: Socket[] = [];
  private readonly running: Promise<void>[] = [];

  constructor(
    private readonly port: number,
    private readonly buckets: readonly string[],
    private readonly connections = 8,
    private readonly window = 16,
    private readonly keysPerWriter = 20,
  ) {}

  start(): void {
    for (let writer = 0; writer < this.connections; writer++) this.running.push(this.runWriter(writer));
  }

  /** Resolves when the node is gone (or stop() was called) and every writer has ended. */
  async finished(): Promise<void> {
    await Promise.all(this.running);
  }

  stop(): void {
    this.stopped = true;
    for (const socket of this.sockets) socket.destroy();
  }

  private runWriter(writer: number): Promise<void> {
    return new Promise((resolve) => {
      const socket = createConnection(this.port, '127.0.0.1');
      this.sockets.push(socket);
      const inFlight: Array<[string, number]> = [];
      let next = 0;
      let buffered = '';
      const send = (): void => {
        while (!this.stopped && inFlight.length < this.window) {
          const key = `w${writer}-k${next % this.keysPerWriter}`;
          const bucket = this.buckets[writer % this.buckets.length]!;
          this.history(`${bucket}/${key}`).sent = next;
          inFlight.push([`${bucket}/${key}`, next]);
          socket.write(`PUT ${bucket} ${key} ${next}\r\n`);
          this.sent++;
          next++;
        }
      };
      socket.on('connect', send);
      socket.setEncoding('utf8').on('data', (data: string) => {
        buffered += data;
        let end: number;
        while ((end = buffered.indexOf('\r\n')) >= 0) {
          const line = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const [name, value] = inFlight.shift() ?? [];
          if (line === 'OK' && name !== undefined) {
            this.history(name).acked = value;
            this.acknowledged++;
          }
        }
        send();
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve());
    });
  }

  private history(name: string): KeyHistory {
    let history = this.keys.get(name);
    if (!history) this.keys.set(name, (history = { sent: -1, acked: undefined }));
    return history;
  }

  /** Compares what `read` returns for every key with what was sent and acknowledged. */
  async verify(read: (bucket: string, key: string) => Promise<string | undefined>): Promise<Verdict> {
    const lost: string[] = [];
    const unexpected: string[] = [];
    for (const [name, { sent, acked }] of this.keys) {
      const [bucket, key] = name.split('/') as [string, string];
      const text = await read(bucket, key);
      const value = text === undefined || text === '' ? undefined : Number(text);
      const keyIndex = Number(key.split('-k')[1]);
      const wasSent = value !== undefined && Number.isInteger(value) && value <= sent && value % this.keysPerWriter === keyIndex;
      if (value !== undefined && !wasSent) unexpected.push(`${name}=${text}`);
      else if (acked !== undefined && (value === undefined || value < acked)) lost.push(`${name}: acked ${acked}, read ${text}`);
    }
    return { acknowledged: this.acknowledged, lost, unexpected };
  }
}
