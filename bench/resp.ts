// Benchmark of the RESP listener against redis-server, side by side, with
// redis-benchmark as the load for both: `-t set,get,hset -c 50 -r 100000`, at
// pipeline depth 1 and 16, each test run on the two servers in turn (rounds
// interleaved, so a busy moment of the machine hits both). Reports requests
// per second and server CPU per request, read from /proc/<pid>/stat for both
// processes (our node is `node dist/cli/main.js --resp-port ...`). Prints
// figures; asserts nothing. `npm run bench:resp` (BENCH_REQUESTS=200000,
// BENCH_ROUNDS=2 to change the run).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../__tests__/support/free-ports';
import { waitUntil } from '../__tests__/support/deadlines';
import { printTable } from './measure';

const requests = Number(process.env.BENCH_REQUESTS ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const tests = ['set', 'get', 'hset'];
const depths = [1, 16];
/** Clock ticks per second of /proc's CPU times (getconf CLK_TCK; 100 on Linux). */
const ticksPerSecond = 100;

interface Server {
  name: string;
  port: number;
  child: ChildProcess;
}

/** User plus system CPU seconds the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

async function startRedis(): Promise<Server> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitUntil(() => ping(port), 10_000, 'redis-server to start');
  return { name: 'redis-server', port, child };
}

async function startActorKv(): Promise<Server> {
  const port = await freePort();
  const cli = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
  const child = spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : []), cli, '--port', '0', '--resp-port', String(port), '--log-level', 'warn'], { stdio: 'ignore' });
  await waitUntil(() => ping(port), 10_000, 'actor-kv to start');
  return { name: 'actor-kv', port, child };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => execFile('redis-cli', ['-p', String(port), 'PING'], (error, stdout) => resolve(!error && stdout.trim() === 'PONG')));
}

/** Runs redis-benchmark once; returns requests per second and the server's CPU seconds meanwhile. */
function benchmark(server: Server, test: string, depth: number): Promise<{ rps: number; cpu: number }> {
  const before = cpuSeconds(server.child.pid!);
  const args = ['-p', String(server.port), '-t', test, '-c', '50', '-n', String(requests * depth ** 0.5), '-r', '100000', '-P', String(depth), '--csv'];
  return new Promise((resolve, reject) =>
    execFile('redis-benchmark', args, { timeout: 600_000 }, (error, stdout) => {
      if (error) return reject(error);
      // --csv: a header, then "TEST","rps",...
      const row = stdout.trim().split('\n').at(-1)!.split(',');
      resolve({ rps: Number(JSON.parse(row[1]!)), cpu: cpuSeconds(server.child.pid!) - before });
    }),
  );
}

async function main(): Promise<void> {
  const servers = [await startRedis(), await startActorKv()];
  try {
    const rows: string[][] = [];
    for (const depth of depths) {
      for (const test of tests) {
        const totals = new Map(servers.map((server) => [server.name, { rps: 0, cpuPerRequest: 0 }]));
        for (let round = 0; round < rounds; round++) {
          for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
            const { rps, cpu } = await benchmark(server, test, depth);
            const total = totals.get(server.name)!;
            total.rps += rps / rounds;
            total.cpuPerRequest += cpu / (requests * depth ** 0.5) / rounds;
          }
        }
        const redis = totals.get('redis-server')!;
        const ours = totals.get('actor-kv')!;
        const us = (seconds: number) => (seconds * 1e6).toFixed(2);
        rows.push([test.toUpperCase(), String(depth), `${(redis.rps / 1000).toFixed(0)} k`, `${(ours.rps / 1000).toFixed(0)} k`, us(redis.cpuPerRequest), us(ours.cpuPerRequest), `${(ours.cpuPerRequest / redis.cpuPerRequest).toFixed(2)}x`]);
        console.error(`done: ${test} -P ${depth}`);
      }
    }
    console.log(`redis-benchmark -c 50 -r 100000, ${requests} requests at -P 1 (x sqrt(P) deeper), ${rounds} rounds per server, interleaved\n`);
    printTable(['test', '-P', 'redis-server req/s', 'actor-kv req/s', 'redis-server CPU µs/req', 'actor-kv CPU µs/req', 'CPU ratio'], rows);
  } finally {
    for (const server of servers) server.child.kill('SIGTERM');
  }
}

void main();
