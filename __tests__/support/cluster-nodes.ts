// Starting several nodes in one jest process on port 0.

import { createStore, type ClusterOptions, type Store, type StoreOptions } from '../../lib';
import type { Socket } from 'node:net';
import { waitUntil } from './deadlines';

export const secret = 'correct horse battery staple';

/** Whether every peer of every store is connected. */
export function allUp(stores: Iterable<Store>): boolean {
  return [...stores].every((store) => Object.values(store.clusterStatus()!.peers).every((state) => state === 'up'));
}

export const portOf = (store: Store): number => store.clusterStatus()!.address!.port;

/** What startNodes gives a node: a store's options, the cluster's among them. */
export type NodeOptions = Omit<StoreOptions, 'node' | 'cluster'> & { cluster?: Partial<ClusterOptions> };

/**
 * Starts the named nodes, each listening on port 0, with `options` (or
 * `options(name)`, for nodes that differ). A node knows the address of the
 * nodes started before it and dials them; the earlier ones wait for it.
 */
export async function startNodes(names: string[], options: NodeOptions | ((node: string) => NodeOptions) = {}): Promise<Map<string, Store>> {
  const stores = new Map<string, Store>();
  try {
    for (const name of names) {
      const { cluster, ...store } = typeof options === 'function' ? options(name) : options;
      const peers = Object.fromEntries(names.filter((other) => other !== name).map((other) => [other, stores.has(other) ? `127.0.0.1:${portOf(stores.get(other)!)}` : null]));
      stores.set(name, await createStore({ ...store, node: name, cluster: { secret, listen: 0, peers, ...cluster } }));
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
