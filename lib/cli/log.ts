// The pino logger the CLI passes to the store and the server (the library
// itself logs nothing unless given a Logger), as JSON or as readable lines.

import pino from 'pino';
import type { Logger } from '../core/logger';
import { prettyLine } from './pretty-log';

/** Log levels pino knows, from most to least severe, plus 'silent'. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';

/** pino's JSON lines, or readable ones (pretty-log.ts). */
export type LogFormat = 'json' | 'pretty';

/** Readable lines for a person at a terminal; JSON for everything that reads stderr otherwise. */
export function defaultLogFormat(stderrIsTerminal: boolean): LogFormat {
  return stderrIsTerminal ? 'pretty' : 'json';
}

/**
 * A Logger writing to stderr (fd 2) at `level` and above. Writes are
 * synchronous in both formats, so the last lines before process.exit() are
 * not lost.
 */
export function stderrLogger(level: LogLevel, format: LogFormat, fields: Record<string, unknown> = {}): Logger {
  const out = pino.destination({ dest: 2, sync: true });
  const stream = format === 'json' ? out : { write: (line: string) => out.write(prettyLine(line)) };
  return pino({ name: 'actor-kv', level, base: { pid: process.pid, ...fields } }, stream);
}
