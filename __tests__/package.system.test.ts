// The package as a user gets it: `npm pack`, then `npm install ./actor-kv-<version>.tgz`
// in an empty folder; there the public entry works by require and by import, its types
// resolve, the bin runs, and internal files are out of reach. And requiring the library
// does not load ioredis until Redis storage is used.
//
// How it stays offline while installing as npm does:
// 1. `npm pack` runs in a copy of this repository (no node_modules, no dist; its
//    node_modules a link to ours), so its prepack and prepare scripts make a clean
//    build there without touching the dist/ that other tests use.
// 2. support/local-registry.ts serves this repository's runtime dependencies (from
//    package-lock.json, packed from node_modules) as an npm registry on 127.0.0.1, and
//    `npm install` is pointed at it with --registry, an empty cache and no user config.
//    npm resolves, fetches, verifies, extracts and links the bin as it does from the
//    real registry. Rejected: `npm install --offline` over a cache filled by
//    `npm cache add <folder>` (resolving actor-kv's ranges needs the registry's package
//    documents, which that does not store), and unpacking the tarball by hand with
//    symlinked dependencies (it would skip npm's own install, bin link included).

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { npmEnvironment, startLocalRegistry, type LocalRegistry } from './support/local-registry';

const run = promisify(execFile);
jest.setTimeout(120_000);

const root = path.join(__dirname, '..');
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const notCopied = new Set(['node_modules', 'dist', '.git', 'coverage', '.data', 'test-artifacts']);

let tmp: string;
let app: string;
let registry: LocalRegistry | undefined;
let shipped: string[];

/** Runs npm in `cwd` with nothing from the enclosing npm or the user's npmrc. */
async function npm(args: string[], cwd: string): Promise<string> {
  const userconfig = path.join(tmp, 'npmrc');
  const { stdout } = await run('npm', [...args, '--userconfig', userconfig, '--cache', path.join(tmp, 'cache'), '--no-update-notifier'], {
    cwd,
    env: npmEnvironment(),
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** Runs a file of the app folder with node; resolves with its output. */
async function node(file: string, ...args: string[]): Promise<string> {
  return (await run(process.execPath, [file, ...args], { cwd: app, timeout: 30_000 })).stdout;
}

function write(file: string, text: string): void {
  fs.writeFileSync(path.join(app, file), text);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-package-'));
  fs.writeFileSync(path.join(tmp, 'npmrc'), '');
  const source = path.join(tmp, 'source');
  fs.cpSync(root, source, { recursive: true, filter: (from) => !notCopied.has(path.relative(root, from).split(path.sep)[0]!) });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  const [packed] = JSON.parse(await npm(['pack', '--json', '--pack-destination', tmp], source)) as [{ filename: string; files: Array<{ path: string }> }];
  shipped = packed.files.map((file) => file.path);

  registry = await startLocalRegistry(root, path.join(tmp, 'registry'));
  app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  await npm(['install', path.join(tmp, packed.filename), '--prefix', app, '--registry', registry.url, '--no-audit', '--no-fund'], app);
});

afterAll(async () => {
  await registry?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the packed and installed package', () => {
  test("ships the build, the observer's page, README.md and LICENSE; no source maps, sources or tests", () => {
    expect(shipped).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']));
    expect(shipped.filter((file) => !/^dist\/.+\.(js|d\.ts)$/.test(file)).sort()).toEqual(['LICENSE', 'README.md', 'dist/server/observer/page.html', 'package.json']);
  });

  test("serves the observer's page", async () => {
    write('observer.cjs', `const { createStore, startObserver } = require('actor-kv');
(async () => {
  const store = await createStore();
  const observer = await startObserver(store, { port: 0 });
  const page = await (await fetch(observer.url)).text();
  console.log(page.includes('<title>actor-kv observer</title>'));
  await observer.close();
  await store.stop();
})();`);
    expect(await node('observer.cjs')).toBe('true\n');
  });

  test('installs its runtime dependencies and links its bin', () => {
    for (const dependency of ['nact', 'pino', 'ioredis', 'prom-client']) expect(fs.existsSync(path.join(app, 'node_modules', dependency, 'package.json'))).toBe(true);
    expect(fs.existsSync(path.join(app, 'node_modules', '.bin', 'actor-kv'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'))).toEqual({ dependencies: { 'actor-kv': expect.stringMatching(/\.tgz$/) } });
  });

  test('works through require', async () => {
    write('use.cjs', storeScript("const { createStore } = require('actor-kv');", 'required'));
    expect(await node('use.cjs')).toBe('required\n');
  });

  test('works through import', async () => {
    write('use.mjs', storeScript("import { createStore } from 'actor-kv';", 'imported'));
    expect(await node('use.mjs')).toBe('imported\n');
  });

  test('exports the Keyv adapter as actor-kv/keyv, to require and import alike', async () => {
    write('keyv.cjs', "const { KeyvActorKv } = require('actor-kv/keyv'); console.log(typeof KeyvActorKv);");
    write('keyv.mjs', "import { KeyvActorKv } from 'actor-kv/keyv'; console.log(typeof KeyvActorKv);");
    expect(await node('keyv.cjs')).toBe('function\n');
    expect(await node('keyv.mjs')).toBe('function\n');
  });

  test('refuses internal files; package.json stays readable', async () => {
    write(
      'internal.cjs',
      `try { require('actor-kv/dist/store'); console.log('loaded'); } catch (error) { console.log(error.code); }
console.log(require('actor-kv/package.json').version);`,
    );
    expect(await node('internal.cjs')).toBe(`ERR_PACKAGE_PATH_NOT_EXPORTED\n${version}\n`);
  });

  test('gives TypeScript its types, to ES modules and CommonJS alike', async () => {
    write('check.mts', "import { createStore, KvError, type Store } from 'actor-kv';\nconst store: Store = await createStore();\nexport const value: string | undefined = await store.get('b', 'k');\nexport { KvError };\n");
    write('check.cts', "import { createStore, type StoreOptions } from 'actor-kv';\nconst options: StoreOptions = {};\nexport const store = createStore(options);\n");
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
    const types = ['--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types')];
    const checked = await run(process.execPath, [tsc, ...flags, ...types, 'check.mts', 'check.cts'], { cwd: app }).catch((error: { stdout: string }) => error);
    expect(checked.stdout).toBe(''); // tsc prints its errors on stdout
  });

  test('runs its bin', async () => {
    const bin = path.join(app, 'node_modules', '.bin', 'actor-kv');
    const { stdout: help } = await run(bin, ['--help'], { cwd: app });
    expect(help).toMatch(/actor-kv/);
    // --version is new in the command line: checked once --help lists it.
    if (/--version/.test(help)) expect((await run(bin, ['--version'], { cwd: app })).stdout.trim()).toContain(version);
  });
});

describe('requiring the library', () => {
  test('loads ioredis only once Redis storage is used', async () => {
    const script = `
const kv = require(${JSON.stringify(path.join(root, 'dist', 'index.js'))});
const loaded = () => Object.keys(require.cache).some((file) => file.includes(${JSON.stringify(`${path.sep}ioredis${path.sep}`)}));
(async () => {
  const store = await kv.createStore();
  await store.create('shopping');
  await store.put('shopping', 'milk', '1');
  await store.stop();
  const afterMemory = loaded();
  await new kv.RedisStorage({ url: 'redis://127.0.0.1:1' }).close();
  console.log(JSON.stringify({ afterMemory, afterRedis: loaded() }));
})();`;
    const { stdout } = await run(process.execPath, ['-e', script], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ afterMemory: false, afterRedis: true });
  });
});

/** A script that makes a store, puts `value`, prints what get returns and stops. */
function storeScript(importLine: string, value: string): string {
  return `${importLine}
async function main() {
  const store = await createStore();
  await store.create('shopping');
  await store.put('shopping', 'milk', '${value}');
  console.log(await store.get('shopping', 'milk'));
  await store.stop();
}
main();
`;
}
