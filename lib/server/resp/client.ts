// One Redis-protocol client: cuts its bytes into requests (request-reader.ts),
// runs them through the text server's request pipeline (reply-queue.ts: replies
// in order, a turn's requests issued together, ready replies written at once),
// and enforces the same per-client limits as the text server's connections:
// output soft and hard limits, the shared client memory budget, the idle timeout.

import type { Socket } from 'node:net';
import type { Store } from '../../store';
import { passwordMatches } from '../access';
import type { AuthFailures } from '../auth-failures';
import type { BudgetMember, MemoryBudget } from '../memory-budget';
import type { ResolvedServerOptions } from '../options';
import { ReplyQueue } from '../reply-queue';
import type { Flushable, Turn } from '../turn';
import { wrongArity, type Answer, type CommandContext, type ListenerView, type Session } from './command';
import { arityFits, lookupCommand, unknownCommand } from './commands';
import type { ResolvedRespOptions } from './options';
import { error, ok } from './reply';
import { RequestReader, type RequestSink } from './request-reader';
import { wrongPass } from './server-commands';

/** Requests awaiting their reply past which reading pauses, as unsent bytes do. */
const maxQueuedReplies = 4096;

/** What every client of one listener shares. */
export interface ClientEnvironment {
  store: Store;
  limits: ResolvedServerOptions;
  options: ResolvedRespOptions;
  password: string | undefined;
  turn: Turn;
  budget: MemoryBudget;
  authFailures: AuthFailures;
  listener: ListenerView;
}

const noAuth = error('NOAUTH', 'Authentication required.');
const noPassword = error('ERR', 'AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');

export class RespClient implements RequestSink, Flushable, BudgetMember, Session {
  readonly id: number;
  name = '';
  protocol: 2 | 3 = 2;
  lastCommand = 'NULL';
  readonly remote: string;
  readonly local: string;
  readonly connectedAt = Date.now();
  mustAuthenticate: boolean;
  private readonly reader: RequestReader;
  private readonly replies: ReplyQueue<readonly string[]>;
  private readonly context: CommandContext;
  private flushQueued = false;
  private pausedForOutput = false;
  private pausedForBudget = false;
  private closing = false;
  /** Set by QUIT: the requests read behind it are not run. */
  private quitting = false;
  /** Whether the read under way completed a request (the idle timer counts from the last one). */
  private progress = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  /** Settles when the socket is closed. */
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    private readonly env: ClientEnvironment,
    id: number,
  ) {
    this.id = id;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.local = `${socket.localAddress}:${socket.localPort}`;
    this.mustAuthenticate = env.password !== undefined;
    this.context = { store: env.store, options: env.options, session: this, listener: env.listener };
    this.reader = new RequestReader(env.options.maxBulkBytes, env.limits.maxLineBytes);
    this.replies = new ReplyQueue<readonly string[]>(
      { run: (args, answer) => this.execute(args, answer), isBarrier: (args) => lookupCommand(args[0]!)?.barrier?.(this.context, args) ?? false },
      env.turn,
      () => this.scheduleFlush(),
    );
    this.log('debug', 'client connected', {});
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.closeAfterReplies());
    socket.on('drain', () => this.updateBackpressure());
    socket.on('error', () => {}); // resets are routine; 'close' follows
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        env.budget.remove(this);
        clearTimeout(this.idleTimer);
        clearTimeout(this.closeTimer);
        this.log('debug', 'client closed', {});
        resolve();
      }),
    );
  }

  get heldBytes(): number {
    return this.reader.pending + this.replies.heldBytes + this.socket.writableLength;
  }

  request(args: string[]): void {
    this.progress = true;
    let bytes = 0;
    for (const arg of args) bytes += arg.length;
    this.replies.request(args, bytes);
  }

  /** Runs one request: the table's checks first, in Redis's order (unknown, arity, then auth). */
  private execute(args: readonly string[], answer: Answer): void {
    if (this.quitting) return answer(''); // read behind a QUIT: never run, nothing sent
    const spec = lookupCommand(args[0]!);
    if (!spec) return answer(unknownCommand(args));
    if (!arityFits(spec, args)) return answer(wrongArity(spec.name));
    if (this.mustAuthenticate && !spec.flags.includes('no_auth')) return answer(noAuth);
    this.lastCommand = spec.name;
    this.env.listener.stats.commandsProcessed++;
    try {
      spec.run(this.context, args, answer);
    } catch (thrown) {
      this.log('warn', 'command failed', { command: this.lastCommand, reason: String(thrown) });
      answer(error('ERR', `internal error running '${this.lastCommand}'`));
    }
  }

  authenticate(given: string, answer: Answer): void {
    const { password, authFailures } = this.env;
    if (password === undefined) return answer(noPassword);
    const address = String(this.socket.remoteAddress);
    if (passwordMatches(given, password)) {
      this.mustAuthenticate = false;
      authFailures.succeeded(address);
      return answer(ok);
    }
    setTimeout(() => answer(wrongPass), authFailures.failed(address));
  }

  quit(): void {
    this.quitting = true;
    this.closeAfterReplies();
  }

  reset(): void {
    this.protocol = 2;
    this.mustAuthenticate = this.env.password !== undefined;
  }

  pauseForBudget(paused: boolean): void {
    this.pausedForBudget = paused;
    this.applyPause();
  }

  dropForBudget(total: number, limit: number): void {
    this.log('warn', 'client dropped', { reason: 'the clients together passed the client memory budget, and this one held the most', held: this.heldBytes, total, limit });
    this.socket.destroy();
  }

  shutdown(): void {
    this.closeAfterReplies();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.progress = false;
    const failure = this.reader.push(chunk, this);
    if (failure !== undefined) {
      this.log('warn', 'client protocol error', { reason: failure });
      this.replies.push(error('ERR', failure));
      return this.closeAfterReplies();
    }
    this.updateIdleTimer();
    this.updateBackpressure();
    this.env.budget.update(this);
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.env.turn.requestFlush(this);
  }

  flush(): void {
    this.flushQueued = false;
    if (this.socket.destroyed) return;
    const out = this.replies.takeReady(this.env.limits.outputHardLimitBytes - this.socket.writableLength);
    if (out === undefined) {
      this.log('warn', 'client dropped', { reason: 'unsent replies passed outputHardLimitBytes', limit: this.env.limits.outputHardLimitBytes });
      return void this.socket.destroy();
    }
    if (out !== '') this.socket.write(out, 'latin1');
    this.env.budget.update(this);
    if (this.closing && this.replies.length === 0) this.finish();
    else this.updateBackpressure();
  }

  private closeAfterReplies(): void {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.idleTimer);
    if (this.replies.length === 0) this.finish();
  }

  /** Ends our side and waits closeTimeoutMs for the client to close; input meanwhile is dropped. */
  private finish(): void {
    if (this.closeTimer || this.socket.destroyed) return;
    this.socket.end();
    this.socket.resume();
    this.closeTimer = setTimeout(() => this.socket.destroy(), this.env.limits.closeTimeoutMs);
  }

  private updateBackpressure(): void {
    if (this.closing || this.socket.destroyed) return;
    this.pausedForOutput = this.socket.writableLength > this.env.limits.outputSoftLimitBytes || this.replies.length > maxQueuedReplies;
    this.applyPause();
  }

  private applyPause(): void {
    if (this.closing || this.socket.destroyed) return;
    if (this.pausedForOutput || this.pausedForBudget) this.socket.pause();
    else this.socket.resume();
  }

  // A request started must be complete within idleTimeoutMs of the last
  // complete one: bytes that trickle in without completing one do not count.
  private updateIdleTimer(): void {
    const { idleTimeoutMs } = this.env.limits;
    if (this.progress || this.reader.pending === 0) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    if (idleTimeoutMs === 0 || this.reader.pending === 0 || this.idleTimer !== undefined) return;
    this.idleTimer = setTimeout(() => {
      this.log('warn', 'client idle', {});
      this.replies.push(error('ERR', 'request not completed within the idle timeout'));
      this.closeAfterReplies();
    }, idleTimeoutMs);
  }

  private log(level: 'debug' | 'info' | 'warn', event: string, fields: Record<string, unknown>): void {
    this.env.limits.logger[level]({ remote: this.remote, protocol: 'resp', ...fields }, event);
  }
}
