// One text-protocol client (the guide's KVServer.serve loop): cuts its bytes
// into lines, answers AUTH and QUIT itself, and hands every other request to
// the store. Reading, replies in order, limits and closing: client-socket.ts.

import type { Socket } from 'node:net';
import type { Store } from '../store';
import { passwordMatches } from './access';
import type { AuthFailures } from './auth-failures';
import { ClientSocket, type ClientShared, type ReadResult } from './client-socket';
import { formatReply, refusals } from './format';
import { LineReader, type LineSink } from './line-reader';
import { parse, type Parsed } from './parse';
import { run } from './run';

const lineTooLong = { reply: refusals.lineTooLong, event: 'line too long' };

export class Connection extends ClientSocket<Parsed> implements LineSink {
  private readonly reader: LineReader;
  /** Lines handed to line() by the read under way (each is in flight until answered). */
  private linesRead = 0;

  constructor(
    socket: Socket,
    private readonly store: Store,
    shared: ClientShared,
    /** Set until the client AUTHs, when the node has a password. */
    private mustAuthenticate: boolean,
    private readonly authFailures: AuthFailures,
  ) {
    super(socket, shared, {});
    this.reader = new LineReader(shared.limits.maxLineBytes);
  }

  protected readRequests(chunk: Buffer | undefined, max: number): ReadResult {
    this.linesRead = 0;
    const lines = this.reader.push(chunk, this, max);
    // Counted by line(), which also sees the lines before one that is too long.
    return lines === 'too-long' ? { requests: this.linesRead, refusal: lineTooLong } : { requests: this.linesRead };
  }

  protected get inputBytes(): number {
    return this.reader.pending;
  }

  protected get backlogged(): boolean {
    return this.reader.backlogged;
  }

  run(parsed: Parsed, answer: (text: string) => void): void {
    run(this.store, parsed, (reply) => answer(formatReply(reply)));
  }

  /** A CREATE or a DROP holds back the requests after it. */
  isBarrier(parsed: Parsed): boolean {
    return parsed.kind === 'create' || parsed.kind === 'drop';
  }

  protected idleRefusal(): string {
    return refusals.idleTimeout;
  }

  line(binary: string): void {
    this.linesRead++;
    // After QUIT, the lines behind it are not requests any more (nor in flight).
    if (this.dropped) return this.shared.quota.answered();
    const parsed = parse(binary);
    if (parsed.kind === 'auth') return this.authenticate(parsed.password);
    if (this.mustAuthenticate && parsed.kind !== 'quit') {
      this.replies.push(refusals.authRequired);
      return this.shared.quota.answered(); // not a request for the store
    }
    this.replies.request(parsed, binary.length);
    // QUIT: its OK, and every reply before it, go out before the close.
    if (parsed.kind === 'quit') this.closeAfterReplies('drop');
  }

  /** AUTH: OK, or (after a delay that grows with the address's failures) ERROR invalid password. */
  private authenticate(given: string): void {
    this.shared.quota.answered(); // not a request for the store
    const password = this.limits.password;
    if (password === undefined) return this.replies.push(refusals.noPassword);
    const address = String(this.socket.remoteAddress);
    if (passwordMatches(given, password)) {
      this.mustAuthenticate = false;
      this.authFailures.succeeded(address);
      return this.replies.push(refusals.authenticated);
    }
    // Its place in the replies is kept; the commands behind it wait for it, in order.
    const answer = this.replies.later();
    this.after(this.authFailures.failed(address), () => answer(refusals.invalidPassword));
  }
}
