// A real redis-server for the integration tests: started by the test on a free
// loopback port, without persistence, and stopped by it. When redis-server is
// not on PATH the tests are skipped with a printed reason, unless CI is set.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { waitUntil } from './deadlines';
import { freePort } from './free-ports';

/** Whether redis-server can be started here. */
export const haveRedisServer = spawnSync('redis-server', ['--version']).status === 0;

/** `describe`, or a skip with the reason printed; in CI a missing redis-server fails. */
export function describeWithRedis(name: string, body: () => void): void {
  if (haveRedisServer) return describe(name, body);
  if (process.env.CI) {
    return describe(name, () => test('needs redis-server on PATH (CI installs it: see .ci/run)', () => {
      throw new Error('redis-server is not on PATH, and CI is set: the Redis integration tests must run');
    }));
  }
  console.log(`skipping "${name}": redis-server is not on PATH (apt-get install redis-server; CI installs it)`);
  describe.skip(name, body);
}

export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a redis-server on a free port (or on `port`) and resolves once it answers PING. */
  static async start(port?: number): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()));
    await server.restart();
    return server;
  }

  /** Starts it again on the same port (it comes back empty: no persistence). */
  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    await waitUntil(() => {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}) instead of starting on port ${this.port}`);
      return this.answersPing();
    }, 10_000, `redis-server to answer PING on port ${this.port}`);
  }

  /** Sends a signal (SIGSTOP pauses it, SIGCONT resumes it). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Stops it and waits for the process to end. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  private answersPing(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createConnection(this.port, '127.0.0.1');
      socket.setTimeout(500, () => socket.destroy());
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (data) => {
        resolve(data.toString().startsWith('+PONG'));
        socket.destroy();
      });
      socket.on('error', () => resolve(false));
      socket.on('close', () => resolve(false));
    });
  }
}
