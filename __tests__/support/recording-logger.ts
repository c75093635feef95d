// Test helper: a Logger that keeps every event, so tests can assert on logs and
// await an event instead of sleeping.

import type { Logger } from '../../lib';
import { deadlineMs, waitFor } from './deadlines';

export interface LoggedEvent {
  level: 'debug' | 'info' | 'warn' | 'error';
  event: string;
  fields: Record<string, unknown>;
}

export class RecordingLogger implements Logger {
  readonly events: LoggedEvent[] = [];
  private readonly waiters: Array<() => void> = [];

  debug(fields: Record<string, unknown>, event: string): void {
    this.record({ level: 'debug', event, fields });
  }
  info(fields: Record<string, unknown>, event: string): void {
    this.record({ level: 'info', event, fields });
  }
  warn(fields: Record<string, unknown>, event: string): void {
    this.record({ level: 'warn', event, fields });
  }
  error(fields: Record<string, unknown>, event: string): void {
    this.record({ level: 'error', event, fields });
  }

  /** Each event as one line, `level event {fields}`, to search for text (a secret must never appear). */
  get lines(): string[] {
    return this.events.map(({ level, event, fields }) => `${level} ${event} ${JSON.stringify(fields)}`);
  }

  /** Resolves with the `nth` (1-based) event of that name, now or when it comes. */
  async waitFor(event: string, nth = 1): Promise<LoggedEvent> {
    const found = (): LoggedEvent | undefined => this.events.filter((e) => e.event === event)[nth - 1];
    await waitFor(this.waiters, () => found() !== undefined, () => `no ${event} event within ${deadlineMs} ms; events: ${this.events.map((e) => e.event).join(', ')}`);
    return found()!;
  }

  private record(entry: LoggedEvent): void {
    this.events.push(entry);
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
