// The pino adapter for the library's Logger: what the CLI passes to the store
// and the server. The library itself logs nothing unless given a Logger.

import pino from 'pino';
import type { Logger } from '../options';

/** Log levels pino knows, from most to least severe, plus 'silent'. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';

/**
 * A Logger writing JSON lines to stderr (fd 2) at `level` and above. Writes are
 * synchronous, so the last lines before process.exit() are not lost.
 */
export function stderrLogger(level: LogLevel, fields: Record<string, unknown> = {}): Logger {
  return pino({ name: 'actor-kv', level, base: { pid: process.pid, ...fields } }, pino.destination({ dest: 2, sync: true }));
}
