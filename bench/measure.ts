// Small timing helpers shared by the benchmarks: they print figures, never assert.

import { performance } from 'node:perf_hooks';

/** Runs `op` `total` times with `inFlight` callers in a closed loop; returns ops/s. */
export async function closedLoop(total: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) await op(next++);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return total / ((performance.now() - started) / 1000);
}

/** Formats a rate as e.g. "312 k/s". */
export function rate(opsPerSecond: number): string {
  return opsPerSecond >= 1e6 ? `${(opsPerSecond / 1e6).toFixed(2)} M/s` : `${(opsPerSecond / 1e3).toFixed(0)} k/s`;
}

/** Prints rows of cells as a Markdown table, so figures paste into the README. */
export function printTable(header: string[], rows: string[][]): void {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log();
}
