// The actor-kv command's configuration: one table of flags (each with its
// environment variable, default and help line) and the pure loadConfig(argv, env).
// To add a flag, add one entry to `flags`; parsing, --help and Config follow.

import { parseArgs } from 'node:util';
import { choice, FlagError, integer, list, optionalText, text, type Flag } from './flags';
import type { StorageOption } from '../storage/open-storage';

export const flags = {
  port: integer({ env: 'ACTOR_KV_PORT', default: 4040, min: 0, max: 65535, help: 'TCP port of the text server; 0 picks a free one (the bound port is printed)' }, '<port>'),
  host: text({ env: 'ACTOR_KV_HOST', default: '127.0.0.1', help: 'address the text server listens on' }, '<address>'),
  node: text({ env: 'ACTOR_KV_NODE', default: 'local', help: "this node's name" }, '<name>'),
  maxLineBytes: integer({ env: 'ACTOR_KV_MAX_LINE_BYTES', default: 65536, min: 1, help: 'longest request line; a longer one gets `ERROR line too long` and a close' }, '<bytes>'),
  maxConnections: integer({ env: 'ACTOR_KV_MAX_CONNECTIONS', default: 10000, min: 1, help: 'most clients at once; one more gets `ERROR max clients reached` and a close' }),
  idleTimeoutMs: integer({ env: 'ACTOR_KV_IDLE_TIMEOUT_MS', default: 60000, min: 0, help: 'drop a client whose started line stays incomplete this long; 0 = never' }, '<ms>'),
  clusterPort: optionalText({ env: 'ACTOR_KV_CLUSTER_PORT', help: 'TCP port where this node accepts its peers; 0 picks a free one (the bound port is printed). Default: none, dial out only' }, '<port>'),
  clusterHost: text({ env: 'ACTOR_KV_CLUSTER_HOST', default: '127.0.0.1', help: 'address the cluster port listens on' }, '<address>'),
  peer: list(text({ default: '', help: '' }, '<name>=<host>:<port>'), { env: 'ACTOR_KV_PEERS', help: 'another node of the cluster, as bar=127.0.0.1:5041, or a bare name for a node that dials in' }),
  route: list(text({ default: '', help: '' }, '<bytes>=<node>'), { env: 'ACTOR_KV_ROUTES', help: "a row of the routing table on the bucket name's first byte, as a-m=foo (x=foo for one byte, 0x80-0xff=foo in hex); first match wins; with none, buckets are spread by rendezvous hashing" }),
  secret: optionalText({ env: 'ACTOR_KV_SECRET', help: 'the secret every node of the cluster shares; required with --peer (prefer the environment variable: arguments are visible to other users)' }, '<secret>'),
  clusterTimeoutMs: integer({ env: 'ACTOR_KV_CLUSTER_TIMEOUT_MS', default: 2000, min: 1, help: 'how long a request to another node may wait for its answer' }, '<ms>'),
  logLevel: choice(['fatal', 'error', 'warn', 'info', 'debug', 'silent'], { env: 'ACTOR_KV_LOG_LEVEL', default: 'info', help: 'least severe log level written to stderr' }),
  dataDir: optionalText({ env: 'ACTOR_KV_DATA_DIR', help: 'keep the buckets in an append-only log in this directory (created if missing, locked while in use); default: in memory' }, '<dir>'),
  fsync: choice(['always', 'everysec', 'no'], { env: 'ACTOR_KV_FSYNC', default: 'everysec', help: 'with --data-dir: fsync the log before each OK (always), once a second (loses at most ~1 s on a machine crash), or when the OS decides' }),
  redisUrl: optionalText({ env: 'ACTOR_KV_REDIS_URL', help: 'keep the buckets in Redis at this URL, e.g. redis://127.0.0.1:6379; default: in memory' }, '<url>'),
  redisPrefix: optionalText({ env: 'ACTOR_KV_REDIS_PREFIX', help: 'with --redis-url: prefix of every Redis key (default actor-kv:<node>:)' }, '<prefix>'),
} satisfies Record<string, Flag<unknown>>;

type Flags = typeof flags;

/** Every setting of the command, with defaults filled in. */
export type Config = { [K in keyof Flags]: Flags[K] extends Flag<infer T> ? T : never };

/** What the command line asks for. */
export type Loaded = { kind: 'run'; config: Config } | { kind: 'help' } | { kind: 'error'; message: string };

/** The store's `storage` option for these flags, or why they conflict. Pure. */
export function storageFor(config: Config): { storage: StorageOption } | { error: string } {
  const { dataDir, fsync, redisUrl, redisPrefix } = config;
  if (dataDir !== undefined && redisUrl !== undefined) return { error: '--data-dir and --redis-url exclude each other: choose one storage' };
  if (dataDir !== undefined) return { storage: { type: 'file', dir: dataDir, fsync } };
  if (redisUrl !== undefined) return { storage: { type: 'redis', url: redisUrl, ...(redisPrefix === undefined ? {} : { prefix: redisPrefix }) } };
  return { storage: 'memory' };
}

/** `maxLineBytes` -> `max-line-bytes`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

const entries = Object.entries(flags) as Array<[keyof Flags, Flag<unknown>]>;

/** Reads the flags in `argv`, then the environment, then the defaults. Pure. */
export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Loaded {
  let values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: parseArgsOptions(), strict: true, allowPositionals: false }).values;
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
  if (values.help) return { kind: 'help' };
  const config: Record<string, unknown> = {};
  for (const [key, flag] of entries) {
    const given = values[flagName(key)];
    const fromEnv = flag.env === undefined ? undefined : env[flag.env];
    const raw = given !== undefined ? [given].flat().map(String) : fromEnv !== undefined ? splitEnv(flag, fromEnv) : undefined;
    if (raw === undefined) {
      config[key] = flag.default;
      continue;
    }
    try {
      config[key] = flag.parse(raw);
    } catch (error) {
      if (!(error instanceof FlagError)) throw error;
      return { kind: 'error', message: `${given !== undefined ? `--${flagName(key)}` : flag.env}: ${error.message}` };
    }
  }
  return { kind: 'run', config: config as Config };
}

function parseArgsOptions(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [key, flag] of entries) options[flagName(key)] = { type: flag.type, multiple: flag.multiple };
  return options;
}

function splitEnv(flag: Flag<unknown>, value: string): string[] {
  return flag.multiple ? value.split(',').map((item) => item.trim()).filter((item) => item !== '') : [value];
}

/** The --help text. */
export function usage(): string {
  const rows = entries.map(([key, flag]) => {
    const left = `  --${flagName(key)}${flag.placeholder ? ` ${flag.placeholder}` : ''}`;
    const env = flag.env ? ` [env ${flag.env}]` : '';
    const fallback = flag.default === undefined || (Array.isArray(flag.default) && flag.default.length === 0) ? '' : ` (default: ${String(flag.default)})`;
    return `${left}\n      ${flag.help}${flag.multiple ? '; repeatable' : ''}.${env}${fallback}`;
  });
  return [
    'Usage: actor-kv [options]',
    '',
    'Starts an actor-kv node: the text protocol server (try `telnet 127.0.0.1 4040`)',
    'on a supervised store, in memory unless --data-dir or --redis-url says otherwise.',
    'Prints `Accepting connections on port <port>` on stdout once listening; logs go',
    'to stderr. SIGINT or SIGTERM stops it cleanly.',
    '',
    'Options:',
    ...rows,
    '  -h, --help',
    '      show this help and exit.',
    '',
  ].join('\n');
}
