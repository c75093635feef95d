// One Redis-protocol client: cuts its bytes into requests (request-reader.ts)
// and runs them by the command table, as the text server's connections do:
// reading, replies in order, limits and closing are client-socket.ts's.

import type { Socket } from 'node:net';
import type { Store } from '../../store';
import { passwordMatches } from '../access';
import type { AuthFailures } from '../auth-failures';
import { ClientSocket, type ClientShared, type ReadResult } from '../client-socket';
import { wrongArity, type Answer, type CommandContext, type ListenerView, type Session } from './command';
import { arityFits, lookupCommand, unknownCommand } from './commands';
import type { ResolvedRespOptions } from './options';
import { error, ok } from './reply';
import { RequestReader, type RequestSink } from './request-reader';
import { wrongPass } from './server-commands';

/** What every client of one listener shares besides the server's turn, budget and quota. */
export interface RespEnvironment {
  store: Store;
  options: ResolvedRespOptions;
  password: string | undefined;
  authFailures: AuthFailures;
  listener: ListenerView;
}

const noAuth = error('NOAUTH', 'Authentication required.');
const noPassword = error('ERR', 'AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
const idleTimeout = error('ERR', 'request not completed within the idle timeout');

/**
 * Bytes of input parsed at a time. The parser reads all it is given, so a
 * client's chunk (up to 64 KiB of pipelined requests) is parsed a slice at a
 * time, as the quota lets its requests through: the parsed requests waiting
 * stay few (a slice of the smallest inline commands makes about 300), and the
 * rest waits as raw bytes, which cost less.
 */
const parseSliceBytes = 1024;

/** What a parsed request waiting its turn is counted as holding besides its arguments (the arrays and strings); errs high. */
const parsedRequestOverheadBytes = 256;

export class RespClient extends ClientSocket<readonly string[]> implements RequestSink, Session {
  readonly id: number;
  name = '';
  protocol: 2 | 3 = 2;
  lastCommand = 'NULL';
  readonly local: string;
  readonly connectedAt = Date.now();
  mustAuthenticate: boolean;
  private readonly reader: RequestReader;
  private readonly context: CommandContext;
  /** Bytes received and not parsed yet. */
  private unparsed: Buffer | undefined;
  /** Requests parsed and not handed over yet, from `backlogHead`. */
  private backlog: string[][] = [];
  private backlogHead = 0;
  private backlogBytes = 0;
  /** A protocol error met behind the backlog: the connection ends once the requests before it are handed over. */
  private failure: string | undefined;
  /** Set by QUIT: the requests read behind it are not run. */
  private quitting = false;

  constructor(
    socket: Socket,
    shared: ClientShared,
    private readonly env: RespEnvironment,
    id: number,
  ) {
    super(socket, shared, { protocol: 'resp' });
    this.id = id;
    this.local = `${socket.localAddress}:${socket.localPort}`;
    this.mustAuthenticate = env.password !== undefined;
    this.context = { store: env.store, options: env.options, session: this, listener: env.listener };
    this.reader = new RequestReader(env.options.maxBulkBytes, shared.limits.maxLineBytes);
  }

  protected readRequests(chunk: Buffer | undefined, max: number): ReadResult {
    if (chunk !== undefined) this.unparsed = this.unparsed ? Buffer.concat([this.unparsed, chunk]) : chunk;
    this.parseUpTo(max);
    let requests = 0;
    for (; requests < max && this.backlogHead < this.backlog.length; requests++) {
      const args = this.backlog[this.backlogHead++]!;
      const bytes = argumentBytes(args);
      this.backlogBytes -= bytes + parsedRequestOverheadBytes;
      this.replies.request(args, bytes);
    }
    if (this.backlogHead === this.backlog.length) {
      this.backlog = [];
      this.backlogHead = 0;
    }
    if (this.failure === undefined || this.backlogged) return { requests };
    return { requests, refusal: { reply: error('ERR', this.failure), event: 'client protocol error', fields: { reason: this.failure } } };
  }

  /** Parses slices of the input until `wanted` requests wait, the input is used up, or it fails. */
  private parseUpTo(wanted: number): void {
    while (this.unparsed !== undefined && this.failure === undefined && this.backlog.length - this.backlogHead < wanted) {
      const slice = this.unparsed.subarray(0, parseSliceBytes);
      this.unparsed = slice.length < this.unparsed.length ? this.unparsed.subarray(slice.length) : undefined;
      this.failure = this.reader.push(slice, this);
    }
    // Nothing after a protocol error is read.
    if (this.failure !== undefined) this.unparsed = undefined;
  }

  protected get inputBytes(): number {
    return this.reader.pending + (this.unparsed?.length ?? 0) + this.backlogBytes;
  }

  protected get backlogged(): boolean {
    return this.backlogHead < this.backlog.length || this.unparsed !== undefined;
  }

  protected idleRefusal(): string {
    return idleTimeout;
  }

  /** The reader found a request: it waits its turn in the backlog. */
  request(args: string[]): void {
    this.backlog.push(args);
    this.backlogBytes += argumentBytes(args) + parsedRequestOverheadBytes;
  }

  isBarrier(args: readonly string[]): boolean {
    return lookupCommand(args[0]!)?.barrier?.(this.context, args) ?? false;
  }

  /** Runs one request: the table's checks first, in Redis's order (unknown, arity, then auth). */
  run(args: readonly string[], answer: Answer): void {
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
    this.after(authFailures.failed(address), () => answer(wrongPass));
  }

  quit(): void {
    this.quitting = true;
    this.closeAfterReplies('drop');
  }

  reset(): void {
    this.protocol = 2;
    this.mustAuthenticate = this.env.password !== undefined;
  }
}

/** What a request's arguments are counted as holding (binary strings: a char is a byte). */
function argumentBytes(args: readonly string[]): number {
  let bytes = 0;
  for (const arg of args) bytes += arg.length;
  return bytes;
}
