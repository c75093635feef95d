// The directory of a Redis storage: the names of its buckets, found by
// scanning every master for their marker keys. On a cluster, a resharding
// under way must not hide a bucket whose marker moves during the scan:
// redis-slots.ts gives the order that finds it, and a layout that changed
// while scanning makes the scan run again.

import { migrating, ownSlots, sameLayout, scanOrder, type MasterSlots } from './redis-slots';

/** What the scan needs of one master (an ioredis client is one). */
export interface ScannedMaster {
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', howMany: number): Promise<[cursor: string, keys: string[]]>;
  cluster(subcommand: 'NODES'): Promise<unknown>;
}

export interface DirectoryScan {
  /** The masters to scan, asked again for each attempt (a resharding can change them). */
  masters(): ScannedMaster[];
  cluster: boolean;
  pattern: string;
  /** Keys per SCAN call. */
  count: number;
  /** Scans made at most while the layout keeps changing. */
  attempts: number;
  /** Waits between two attempts (the test's clock, or a timer). */
  pause(attempt: number): Promise<void>;
}

/**
 * Every key matching the pattern, on every master. `stable` is false when
 * each attempt saw the slots move (the keys are then the union of all the
 * scans, which may still miss a key that moved at the wrong moment). On a
 * cluster, `layout` is the masters' slots when a stable scan ended.
 */
export async function scanDirectory(scan: DirectoryScan): Promise<{ keys: Set<string>; stable: boolean; layout?: MasterSlots[] }> {
  const keys = new Set<string>();
  if (!scan.cluster) {
    await Promise.all(scan.masters().map((master) => scanMaster(master, scan, keys)));
    return { keys, stable: true };
  }
  for (let attempt = 1; attempt <= scan.attempts; attempt++) {
    const masters = scan.masters();
    const before = await readSlots(masters);
    const order = before && (migrating(before) ? scanOrder(before) : 'any');
    if (order === 'any') await Promise.all(masters.map((master) => scanMaster(master, scan, keys)));
    else for (const at of order ?? masters.keys()) await scanMaster(masters[at]!, scan, keys);
    const after = await readSlots(masters);
    if (order !== undefined && before && after && sameLayout(before, after)) return { keys, stable: true, layout: after };
    if (attempt < scan.attempts) await scan.pause(attempt);
  }
  return { keys, stable: false };
}

async function scanMaster(master: ScannedMaster, scan: DirectoryScan, into: Set<string>): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await master.scan(cursor, 'MATCH', scan.pattern, 'COUNT', scan.count);
    for (const key of found) into.add(key); // SCAN may return a key twice
    cursor = next;
  } while (cursor !== '0');
}

/** Each master's own slots, or undefined if one would not say (it is then read as changing). */
export async function readSlots(masters: ScannedMaster[]): Promise<MasterSlots[] | undefined> {
  const views = await Promise.all(masters.map(async (master) => ownSlots(String(await master.cluster('NODES')))));
  return views.every((view) => view !== undefined) ? (views as MasterSlots[]) : undefined;
}
