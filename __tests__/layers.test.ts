// The library's layers run one way (docs/design.md):
//   cli -> server -> store -> {cluster, actors} -> storage -> core -> errors
// (keyv/, the Keyv adapter, is a client of the Store API as server/ is.)
// This reads every import of lib/ (type imports and re-exports included) and
// fails on an import against that order or on a cycle, so it stays so.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const libDir = path.join(__dirname, '..', 'lib');

/** Each layer's rank: a file may import files of its own layer folder or of a lower rank. */
const ranks: Record<string, number> = {
  index: 8,
  cli: 7,
  server: 6,
  keyv: 6,
  store: 5,
  cluster: 4,
  actors: 4,
  storage: 3,
  core: 2,
  errors: 1,
};

/** The layer of a file of lib/: its folder, or for a top-level file its name (store.ts, store-api.ts and options.ts are the store's). */
export function layerOf(file: string): string {
  const [first, second] = file.split('/');
  if (second !== undefined) return first!;
  const name = first!.replace(/\.ts$/, '');
  return name === 'options' || name === 'store-api' ? 'store' : name;
}

/** Whether `from` may import `to`: the same layer, or a lower one (siblings of one rank may not import each other). */
export function mayImport(from: string, to: string): boolean {
  const [a, b] = [layerOf(from), layerOf(to)];
  if (!(a in ranks) || !(b in ranks)) return false;
  return a === b || ranks[b]! < ranks[a]!;
}

function sourceFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`) : entry.name.endsWith('.ts') ? [`${prefix}${entry.name}`] : [],
  );
}

/** The lib/ files that `file` imports or re-exports, by relative path. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(libDir, file), 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\sfrom\s+'(\.[^']+)'/gms)].map((match) => match[1]!);
  return specifiers.map((specifier) => path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)) + '.ts');
}

/** The first cycle found in `graph`, as a list of files, or undefined. */
export function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'open') return [...stack.slice(stack.indexOf(file)), file];
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

const files = sourceFiles(libDir);
const graph = new Map(files.map((file) => [file, importsOf(file)]));

test('every import points to a file that exists (so the checks below see every edge)', () => {
  const missing = [...graph].flatMap(([file, imports]) => imports.filter((to) => !graph.has(to)).map((to) => `${file} -> ${to}`));
  expect(missing).toEqual([]);
  expect(graph.get('store.ts')!.length).toBeGreaterThan(3);
});

test('imports run one way: cli -> server -> store -> {cluster, actors} -> storage -> core -> errors', () => {
  const against = [...graph].flatMap(([file, imports]) => imports.filter((to) => !mayImport(file, to)).map((to) => `${file} -> ${to}`));
  expect(against).toEqual([]);
});

test('no import cycle, type imports included', () => {
  expect(findCycle(graph)).toBeUndefined();
});

describe('the rules themselves', () => {
  test.each([
    ['cli/main.ts', 'store.ts', true],
    ['server/run.ts', 'store.ts', true],
    ['keyv/index.ts', 'store.ts', true],
    ['store.ts', 'keyv/index.ts', false],
    ['server/run.ts', 'keyv/index.ts', false],
    ['store.ts', 'server/run.ts', false],
    ['cluster/peer.ts', 'actors/batcher.ts', false],
    ['actors/bucket.ts', 'cluster/peer.ts', false],
    ['actors/bucket.ts', 'storage/storage.ts', true],
    ['storage/memory.ts', 'actors/bucket.ts', false],
    ['storage/memory.ts', 'core/logger.ts', true],
    ['core/clock.ts', 'errors.ts', true],
    ['errors.ts', 'core/clock.ts', false],
    ['options.ts', 'cluster/options.ts', true],
    ['storage/memory.ts', 'options.ts', false],
  ])('%s -> %s: %s', (from, to, allowed) => {
    expect(mayImport(from, to)).toBe(allowed);
  });

  test('a cycle is found, and its files named in order', () => {
    const cyclic = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
    ]);
    expect(findCycle(cyclic)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    expect(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toBeUndefined();
  });
});
