// A real redis-server for the integration tests: started by the test on a free
// loopback port, without persistence, and stopped by it. When redis-server is
// not on PATH the tests are skipped with a printed reason, unless CI is set.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { waitUntil } from './deadlines';
import { freePort } from './free-ports';

/** Whether `command` runs here. */
const runs = (command: string): boolean => spawnSync(command, ['--version']).status === 0;

/** Whether redis-server can be started here. */
export const haveRedisServer = runs('redis-server');

/**
 * `describe`, or a skip with the reason printed; in CI a missing command
 * fails. A Redis Cluster needs redis-cli too (Debian's redis-tools).
 */
export function describeWithRedis(name: string, body: () => void, needs: readonly string[] = ['redis-server']): void {
  const missing = needs.filter((command) => !runs(command));
  if (missing.length === 0) return describe(name, body);
  const what = `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not on PATH`;
  if (process.env.CI) {
    return describe(name, () => test(`needs ${needs.join(' and ')} on PATH (CI installs them: see .ci/run)`, () => {
      throw new Error(`${what}, and CI is set: the Redis integration tests must run`);
    }));
  }
  console.log(`skipping "${name}": ${what} (apt-get install redis-server redis-tools; CI installs them)`);
  describe.skip(name, body);
}

export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a redis-server on a free port, with `args` added, and resolves once it answers PING. */
  static async start(args: readonly string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), args);
    await server.restart();
    return server;
  }

  /** Starts it again on the same port (it comes back empty: no persistence). */
  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extraArgs];
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
        resolve(/^(\+PONG|-NOAUTH)/.test(data.toString())); // a server that wants AUTH is up too
        socket.destroy();
      });
      socket.on('error', () => resolve(false));
      socket.on('close', () => resolve(false));
    });
  }
}
