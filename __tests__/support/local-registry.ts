// Test helper: an npm registry on 127.0.0.1 that serves this repository's
// runtime dependencies (as package-lock.json lists them, packed from
// node_modules), so that `npm install <actor-kv tarball>` runs as it does
// against the real registry, without the network.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LocalRegistry {
  /** Where npm finds it: pass as `--registry`. */
  readonly url: string;
  /** How many package versions it serves. */
  readonly versions: number;
  close(): Promise<void>;
}

/** What `npm pack --json` reports for each folder it packs. */
interface Packed {
  name: string;
  version: string;
  filename: string;
  integrity: string;
}

/** The environment npm gets: without the npm_* variables of an enclosing `npm test`. */
export function npmEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

/** The folders under root/node_modules of every package the lock installs for production. */
function runtimeFolders(root: string): string[] {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean; link?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([where, entry]) => where.startsWith('node_modules/') && !entry.dev && !entry.devOptional && !entry.link)
    .map(([where]) => path.join(root, where))
    .filter((folder) => fs.existsSync(path.join(folder, 'package.json'))); // an optional one for another platform
}

/** One package version the registry serves. */
interface Held {
  manifest: { name: string; version: string };
  packed: Packed;
  topLevel: boolean;
}

/** Packs every runtime dependency of `root` into `dir` and serves them. */
export async function startLocalRegistry(root: string, dir: string): Promise<LocalRegistry> {
  const folders = runtimeFolders(root);
  fs.mkdirSync(dir, { recursive: true });
  const { stdout } = await run('npm', ['pack', ...folders, '--json', '--ignore-scripts', '--pack-destination', dir, '--cache', path.join(dir, 'cache')], {
    env: npmEnvironment(),
    maxBuffer: 64 * 1024 * 1024,
  });
  const packed = new Map((JSON.parse(stdout) as Packed[]).map((entry) => [`${entry.name}@${entry.version}`, entry]));
  const held: Held[] = folders.map((folder) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as Held['manifest'];
    const topLevel = folder === path.join(root, 'node_modules', manifest.name);
    return { manifest, packed: packed.get(`${manifest.name}@${manifest.version}`)!, topLevel };
  });

  const server = http.createServer((request, response) => {
    const name = decodeURIComponent((request.url ?? '/').split('?')[0]!.slice(1));
    const tarball = name.startsWith('-/') && held.find((entry) => entry.packed.filename === name.slice(2));
    if (tarball) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      fs.createReadStream(path.join(dir, tarball.packed.filename)).pipe(response);
      return;
    }
    const document = packument(name, held, url);
    response.writeHead(document ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(document ?? { error: 'Not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    versions: packed.size,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The registry's document for one package: every version held, the top-level one as `latest`. */
function packument(name: string, held: Held[], url: string): object | undefined {
  const mine = held.filter((entry) => entry.manifest.name === name);
  if (mine.length === 0) return undefined;
  const versions = Object.fromEntries(
    mine.map(({ manifest, packed }) => [manifest.version, { ...manifest, dist: { tarball: `${url}-/${packed.filename}`, integrity: packed.integrity } }]),
  );
  const latest = (mine.find((entry) => entry.topLevel) ?? mine[0]!).manifest.version;
  return { name, 'dist-tags': { latest }, versions };
}
