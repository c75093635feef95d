// An endless line costs the server no more than maxLineBytes,
// measured on a real node process (its resident memory from /proc).

import fs from 'node:fs';
import net from 'node:net';
import { LineClient } from './support/server-helpers';
import { CliProcess } from './support/server-process';

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
