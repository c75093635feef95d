// Readable log lines for a terminal: pino's JSON line in, one line of time,
// level, message and fields out. Ours rather than pino-pretty, which runs in
// a worker thread: this one is a pure function called in the write itself,
// so a line written just before process.exit() is never lost.

import pino from 'pino';

/** Fields every line has, shown in their own place or not at all. */
const hidden = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'name']);

/** `2026-12-03 00:23:40.123 INFO  accepting connections node=foo port=4040` for pino's JSON line. */
export function prettyLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`; // not pino's: pass it on as it is
  }
  const level = (pino.levels.labels[Number(record.level)] ?? String(record.level)).toUpperCase();
  const fields = Object.entries(record)
    .filter(([key]) => !hidden.has(key))
    .map(([key, value]) => ` ${key}=${fieldText(value)}`)
    .join('');
  return `${localTime(Number(record.time))} ${level.padEnd(5)} ${String(record.msg ?? '')}${fields}\n`;
}

/** A word as it is; anything with spaces, quotes or `=`, and every non-string, as JSON. */
function fieldText(value: unknown): string {
  if (typeof value === 'string' && /^[^\s"'=\\]+$/.test(value)) return value;
  return JSON.stringify(value) ?? String(value);
}

function localTime(ms: number): string {
  const at = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}`;
  return `${date} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}
