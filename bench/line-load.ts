// The load generator of bench/server.ts: closed loops of pipelined request
// batches over real sockets, and a reply counter that works for any server
// whose every reply ends with a line starting OK, NOT FOUND, ERROR or UNKNOWN.

import net from 'node:net';
import tls from 'node:tls';

/** Counts reply ends: every reply ends with a line starting OK, NOT FOUND, ERROR or UNKNOWN; values start with `v`. */
export class ReplyCounter {
  private atLineStart = true;
  errors = 0;

  count(chunk: Buffer): number {
    let ends = 0;
    for (let start = 0; start < chunk.length; ) {
      if (this.atLineStart) ends += this.isEnd(chunk[start]!);
      const newline = chunk.indexOf(10, start);
      if (newline === -1) {
        this.atLineStart = false;
        break;
      }
      this.atLineStart = true;
      start = newline + 1;
    }
    return ends;
  }

  private isEnd(byte: number): number {
    if (byte === 69 || byte === 85) this.errors++; // E, U
    return byte === 79 || byte === 78 || byte === 69 || byte === 85 ? 1 : 0; // O, N, E, U
  }
}

/** How the load reaches a server: plain TCP, or TLS trusting `ca` (a certificate for localhost). */
export type Transport = { tlsCa?: Buffer };

/** A client socket to `port` on 127.0.0.1 over `transport`; `ready` fires once it can send. */
export function connectTo(port: number, transport: Transport, ready: () => void): net.Socket {
  if (!transport.tlsCa) return net.connect({ port, host: '127.0.0.1', noDelay: true }, ready);
  return tls.connect({ port, host: '127.0.0.1', ca: transport.tlsCa, servername: 'localhost', noDelay: true } as tls.ConnectionOptions, ready);
}

/** Creates the buckets and every key, so GETs find values. */
export async function populate(port: number, buckets: number, keysPerBucket: number, transport: Transport = {}): Promise<void> {
  const lines: string[] = [];
  for (let b = 0; b < buckets; b++) {
    lines.push(`CREATE bench${b}\r\n`);
    for (let k = 0; k < keysPerBucket; k++) lines.push(`PUT bench${b} k${k} v0\r\n`);
  }
  const counter = new ReplyCounter();
  let answered = 0;
  let socket!: net.Socket;
  await new Promise<void>((resolve) => {
    socket = connectTo(port, transport, () => socket.write(lines.join('')));
    socket.on('data', (chunk: Buffer) => {
      answered += counter.count(chunk);
      if (answered === lines.length) resolve();
    });
  });
  socket.destroy();
}

/** What a closed loop reports to its owner. */
export interface LoopHooks {
  /** A batch came back whole, `latencyMs` after it was sent. */
  done(latencyMs: number): void;
  /** Whether to stop after the batch in flight. */
  stopping(): boolean;
}

/** Counts the requests of the batches that come back while measuring, and tells the loops when to stop. */
export class MeasuringWindow {
  measuring = false;
  stopping = false;
  ops = 0;
  readonly latenciesMs: number[] = [];
  /** Hooks for closedLoop at this depth. */
  readonly hooks: LoopHooks;

  constructor(depth: number) {
    this.hooks = {
      done: (latencyMs) => {
        if (!this.measuring) return;
        this.ops += depth;
        this.latenciesMs.push(latencyMs);
      },
      stopping: () => this.stopping,
    };
  }
}

/**
 * One connection in a closed loop: sends `depth` requests in one write, waits
 * for their `depth` replies, repeats until told to stop. Resolves with the
 * number of error replies it saw.
 */
export function closedLoop(port: number, depth: number, request: () => string, hooks: LoopHooks, transport: Transport = {}): Promise<number> {
  const socket = connectTo(port, transport, () => send());
  const counter = new ReplyCounter();
  let pending = 0;
  let sentAt = 0n;
  const send = () => {
    let batch = '';
    for (let i = 0; i < depth; i++) batch += request();
    pending = depth;
    sentAt = process.hrtime.bigint();
    socket.write(batch);
  };
  return new Promise((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      pending -= counter.count(chunk);
      if (pending > 0) return;
      hooks.done(Number(process.hrtime.bigint() - sentAt) / 1e6);
      if (hooks.stopping()) socket.end(() => resolve(counter.errors));
      else send();
    });
  });
}
