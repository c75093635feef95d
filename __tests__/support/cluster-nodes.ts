// Starting several nodes in one jest process on port 0, and waiting without sleeps.

import { createStore, type ClusterOptions, type Logger, type Store } from '../../lib';
import type { Socket } from 'node:net';

export const secret = 'correct horse battery staple';

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether every peer of every store is connected. */
export function allUp(stores: Iterable<Store>): boolean {
  return [...stores].every((store) => Object.values(store.clusterStatus()!.peers).every((state) => state === 'up'));
}

export const portOf = (store: Store): number => store.clusterStatus()!.address!.port;

/**
 * Starts the named nodes, each listening on port 0. A node knows the address
 * of the nodes started before it and dials them; the earlier ones wait for it.
 */
export async function startNodes(names: string[], options: Partial<ClusterOptions> & { logger?: Logger } = {}): Promise<Map<string, Store>> {
  const { logger, ...cluster } = options;
  const stores = new Map<string, Store>();
  try {
    for (const name of names) {
      const peers = Object.fromEntries(names.filter((other) => other !== name).map((other) => [other, stores.has(other) ? `127.0.0.1:${portOf(stores.get(other)!)}` : null]));
      stores.set(name, await createStore({ node: name, logger, cluster: { secret, listen: 0, peers, ...cluster } }));
    }
    await waitUntil(() => allUp(stores.values()), 5000, 'every node to connect');
  } catch (error) {
    await stopAll(stores);
    throw error;
  }
  return stores;
}

export async function stopAll(stores: Map<string, Store> | undefined): Promise<void> {
  if (stores) await Promise.all([...stores.values()].map((store) => store.stop()));
}

/** Resolves with the milliseconds until the other side closes `socket`. */
export function closeTime(socket: Socket): Promise<number> {
  const started = Date.now();
  return new Promise((resolve) => {
    socket.on('error', () => {});
    socket.on('close', () => resolve(Date.now() - started));
    socket.resume();
  });
}
