// Pure: what a Redis Cluster master says of its own slots (its `myself` line
// of CLUSTER NODES), and the order in which to scan the masters so that a
// key moving between two of them during the scan is still found.
//
// SCAN reads one master's keyspace. While a slot migrates from A to B, each
// of its keys is on A until MIGRATE puts it on B, never on neither; so
// scanning A to its end and only then B finds every key: one that left A
// before A's cursor reached it is on B by the time B is scanned. Scanning in
// parallel (or B first) can miss it. Migrations in progress give the order
// (sources before targets); a layout that changed during the scan means a
// migration began or ended meanwhile, and the scan is made again.

/** One master's own view of its slots. */
export interface MasterSlots {
  id: string;
  /** Its slot ranges and migration markers, as CLUSTER NODES prints them (compared, not parsed). */
  slots: string;
  /** Ids of the masters its migrating slots go to. */
  migratingTo: string[];
}

/** Reads the `myself` line of CLUSTER NODES; undefined if there is none. */
export function ownSlots(clusterNodes: string): MasterSlots | undefined {
  for (const line of clusterNodes.split('\n')) {
    const fields = line.trim().split(' ');
    if (!(fields[2] ?? '').split(',').includes('myself')) continue;
    const slots = fields.slice(8);
    const migratingTo = slots.flatMap((slot) => /^\[\d+->-([0-9a-f]+)\]$/.exec(slot)?.[1] ?? []);
    return { id: fields[0]!, slots: slots.join(' '), migratingTo };
  }
  return undefined;
}

/** Whether any slot is being moved: one master migrating, or importing (`[slot-<-id]`). */
export function migrating(masters: MasterSlots[]): boolean {
  return masters.some((master) => master.slots.includes('['));
}

/** Whether two readings show the same slots on the same masters. */
export function sameLayout(before: MasterSlots[], after: MasterSlots[]): boolean {
  const key = (masters: MasterSlots[]) => masters.map((master) => `${master.id} ${master.slots}`).sort().join('\n');
  return key(before) === key(after);
}

/**
 * The masters' indexes in an order that puts every migration's source before
 * its target (a topological order); undefined when no order is safe: the
 * migrations form a cycle, or one goes to a node that is not among the
 * masters scanned (a node just added, which serves no slot yet).
 */
export function scanOrder(masters: MasterSlots[]): number[] | undefined {
  const index = new Map(masters.map((master, at) => [master.id, at]));
  if (masters.some((master) => master.migratingTo.some((target) => !index.has(target)))) return undefined;
  const sourcesLeft = masters.map(() => 0);
  for (const master of masters) for (const target of new Set(master.migratingTo)) if (index.has(target)) sourcesLeft[index.get(target)!]!++;
  const ready = masters.flatMap((_, at) => (sourcesLeft[at] === 0 ? [at] : []));
  const order: number[] = [];
  while (ready.length > 0) {
    const at = ready.shift()!;
    order.push(at);
    for (const target of new Set(masters[at]!.migratingTo)) {
      const targetAt = index.get(target);
      if (targetAt !== undefined && --sourcesLeft[targetAt]! === 0) ready.push(targetAt);
    }
  }
  return order.length === masters.length ? order : undefined;
}
