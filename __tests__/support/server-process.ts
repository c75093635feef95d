// Test helper: the actor-kv command as a child process (node dist/cli/main.js),
// with its output captured and its port read from the line it prints.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { deadlineMs, waitFor } from './deadlines';
import { LineClients, type LineClient } from './server-helpers';

export const cliPath = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

export class CliProcess {
  stdout = '';
  /** Set once the process has exited and its output is all read. */
  closed = false;
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (data: string) => {
      this.stdout += data;
      this.wake();
    });
    child.stderr.setEncoding('utf8').on('data', (data: string) => {
      this.stderr += data;
      this.wake();
    });
    // 'close', not 'exit': by then every byte it wrote to stdout and stderr has been read.
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        this.closed = true;
        this.wake();
        resolve({ code, signal });
      }),
    );
  }

  /** Starts `node dist/cli/main.js ...args` (or another copy of the command, `script`) with `env` added to this process's environment. */
  static start(args: string[], env: Record<string, string> = {}, script = cliPath): CliProcess {
    return new CliProcess(spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env } }));
  }

  /** Waits for `Accepting connections on port N` and returns N. */
  async port(): Promise<number> {
    await this.until(() => /Accepting connections on port \d+\n/.test(this.stdout), 'the "Accepting connections" line');
    return Number(/Accepting connections on port (\d+)/.exec(this.stdout)![1]);
  }

  /** Waits for `Accepting Redis clients on port N` (the RESP listener) and returns N. */
  async respPort(): Promise<number> {
    await this.until(() => /Accepting Redis clients on port \d+\n/.test(this.stdout), 'the "Accepting Redis clients" line');
    return Number(/Accepting Redis clients on port (\d+)/.exec(this.stdout)![1]);
  }

  /** Waits until stderr holds a log line whose msg is `event`. */
  async logged(event: string): Promise<void> {
    await this.until(() => this.stderr.includes(`"msg":${JSON.stringify(event)}`), `the log event ${event}`);
  }

  /** The JSON log lines written so far, parsed. */
  get logs(): Array<Record<string, unknown>> {
    return this.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Waits until stderr holds `text`. */
  async printed(text: string): Promise<void> {
    await this.until(() => this.stderr.includes(text), JSON.stringify(text));
  }

  /** Sends `signal` unless the process is gone. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private until(ready: () => boolean, what: string): Promise<void> {
    const output = () => `stdout: ${this.stdout}; stderr: ${this.stderr}`;
    return waitFor(
      this.waiters,
      ready,
      () => `no ${what} within ${deadlineMs} ms; ${output()}`,
      () => (this.closed ? `the process exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for ${what}; ${output()}` : undefined),
    );
  }

}

/**
 * The CLI processes and client connections one test file opens, so that
 * `cleanup()` (in an afterEach) closes every client and kills every process.
 */
export class Spawned {
  private readonly processes: CliProcess[] = [];
  private readonly clients = new LineClients();

  /** Starts `node dist/cli/main.js ...args` (or `script`), to be killed by `cleanup()`. */
  cli(args: string[], env: Record<string, string> = {}, script = cliPath): CliProcess {
    const started = CliProcess.start(args, env, script);
    this.processes.push(started);
    return started;
  }

  /** Connects a line client, to be closed by `cleanup()`. */
  connect(port: number): Promise<LineClient> {
    return this.clients.connect(port);
  }

  async cleanup(): Promise<void> {
    this.clients.destroyAll();
    for (const started of this.processes.splice(0)) {
      started.kill('SIGKILL');
      await started.exited;
    }
  }
}
