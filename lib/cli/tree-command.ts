// `actor-kv tree [--observer <url>]`: prints every node's supervision tree,
// read from a running node's observer (/api/tree), for those without a browser.

import { parseArgs } from 'node:util';
import type { Observed } from '../server/observer/observed';
import { treeText } from './tree-text';

/** What `actor-kv tree ...` asks for: the observer's address, or what is wrong. */
export function treeTarget(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): { url: string } | { error: string } | { help: true } {
  let values: { observer?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { observer: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    return { error: `tree: ${(error as Error).message.split('\n')[0]}` };
  }
  if (values.help) return { help: true };
  const port = env.ACTOR_KV_OBSERVER_PORT;
  const given = values.observer ?? (port ? `http://127.0.0.1:${port}` : undefined);
  if (given === undefined) return { error: 'tree needs --observer <url> (the node\'s --observer-port, as http://127.0.0.1:4041), or ACTOR_KV_OBSERVER_PORT' };
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return { error: `--observer: ${JSON.stringify(given)} is not a URL; expected http://host:port` };
  }
  if (url.protocol !== 'http:') return { error: `--observer: ${JSON.stringify(given)} is not an http:// URL` };
  return { url: new URL('api/tree', url.href.endsWith('/') ? url.href : `${url.href}/`).href };
}

export const treeUsage = [
  'Usage: actor-kv tree [--observer <url>]',
  '',
  "Prints every node's supervision tree (registry, bucket supervisors, buckets",
  'with their status, restarts and last crash), as a running node\'s observer',
  'sees it. <url> is that node\'s observer, e.g. http://127.0.0.1:4041 (started',
  'with --observer-port 4041); without it, ACTOR_KV_OBSERVER_PORT on 127.0.0.1.',
  'Exit status: 0 once printed, 1 if the observer cannot be read, 2 for a usage error.',
  '',
].join('\n');

/** Reads the tree at `url` (an /api/tree address) and prints it; the text of what went wrong otherwise. */
export async function printTree(url: string, write: (text: string) => void): Promise<string | undefined> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    return `cannot read ${url}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`;
  }
  if (!response.ok) return `${url} answered ${response.status}: ${(await response.text()).slice(0, 200)}`;
  write(treeText((await response.json()) as Observed));
  return undefined;
}
