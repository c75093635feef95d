// Finding a Redis storage's buckets while a resharding moves them: the
// masters' own slot views read from CLUSTER NODES (tables), the order that
// scans a migration's source before its target, and the directory scan
// against fake masters where an adversary moves a key at the worst moment.

import { scanDirectory, type DirectoryScan, type ScannedMaster } from '../lib/storage/redis-directory';
import { migrating, ownSlots, sameLayout, scanOrder, type MasterSlots } from '../lib/storage/redis-slots';

const [idA, idB, idC] = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)];

/** A CLUSTER NODES reply as master `id` gives it: its own line flagged myself, then another master's. */
function clusterNodes(id: string, slots: string): string {
  const other = id === idA ? idB : idA;
  return [
    `${other} 127.0.0.1:7001@17001 master - 0 1700000000000 2 connected 9000-16383`,
    `${id} 127.0.0.1:7000@17000 myself,master - 0 1700000000000 1 connected ${slots}`,
    '',
  ].join('\n');
}

describe('ownSlots: the myself line of CLUSTER NODES', () => {
  test.each<[string, string, MasterSlots | undefined]>([
    ['slot ranges', clusterNodes(idA, '0-5460 5462'), { id: idA, slots: '0-5460 5462', migratingTo: [] }],
    ['a slot migrating', clusterNodes(idA, `0-5460 [5461->-${idB}]`), { id: idA, slots: `0-5460 [5461->-${idB}]`, migratingTo: [idB] }],
    ['a slot importing', clusterNodes(idB, `9000-16383 [5461-<-${idA}]`), { id: idB, slots: `9000-16383 [5461-<-${idA}]`, migratingTo: [] }],
    ['no slots', clusterNodes(idA, '').replace(/ \n/, '\n'), { id: idA, slots: '', migratingTo: [] }],
    ['no myself line', `${idA} 127.0.0.1:7000@17000 master - 0 0 1 connected 0-16383\n`, undefined],
  ])('%s', (_what, text, expected) => {
    expect(ownSlots(text)).toEqual(expected);
  });
});

const view = (id: string, slots: string, migratingTo: string[] = []): MasterSlots => ({ id, slots, migratingTo });

describe('scanOrder: every source before its target', () => {
  test.each<[string, MasterSlots[], number[] | undefined]>([
    ['no migration: as given', [view(idA, '0'), view(idB, '1'), view(idC, '2')], [0, 1, 2]],
    ['C to A', [view(idA, '0'), view(idB, '1'), view(idC, '2', [idA])], [1, 2, 0]],
    ['a chain, C to B to A', [view(idA, '0'), view(idB, '1', [idA]), view(idC, '2', [idB])], [2, 1, 0]],
    ['two slots from A to B', [view(idA, '0', [idB, idB]), view(idB, '1')], [0, 1]],
    ['a target not among the masters scanned (a new node): no safe order', [view(idA, '0', ['f'.repeat(40)]), view(idB, '1')], undefined],
    ['a cycle, A to B and B to A: no safe order', [view(idA, '0', [idB]), view(idB, '1', [idA])], undefined],
  ])('%s', (_what, masters, expected) => {
    expect(scanOrder(masters)).toEqual(expected);
  });
});

test('migrating and sameLayout', () => {
  expect(migrating([view(idA, '0-5460'), view(idB, '5461-16383')])).toBe(false);
  expect(migrating([view(idA, `0-5460 [5461->-${idB}]`, [idB])])).toBe(true);
  expect(migrating([view(idB, `[5461-<-${idA}] 5462-16383`)])).toBe(true);
  expect(sameLayout([view(idA, '0'), view(idB, '1')], [view(idB, '1'), view(idA, '0')])).toBe(true);
  expect(sameLayout([view(idA, '0'), view(idB, '1')], [view(idA, '0 1'), view(idB, '')])).toBe(false);
});

/**
 * Two fake masters, A holding `key` and B, each scanned in one SCAN call that
 * answers after `scanTicks` turns of the microtask queue. The adversary moves
 * `key` from A to B as soon as B's scan has answered: a scan that has not read
 * A by then misses it. `slots(id, call)` is what each CLUSTER NODES says.
 */
function adversary(slots: (id: string, call: number) => string) {
  const held = new Map<string, Set<string>>([[idA, new Set(['key', 'still'])], [idB, new Set(['other'])]]);
  const calls = new Map<string, number>();
  const scans: string[] = [];
  const master = (id: string, scanTicks: number): ScannedMaster => ({
    async scan() {
      for (let tick = 0; tick < scanTicks; tick++) await Promise.resolve();
      const found = [...held.get(id)!];
      scans.push(id);
      if (id === idB && held.get(idA)!.delete('key')) held.get(idB)!.add('key');
      return ['0', found];
    },
    async cluster() {
      const call = (calls.get(id) ?? 0) + 1;
      calls.set(id, call);
      return clusterNodes(id, slots(id, call));
    },
  });
  // A is slow to answer, B quick: scanned side by side, B answers first.
  const masters = [master(idA, 5), master(idB, 1)];
  const scan: DirectoryScan = { masters: () => masters, cluster: true, pattern: '*', count: 100, attempts: 4, pause: async () => {} };
  return { scan, scans };
}

describe('scanDirectory', () => {
  test('the hazard: with no migration shown, masters are scanned side by side, and a key that moves meanwhile is missed', async () => {
    const { scan } = adversary((id) => (id === idA ? '0-8999' : '9000-16383'));
    const { keys, stable } = await scanDirectory(scan);
    expect(stable).toBe(true);
    expect(keys.has('key')).toBe(false); // what a scan during a migration must not do
  });

  test('a slot migrating from A to B: A is scanned to its end before B, and the moving key is found', async () => {
    const { scan, scans } = adversary((id) => (id === idA ? `0-8999 [42->-${idB}]` : `9000-16383 [42-<-${idA}]`));
    const { keys, stable } = await scanDirectory(scan);
    expect(scans).toEqual([idA, idB]);
    expect({ keys: [...keys].sort(), stable }).toEqual({ keys: ['key', 'other', 'still'], stable: true });
  });

  test('a migration that begins during the scan changes the layout: the scan runs again, in the safe order', async () => {
    // Each master's first CLUSTER NODES shows no migration; from its second on, slot 42 moving from A to B.
    const { scan, scans } = adversary((id, call) => (call === 1 ? (id === idA ? '0-8999' : '9000-16383') : id === idA ? `0-8999 [42->-${idB}]` : `9000-16383 [42-<-${idA}]`));
    const { keys, stable } = await scanDirectory(scan);
    expect(scans).toEqual([idB, idA, idA, idB]);
    expect({ keys: [...keys].sort(), stable }).toEqual({ keys: ['key', 'other', 'still'], stable: true });
  });

  test('slots that move on every attempt: the union of the scans, reported as not stable', async () => {
    const { scan, scans } = adversary((id, call) => (id === idA ? `0-${8999 - call}` : `${9000 - call}-16383`));
    const { keys, stable } = await scanDirectory(scan);
    expect(scans).toHaveLength(2 * scan.attempts);
    expect({ keys: [...keys].sort(), stable }).toEqual({ keys: ['key', 'other', 'still'], stable: false });
  });

  test('one Redis, not a cluster: one scan, no CLUSTER NODES', async () => {
    const cluster = jest.fn();
    const single: ScannedMaster = { scan: async () => ['0', ['x', 'y']], cluster };
    const { keys, stable } = await scanDirectory({ masters: () => [single], cluster: false, pattern: '*', count: 100, attempts: 4, pause: async () => {} });
    expect({ keys: [...keys].sort(), stable }).toEqual({ keys: ['x', 'y'], stable: true });
    expect(cluster).not.toHaveBeenCalled();
  });
});
