// An endless line costs the server no more than maxLineBytes,
// measured on a real node process (its resident memory from /proc).

import fs from 'node:fs';
import net from 'node:net';
import { LineClient } from './support/server-helpers';
import { CliProcess } from './support/server-process';
import { waitUntil } from './support/deadlines';

const MiB = 1024 * 1024;
let node: CliProcess;

afterEach(async () => {
  node.kill('SIGKILL');
  await node.exited;
});

function residentBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** Streams `total` bytes without a newline until the server closes; resolves with what it answered. */
function flood(port: number, total: number): Promise<{ reply: string; sent: number }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunk = Buffer.alloc(MiB, 'x');
    let reply = '';
    let sent = 0;
    const pump = () => {
      while (sent < total && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    socket.on('connect', pump);
    socket.on('data', (data) => (reply += data.toString()));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ reply, sent }));
  });
}

test('a 1 MiB line and a 100 MB stream without a newline: ERROR line too long, a close, and memory flat', async () => {
  node = CliProcess.start(['--port', '0']);
  const port = await node.port();
  const bystander = await LineClient.connect(port);
  bystander.write('CREATE b\r\n');
  expect(await bystander.lines(1)).toEqual(['OK']);
  const before = residentBytes(node.child.pid!);
  for (const total of [MiB, 100 * MiB, 100 * MiB]) {
    const { reply, sent } = await flood(port, total);
    expect(reply).toBe('ERROR line too long\r\n');
    // The server stops reading at the cap: most of 100 MB is never even accepted by the kernel.
    if (total > 32 * MiB) expect(sent).toBeLessThan(32 * MiB);
  }
  const grown = residentBytes(node.child.pid!) - before;
  console.log(`resident memory grew by ${(grown / MiB).toFixed(2)} MiB over three floods`);
  expect(grown).toBeLessThan(4 * MiB);
  bystander.write('PUT b k v\r\nGET b k\r\n');
  expect(await bystander.lines(3)).toEqual(['OK', 'v', 'OK']);
  bystander.destroy();
}, 30_000);

/** Opens `count` clients that each send `requests` pipelined PUTs in one write; then `after(socket)` (never read, or reset). */
async function pipelinedFlood(port: number, count: number, requests: number, after: (socket: net.Socket) => void): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let client = 0; client < count; client++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let batch = '';
    for (let n = 0; n < requests; n++) batch += `PUT flood c${client}-k${n % 100} ${n}\r\n`;
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.pause(); // never reads a reply
    socket.write(batch);
    after(socket);
    sockets.push(socket);
  }
  return sockets;
}

describe('the client memory budget', () => {
  const budget = 64 * MiB;
  /** Stated margin over the budget: V8 grows its old generation ahead of collections (requests in flight outlive a young-generation GC), and socket buffers freed go back to the allocator, not the OS. Measured 105-150 MiB over the budget here. */
  const margin = 192 * MiB;

  test('400 clients of 10,000 pipelined PUTs that never read, then 400 that reset mid-pipeline: RSS stays under the budget plus the margin, and a polite client is answered within 500 ms throughout', async () => {
    node = CliProcess.start(['--port', '0', '--max-client-memory', String(budget), '--log-level', 'warn']);
    const port = await node.port();
    const polite = await LineClient.connect(port);
    polite.write('CREATE flood\r\nCREATE polite\r\n');
    expect(await polite.lines(2)).toEqual(['OK', 'OK']);
    const baseline = residentBytes(node.child.pid!);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(node.child.pid!))), 10);
    const latencies: number[] = [];
    const acknowledged: string[] = [];
    let polling = true;
    const politeLoop = (async () => {
      for (let i = 0; polling; i++) {
        const started = Date.now();
        polite.write(`PUT polite k${i} ${i}\r\n`);
        const [reply] = await polite.lines(1);
        latencies.push(Date.now() - started);
        if (reply === 'OK') acknowledged.push(`k${i}`);
      }
    })();
    try {
      const readers = await pipelinedFlood(port, 400, 10_000, () => {});
      // Resets, 20 at a time, each right after its pipeline left.
      for (let wave = 0; wave < 20; wave++) await pipelinedFlood(port, 20, 10_000, (socket) => socket.resetAndDestroy());
      for (const socket of readers) socket.destroy();
      // The polite client goes on until the server has let go of the floods.
      await waitUntil(() => latencies.length > 200, 30_000, 'the polite client to make 200 requests');
    } finally {
      polling = false;
      clearInterval(sampler);
    }
    await politeLoop;
    const grown = peak - baseline;
    const slowest = Math.max(...latencies);
    console.log(`client memory budget ${budget / MiB} MiB: RSS grew by ${(grown / MiB).toFixed(1)} MiB at its peak; the polite client's slowest reply took ${slowest} ms (${latencies.length} requests)`);
    expect(grown).toBeLessThan(budget + margin);
    expect(slowest).toBeLessThan(500);
    // Every write the polite client was answered OK for is there.
    for (const key of acknowledged.slice(-50)) {
      polite.write(`GET polite ${key}\r\n`);
      expect(await polite.lines(2)).toEqual([key.slice(1), 'OK']);
    }
    polite.destroy();
  }, 120_000);
});
