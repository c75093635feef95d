// The actor-kv command's configuration: one table of flags (each with its
// environment variable, default and help line) and the pure loadConfig(argv, env).
// To add a flag, add one entry to `flags`; parsing, --help and Config follow.

import { parseArgs } from 'node:util';
import { isNodeName, maxNodeNameLength } from '../cluster/handshake';
import { parseAddress } from '../cluster/options';
import { parseRoute } from '../cluster/router';
import { truncatedLogPolicies } from '../storage/log-replay';
import { parseHostPort, redactRedisUrl } from '../storage/redis-connection';
import { choice, FlagError, integer, list, optionalChoice, optionalInteger, optionalText, text, type Flag } from './flags';

/** The longest delay a Node timer honours, so the longest a `-ms` flag may ask for. */
const maxDelayMs = 2 ** 31 - 1;

export const flags = {
  port: integer({ env: 'ACTOR_KV_PORT', default: 4040, min: 0, max: 65535, help: 'TCP port of the text server; 0 picks a free one (the bound port is printed)' }, '<port>'),
  host: text({ env: 'ACTOR_KV_HOST', default: '127.0.0.1', help: 'address the text server listens on' }, '<address>'),
  node: text({ env: 'ACTOR_KV_NODE', default: 'local', help: `this node's name: 1-${maxNodeNameLength} letters, digits or _.@:-`, check: checkNodeName }, '<name>'),
  maxLineBytes: integer({ env: 'ACTOR_KV_MAX_LINE_BYTES', default: 65536, min: 1, help: 'longest request line; a longer one gets `ERROR line too long` and a close' }, '<bytes>'),
  maxConnections: integer({ env: 'ACTOR_KV_MAX_CONNECTIONS', default: 10000, min: 1, help: 'most clients at once; one more gets `ERROR max clients reached` and a close' }),
  maxClientMemory: optionalInteger({ env: 'ACTOR_KV_MAX_CLIENT_MEMORY', min: 1, max: Number.MAX_SAFE_INTEGER, help: 'bytes all clients together may hold (unparsed input, requests in flight, unsent replies); past it growing clients are paused, a quarter past it the biggest are disconnected. Default: a quarter of the heap limit, at most 256 MiB' }, '<bytes>'),
  idleTimeoutMs: integer({ env: 'ACTOR_KV_IDLE_TIMEOUT_MS', default: 60000, min: 0, max: maxDelayMs, help: 'drop a client whose started line stays incomplete this long; 0 = never' }, '<ms>'),
  respPort: optionalInteger({ env: 'ACTOR_KV_RESP_PORT', min: 0, max: 65535, help: 'TCP port of the Redis-protocol (RESP2) listener, usually 6379; 0 picks a free one (the bound port is printed). Default: none, no RESP listener' }, '<port>'),
  respHost: optionalText({ env: 'ACTOR_KV_RESP_HOST', help: 'with --resp-port: the address it listens on (default: --host)' }, '<address>'),
  respPassword: optionalText({ env: 'ACTOR_KV_RESP_PASSWORD', help: 'with --resp-port: Redis clients must AUTH with it (default: --password); never logged (prefer the environment variable)' }, '<password>'),
  respMaxBulkBytes: integer({ env: 'ACTOR_KV_RESP_MAX_BULK_BYTES', default: 512 * 1024 * 1024, min: 1, max: 512 * 1024 * 1024, help: "with --resp-port: longest bulk string in a request (Redis's proto-max-bulk-len)" }, '<bytes>'),
  respStringsBucket: text({ env: 'ACTOR_KV_RESP_STRINGS_BUCKET', default: 'strings', help: 'with --resp-port: the bucket that holds plain string keys (SET, GET, INCR...)' }, '<bucket>'),
  respAllowFlush: choice(['yes', 'no'], { env: 'ACTOR_KV_RESP_ALLOW_FLUSH', default: 'no', help: 'with --resp-port: whether FLUSHDB and FLUSHALL may drop every bucket' }),
  clusterPort: optionalInteger({ env: 'ACTOR_KV_CLUSTER_PORT', min: 0, max: 65535, help: 'TCP port where this node accepts its peers; 0 picks a free one (the bound port is printed). Default: none, dial out only' }, '<port>'),
  clusterHost: text({ env: 'ACTOR_KV_CLUSTER_HOST', default: '127.0.0.1', help: 'with --cluster-port: the address it listens on' }, '<address>'),
  peer: list(text({ default: '', help: '', check: checkPeer }, '<name>=<host>:<port>'), { env: 'ACTOR_KV_PEERS', help: 'another node of the cluster, as bar=127.0.0.1:5041, or a bare name for a node that dials in' }),
  route: list(text({ default: '', help: '', check: checkRoute }, '<bytes>=<nodes>'), { env: 'ACTOR_KV_ROUTES', envItems: routeRows, help: "a row of the routing table on the bucket name's first byte, as a-m=foo (x=foo for one byte, 0x80-0xff=foo in hex), or a-m=foo,bar with --replicas 2 (primary first); first match wins; with none, buckets are spread by rendezvous hashing" }),
  replicas: integer({ env: 'ACTOR_KV_REPLICAS', default: 1, min: 1, max: 16, help: 'in a cluster: how many nodes hold each bucket; a write is acknowledged once all of them hold it, and a replica takes over when the primary is lost (a majority of the nodes must agree)' }, '<n>'),
  secret: optionalText({ env: 'ACTOR_KV_SECRET', help: 'the secret every node of the cluster shares, at least 16 bytes; required with --peer, --route or --cluster-port (prefer the environment variable: arguments are visible to other users)' }, '<secret>'),
  clusterTimeoutMs: integer({ env: 'ACTOR_KV_CLUSTER_TIMEOUT_MS', default: 2000, min: 1, max: maxDelayMs, help: 'in a cluster: how long a request to another node may wait for its answer' }, '<ms>'),
  logLevel: choice(['fatal', 'error', 'warn', 'info', 'debug', 'silent'], { env: 'ACTOR_KV_LOG_LEVEL', default: 'info', help: 'least severe log level written to stderr; debug adds clients, peer dials and handshakes' }),
  logFormat: optionalChoice(['json', 'pretty'], { env: 'ACTOR_KV_LOG_FORMAT', help: 'logs as pino JSON lines, or as readable lines (time, level, message, fields). Default: pretty when stderr is a terminal, json otherwise' }),
  password: optionalText({ env: 'ACTOR_KV_PASSWORD', help: 'clients must AUTH <password> before any other command; one word; never logged (prefer the environment variable: arguments are visible to other users)' }, '<password>'),
  protectedMode: choice(['yes', 'no'], { env: 'ACTOR_KV_PROTECTED_MODE', default: 'yes', help: 'without a password and listening beyond loopback, serve loopback clients only and tell the others why (no: serve everyone)' }),
  tlsCert: optionalText({ env: 'ACTOR_KV_TLS_CERT', help: 'serve clients over TLS with this certificate (PEM file); needs --tls-key' }, '<file>'),
  tlsKey: optionalText({ env: 'ACTOR_KV_TLS_KEY', help: 'the private key (PEM file) of --tls-cert' }, '<file>'),
  clusterTlsCert: optionalText({ env: 'ACTOR_KV_CLUSTER_TLS_CERT', help: "mutual TLS between the nodes: this node's certificate (PEM file), which must name the node (CN or a DNS name); needs --cluster-tls-key and --cluster-tls-ca" }, '<file>'),
  clusterTlsKey: optionalText({ env: 'ACTOR_KV_CLUSTER_TLS_KEY', help: 'the private key (PEM file) of --cluster-tls-cert' }, '<file>'),
  clusterTlsCa: optionalText({ env: 'ACTOR_KV_CLUSTER_TLS_CA', help: "the cluster's CA certificate (PEM file): a peer must present a certificate from it" }, '<file>'),
  observerPort: optionalInteger({ env: 'ACTOR_KV_OBSERVER_PORT', min: 0, max: 65535, help: 'serve the observer (a live page of every node\'s supervision tree, /api/tree, /events, /metrics, /healthz) over HTTP on this port; 0 picks a free one (the bound port is printed). Default: off' }, '<port>'),
  observerHost: text({ env: 'ACTOR_KV_OBSERVER_HOST', default: '127.0.0.1', help: 'with --observer-port: the address it listens on' }, '<address>'),
  observerPassword: optionalText({ env: 'ACTOR_KV_OBSERVER_PASSWORD', help: "with --observer-port: lets clients beyond loopback press the page's crash and revive buttons if they give it (without it, loopback only)" }, '<password>'),
  dataDir: optionalText({ env: 'ACTOR_KV_DATA_DIR', help: 'keep the buckets in an append-only log in this directory (created if missing, locked while in use); default: in memory' }, '<dir>'),
  onTruncatedLog: choice(truncatedLogPolicies, { env: 'ACTOR_KV_ON_TRUNCATED_LOG', default: 'refuse', help: 'with --data-dir: a log cut inside its 8-byte header lost everything it held; refuse to start, naming it, or start empty' }),
  fsync: choice(['always', 'everysec', 'no'], { env: 'ACTOR_KV_FSYNC', default: 'everysec', help: 'with --data-dir: fsync the log before each OK (always), once a second (loses at most ~1 s on a machine crash), or when the OS decides' }),
  redisUrl: optionalText({ env: 'ACTOR_KV_REDIS_URL', help: 'keep the buckets in Redis at this redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379; default: in memory', check: checkRedisUrl }, '<url>'),
  redisCluster: optionalText({ env: 'ACTOR_KV_REDIS_CLUSTER', help: 'keep the buckets in the Redis Cluster these nodes belong to, e.g. 127.0.0.1:7000,127.0.0.1:7001 (the others are found)', check: checkHostPorts }, '<host:port,...>'),
  redisPrefix: optionalText({ env: 'ACTOR_KV_REDIS_PREFIX', help: 'with --redis-url or --redis-cluster: prefix of every Redis key (default actor-kv:<node>:)' }, '<prefix>'),
  redisPassword: optionalText({ env: 'ACTOR_KV_REDIS_PASSWORD', help: "with --redis-url or --redis-cluster: Redis's AUTH password; never logged (prefer the environment variable: arguments are visible to other users)" }, '<password>'),
  redisWaitReplicas: integer({ env: 'ACTOR_KV_REDIS_WAIT_REPLICAS', default: 0, min: 0, max: 16, help: "with --redis-url or --redis-cluster: acknowledge a write only once this many replicas of its Redis master hold it (Redis's WAIT); 0: once the master has it" }, '<n>'),
  redisTls: choice(['yes', 'no'], { env: 'ACTOR_KV_REDIS_TLS', default: 'no', help: 'with --redis-cluster: reach its nodes over TLS (for one Redis, give a rediss:// URL)' }),
  redisTlsCa: optionalText({ env: 'ACTOR_KV_REDIS_TLS_CA', help: "with a rediss:// --redis-url or --redis-tls yes: the CA certificate (PEM file) that signed Redis's, when it is not a public one" }, '<file>'),
  redisTlsCert: optionalText({ env: 'ACTOR_KV_REDIS_TLS_CERT', help: "with a rediss:// --redis-url or --redis-tls yes: this node's certificate (PEM file), for a Redis that asks clients for one (tls-auth-clients); needs --redis-tls-key" }, '<file>'),
  redisTlsKey: optionalText({ env: 'ACTOR_KV_REDIS_TLS_KEY', help: 'the private key (PEM file) of --redis-tls-cert' }, '<file>'),
} satisfies Record<string, Flag<unknown>>;

type Flags = typeof flags;

/** Every setting of the command, with defaults filled in. */
export type Config = { [K in keyof Flags]: Flags[K] extends Flag<infer T> ? T : never };

/** Where a setting came from: the command line, the environment, or its default. */
export type Origin = 'flag' | 'env' | 'default';

/** The origin of every setting. */
export type Origins = Record<keyof Config, Origin>;

/** A configuration and where each of its settings came from. */
export interface Loaded {
  config: Config;
  origin: Origins;
}

/** What the command line asks for. */
export type CommandLine = ({ kind: 'run' } & Loaded) | { kind: 'help' } | { kind: 'version' } | { kind: 'error'; message: string };

/** `maxLineBytes` -> `--max-line-bytes`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** How messages name a setting: its flag, or its environment variable when it came from there. */
export function sourceName(key: keyof Config, origin: Origins): string {
  return origin[key] === 'env' ? flags[key].env! : flagName(key);
}

const entries = Object.entries(flags) as Array<[keyof Flags, Flag<unknown>]>;
const byFlagName = new Map(entries.map(([key, flag]) => [flagName(key), [key, flag] as const]));
const commands = { '--help': 'help', '-h': 'help', '--version': 'version', '-v': 'version' } as const;

/** Reads the flags in `argv`, then the environment, then the defaults. Pure. */
export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CommandLine {
  const read = readTokens(argv);
  if ('error' in read) return { kind: 'error', message: read.error };
  if (read.command) return { kind: read.command };
  const config: Record<string, unknown> = {};
  const origin: Record<string, Origin> = {};
  for (const [key, flag] of entries) {
    const given = read.values.get(key);
    // An empty variable counts as unset, as `VAR= actor-kv` means to most shells' users.
    const fromEnv = flag.env === undefined || env[flag.env] === '' ? undefined : env[flag.env];
    origin[key] = given !== undefined ? 'flag' : fromEnv !== undefined ? 'env' : 'default';
    const raw = given ?? (fromEnv === undefined ? undefined : splitEnv(flag, fromEnv));
    try {
      config[key] = raw === undefined ? flag.default : flag.parse(raw);
    } catch (error) {
      if (!(error instanceof FlagError)) throw error;
      return { kind: 'error', message: `${sourceName(key, origin as Origins)}: ${error.message}` };
    }
  }
  return { kind: 'run', config: config as Config, origin: origin as Origins };
}

/**
 * The flags' texts by key, or the first thing wrong with the command line, or
 * --help/--version. Node's parseArgs splits the words; the checks are ours, so
 * every message names the flag in the words --help uses.
 */
function readTokens(argv: readonly string[]): { values: Map<keyof Flags, string[]>; command?: 'help' | 'version' } | { error: string } {
  const { tokens } = parseArgs({ args: [...argv], options: parseArgsOptions(), strict: false, allowPositionals: true, tokens: true });
  const values = new Map<keyof Flags, string[]>();
  let command: 'help' | 'version' | undefined;
  for (const token of tokens) {
    if (token.kind !== 'option') {
      if (token.kind === 'positional') return { error: `unexpected argument ${JSON.stringify(token.value)}: actor-kv takes only flags` };
      continue; // `--`: what follows is positional, and refused as such
    }
    const name = token.rawName;
    if (name in commands) {
      if (token.value !== undefined) return { error: `${name} takes no value` };
      command ??= commands[name as keyof typeof commands];
      continue;
    }
    const known = byFlagName.get(name);
    if (!known) return { error: `unknown flag ${name}` };
    // `--port --node x` would read `--node` as the port: a value that looks like a flag must be written --port=...
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) return { error: `${name} needs a value` };
    values.set(known[0], [...(values.get(known[0]) ?? []), token.value]);
  }
  return { values, command };
}

function parseArgsOptions(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } };
  for (const [key, flag] of entries) options[flagName(key).slice(2)] = { type: flag.type, multiple: flag.multiple };
  return options;
}

function splitEnv(flag: Flag<unknown>, value: string): string[] {
  if (!flag.multiple) return [value];
  return flag.envItems ? flag.envItems(value) : commaItems(value);
}

function commaItems(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/**
 * ACTOR_KV_ROUTES's rows: a route's own nodes are comma-separated too
 * (a-m=foo,bar with --replicas 2), so an item without `=` is another node of
 * the row before it, not a row: the variable holds what the repeated flag does.
 */
function routeRows(value: string): string[] {
  const rows: string[] = [];
  for (const item of commaItems(value)) {
    if (!item.includes('=') && rows.length > 0) rows[rows.length - 1] += `,${item}`;
    else rows.push(item);
  }
  return rows;
}

function checkNodeName(name: string): void {
  if (!isNodeName(name)) throw new FlagError(`${JSON.stringify(name)} is not a node name: 1-${maxNodeNameLength} letters, digits or _.@:-`);
}

/** `bar=127.0.0.1:5041` or a bare `bar`. */
function checkPeer(peer: string): void {
  const at = peer.indexOf('=');
  const name = at < 0 ? peer : peer.slice(0, at);
  if (!isNodeName(name)) throw new FlagError(`${JSON.stringify(peer)}: ${JSON.stringify(name)} is not a node name (1-${maxNodeNameLength} letters, digits or _.@:-)`);
  if (at < 0) return;
  try {
    parseAddress(peer.slice(at + 1), 'peer');
  } catch {
    throw new FlagError(`${JSON.stringify(peer)}: the address must be host:port with a port from 0 to 65535, as bar=127.0.0.1:5041`);
  }
}

function checkRoute(route: string): void {
  try {
    parseRoute(route);
  } catch (error) {
    throw new FlagError((error as Error).message);
  }
}

/** host:port[,host:port...]: the Redis Cluster nodes to start from. */
function checkHostPorts(text: string): void {
  for (const node of text.split(',')) {
    if (!parseHostPort(node)) throw new FlagError(`${JSON.stringify(node)} is not host:port; expected e.g. 127.0.0.1:7000,127.0.0.1:7001`);
  }
}

/** A redis:// or rediss:// URL; what is echoed back never shows its credentials. */
function checkRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FlagError('not a URL; expected redis://host:port or rediss://host:port');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new FlagError(`${redactRedisUrl(url)} is not a redis:// or rediss:// URL`);
  if (parsed.hostname === '') throw new FlagError(`${redactRedisUrl(url)} names no host; expected redis://host:port`);
}

/** The --help text. */
export function usage(): string {
  const rows = entries.map(([key, flag]) => {
    const left = `  ${flagName(key)}${flag.placeholder ? ` ${flag.placeholder}` : ''}`;
    const env = flag.env ? ` [env ${flag.env}]` : '';
    const fallback = flag.default === undefined || (Array.isArray(flag.default) && flag.default.length === 0) ? '' : ` (default: ${String(flag.default)})`;
    return `${left}\n      ${flag.help}${flag.multiple ? '; repeatable' : ''}.${env}${fallback}`;
  });
  return [
    'Usage: actor-kv [options]',
    '',
    'Starts an actor-kv node: the text protocol server (try `telnet 127.0.0.1 4040`)',
    'on a supervised store, in memory unless --data-dir, --redis-url or --redis-cluster says otherwise.',
    'Prints `Accepting connections on port <port>` on stdout once listening; logs go',
    'to stderr. SIGINT or SIGTERM stops it cleanly. A flag beats its environment',
    'variable; a flag that would do nothing (--fsync without --data-dir, say) is refused.',
    'Exit status: 0 after a clean stop, 1 if it cannot start, 2 for a usage error.',
    '`actor-kv tree --observer <url>` prints the supervision trees a node\'s observer',
    'sees (see `actor-kv tree --help`).',
    '',
    'Options:',
    ...rows,
    '  -h, --help',
    '      show this help and exit.',
    '  -v, --version',
    '      print the version and exit.',
    '',
  ].join('\n');
}
