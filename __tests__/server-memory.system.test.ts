// An endless line costs the server no more than maxLineBytes,
// measured on a real node process (its resident memory from /proc).

import fs from 'node:fs';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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

/**
 * 400 clients that each send 10,000 pipelined writes in one write and never
 * read, then 20 waves of 20 that reset right after their pipeline left; then
 * the readers close and the process exits. The writes are the text protocol's
 * PUTs, or RESP arrays of HSET (argv: port, 'text' or 'resp'). It runs in its
 * own process so that the test's process, which times the polite client, does
 * nothing else meanwhile.
 */
const pipelinedFloodScript = `
const net = require('node:net');
const [port, protocol] = [Number(process.argv[1]), process.argv[2]];
const bulk = (arg) => '$' + Buffer.byteLength(arg) + '\\r\\n' + arg + '\\r\\n';
const write = protocol === 'resp'
  ? (key, value) => '*4\\r\\n' + bulk('HSET') + bulk('flood') + bulk(key) + bulk(value)
  : (key, value) => 'PUT flood ' + key + ' ' + value + '\\r\\n';
async function flood(count, after) {
  const sockets = [];
  for (let client = 0; client < count; client++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let batch = '';
    for (let n = 0; n < 10000; n++) batch += write('c' + client + '-k' + (n % 100), String(n));
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // never reads a reply
    socket.write(batch);
    after(socket);
    sockets.push(socket);
  }
  return sockets;
}
(async () => {
  const readers = await flood(400, () => {});
  for (let wave = 0; wave < 20; wave++) await flood(20, (socket) => socket.resetAndDestroy());
  for (const socket of readers) socket.destroy();
  process.exit(0);
})();`;

/** How the polite client speaks each protocol (to RESP in inline commands, which are lines too). */
interface Protocol {
  name: 'text' | 'resp';
  args: string[];
  /**
   * Stated margin of RSS over the client memory budget. V8 grows its old
   * generation ahead of collections (requests in flight outlive a young-generation
   * GC), and socket buffers freed go back to the allocator, not the OS. A RESP
   * request holds more objects in flight (its argument array, the entries it
   * writes), so its margin is larger. Measured here: text 95-110 MiB over the
   * budget, RESP 150-175 MiB.
   */
  margin: number;
  port(node: CliProcess): Promise<number>;
  setup: { send: string; replies: string[] };
  put(key: string, value: string): { send: string; ok: string };
  get(key: string): { send: string; replies: string[] };
}

const protocols: Protocol[] = [
  {
    name: 'text',
    args: [],
    margin: 192 * MiB,
    port: (node) => node.port(),
    setup: { send: 'CREATE flood\r\nCREATE polite\r\n', replies: ['OK', 'OK'] },
    put: (key, value) => ({ send: `PUT polite ${key} ${value}\r\n`, ok: 'OK' }),
    get: (key) => ({ send: `GET polite ${key}\r\n`, replies: [key.slice(1), 'OK'] }),
  },
  {
    name: 'resp',
    args: ['--resp-port', '0'],
    margin: 256 * MiB,
    port: (node) => node.respPort(),
    setup: { send: 'PING\r\n', replies: ['+PONG'] },
    put: (key, value) => ({ send: `HSET polite ${key} ${value}\r\n`, ok: ':1' }),
    get: (key) => ({ send: `HGET polite ${key}\r\n`, replies: [`$${key.length - 1}`, key.slice(1)] }),
  },
];

describe('the client memory budget', () => {
  const budget = 64 * MiB;

  test.each(protocols)('$name: 400 clients of 10,000 pipelined writes that never read, then 400 that reset mid-pipeline: RSS stays under the budget plus the margin, and a polite client is answered within 500 ms throughout', async (protocol) => {
    node = CliProcess.start(['--port', '0', ...protocol.args, '--max-client-memory', String(budget), '--log-level', 'warn']);
    const port = await protocol.port(node);
    const polite = await LineClient.connect(port);
    polite.write(protocol.setup.send);
    expect(await polite.lines(protocol.setup.replies.length)).toEqual(protocol.setup.replies);
    const baseline = residentBytes(node.child.pid!);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(node.child.pid!))), 10);
    // This process's own stalls show in the latencies too: measured, so a failure says whose they were.
    const ownDelay = monitorEventLoopDelay({ resolution: 10 });
    ownDelay.enable();
    const latencies: number[] = [];
    const acknowledged: string[] = [];
    let polling = true;
    const politeLoop = (async () => {
      for (let i = 0; polling; i++) {
        const started = Date.now();
        const put = protocol.put(`k${i}`, String(i));
        polite.write(put.send);
        const [reply] = await polite.lines(1);
        latencies.push(Date.now() - started);
        if (reply === put.ok) acknowledged.push(`k${i}`);
      }
    })();
    const flood = spawn(process.execPath, ['-e', pipelinedFloodScript, String(port), protocol.name], { stdio: 'ignore' });
    try {
      expect(await new Promise((resolve) => flood.once('exit', resolve))).toBe(0);
      // The polite client goes on until the server has let go of the floods.
      await waitUntil(() => latencies.length > 200, 30_000, 'the polite client to make 200 requests');
    } finally {
      polling = false;
      clearInterval(sampler);
      ownDelay.disable();
      flood.kill('SIGKILL');
    }
    await politeLoop;
    const grown = peak - baseline;
    const slowest = Math.max(...latencies);
    console.log(`${protocol.name}: client memory budget ${budget / MiB} MiB: RSS grew by ${(grown / MiB).toFixed(1)} MiB at its peak; the polite client's slowest reply took ${slowest} ms (${latencies.length} requests); this process's longest stall was ${Math.round(ownDelay.max / 1e6)} ms`);
    expect(grown).toBeLessThan(budget + protocol.margin);
    expect(slowest).toBeLessThan(500);
    // Every write the polite client was answered OK for is there.
    for (const key of acknowledged.slice(-50)) {
      const get = protocol.get(key);
      polite.write(get.send);
      expect(await polite.lines(get.replies.length)).toEqual(get.replies);
    }
    polite.destroy();
  }, 120_000);
});

/** 50 clients, each sending 1 MiB of seeded random bytes (replayable) and reading what comes back; exits once all are closed. */
const garbageScript = `
const net = require('node:net');
const port = Number(process.argv[1]);
let open = 50;
for (let client = 0; client < 50; client++) {
  const bytes = Buffer.alloc(1 << 20);
  let state = 0x9e3779b9 ^ client;
  for (let i = 0; i < bytes.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.on('data', () => {});
  socket.on('close', () => { if (--open === 0) process.exit(0); });
  socket.on('connect', () => socket.end(bytes));
}`;

test('50 clients sending 1 MiB of random bytes each: a polite client on the same node keeps a p99 under 100 ms', async () => {
  node = CliProcess.start(['--port', '0', '--log-level', 'warn']);
  const port = await node.port();
  const polite = await LineClient.connect(port);
  polite.write('CREATE polite\r\n');
  expect(await polite.lines(1)).toEqual(['OK']);
  const latencies: number[] = [];
  let polling = true;
  const politeLoop = (async () => {
    for (let i = 0; polling; i++) {
      const started = Date.now();
      polite.write(`PUT polite k ${i}\r\n`);
      const reply = await polite.lines(1).catch((error: Error) => {
        throw new Error(`request ${i}: ${error.message}; the node logged: ${node.stderr.split('\n').filter((line) => !line.includes('client connected') && !line.includes('client closed')).slice(-8).join('\n')}`);
      });
      expect(reply).toEqual(['OK']);
      latencies.push(Date.now() - started);
    }
  })();
  // The garbage comes from another process, so this one (the polite client's) only measures.
  const garbage = spawn(process.execPath, ['-e', garbageScript, String(port)], { stdio: 'ignore' });
  await new Promise((resolve) => garbage.once('exit', resolve));
  polling = false;
  await politeLoop;
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
  console.log(`50 garbage clients: the polite client's p99 was ${p99} ms over ${latencies.length} requests (max ${latencies[latencies.length - 1]} ms)`);
  expect(p99).toBeLessThan(100);
  polite.destroy();
}, 60_000);
