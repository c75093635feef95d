// `actor-kv tree [--observer <url> | --host <address> --port <port> [--tls]]`:
// prints every node's supervision tree, read from a running node's observer
// (/api/tree) or its text server (TREE, over TLS when the server wants it),
// for those without a browser.

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { parseArgs } from 'node:util';
import type { Observed } from '../server/observer/observed';
import { treeText } from '../server/observer/tree-text';

/** Where `actor-kv tree` reads the tree: a node's observer (/api/tree), or its text server (TREE). */
export type TreeSource = { url: string } | TextServerSource;

/** A text server; `tls` when it serves TLS, trusting the CA in `caFile` (a file, read when connecting) or the system's. */
export interface TextServerSource {
  host: string;
  port: number;
  password?: string;
  tls?: { caFile?: string };
}

/** What `actor-kv tree ...` asks for: where to read the tree, or what is wrong. */
export function treeTarget(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): TreeSource | { error: string } | { help: true } {
  let values: { observer?: string; host?: string; port?: string; tls?: boolean; 'tls-ca'?: string; help?: boolean };
  try {
    const options = {
      observer: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      tls: { type: 'boolean' },
      'tls-ca': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    } as const;
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    return { error: `tree: ${(error as Error).message.split('\n')[0]}` };
  }
  if (values.help) return { help: true };
  const tlsOption = values.tls || values['tls-ca'] !== undefined ? { ...(values['tls-ca'] === undefined ? {} : { caFile: values['tls-ca'] }) } : undefined;
  const textFlags = values.host !== undefined || values.port !== undefined || tlsOption !== undefined;
  if (values.observer !== undefined && textFlags) return { error: 'tree: --observer and --host/--port/--tls exclude each other: read the tree from the observer or from the text server' };
  const observerPort = textFlags ? undefined : env.ACTOR_KV_OBSERVER_PORT || undefined;
  const observer = values.observer ?? (observerPort ? `http://127.0.0.1:${observerPort}` : undefined);
  if (observer !== undefined) return observerApi(observer);
  // A bad port is named where it came from: the flag, or the variable the user may not know is set.
  const portSource = values.port === undefined && env.ACTOR_KV_PORT ? 'ACTOR_KV_PORT' : '--port';
  const server = textServer(values.host ?? (env.ACTOR_KV_HOST || '127.0.0.1'), values.port ?? (env.ACTOR_KV_PORT || '4040'), env.ACTOR_KV_PASSWORD, portSource);
  return 'error' in server || !tlsOption ? server : { ...server, tls: tlsOption };
}

function observerApi(given: string): TreeSource | { error: string } {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return { error: `--observer: ${JSON.stringify(given)} is not a URL; expected http://host:port` };
  }
  if (url.protocol !== 'http:') return { error: `--observer: ${JSON.stringify(given)} is not an http:// URL` };
  return { url: new URL('api/tree', url.href.endsWith('/') ? url.href : `${url.href}/`).href };
}

function textServer(host: string, portText: string, password: string | undefined, portSource: string): TextServerSource | { error: string } {
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) return { error: `${portSource}: ${JSON.stringify(portText)} is not a port from 1 to 65535` };
  return { host, port, ...(password ? { password } : {}) };
}

export const treeUsage = [
  'Usage: actor-kv tree [--observer <url> | --host <address> --port <port> [--tls] [--tls-ca <file>]]',
  '',
  "Prints every node's supervision tree (registry, bucket supervisors, buckets",
  'with their status, restarts and last crash), as a running node sees it.',
  '--observer <url> reads it from that node\'s observer, e.g. http://127.0.0.1:4041',
  '(started with --observer-port 4041; ACTOR_KV_OBSERVER_PORT gives one on',
  '127.0.0.1). Otherwise it asks the node\'s text server with TREE, at --host',
  '(ACTOR_KV_HOST, 127.0.0.1) and --port (ACTOR_KV_PORT, 4040), sending',
  'AUTH first when ACTOR_KV_PASSWORD is set. --tls speaks TLS to a server',
  'started with --tls-cert, trusting the system\'s CAs, or only the CA',
  'certificate in the PEM file --tls-ca names (which implies --tls).',
  'Exit status: 0 once printed, 1 if the node cannot be read, 2 for a usage error.',
  '',
].join('\n');

/** Reads the tree from `source` and prints it; the text of what went wrong otherwise. */
export async function printTree(source: TreeSource, write: (text: string) => void): Promise<string | undefined> {
  if (!('url' in source)) return printTreeFromServer(source, write);
  const { url } = source;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    return `cannot read ${url}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`;
  }
  if (!response.ok) return `${url} answered ${response.status}: ${(await response.text()).slice(0, 200)}`;
  write(treeText((await response.json()) as Observed));
  return undefined;
}

/** Asks the text server for TREE (after AUTH, with a password) and prints its lines. */
function printTreeFromServer(source: TextServerSource, write: (text: string) => void): Promise<string | undefined> {
  const { host, port, password } = source;
  const where = `${host}:${port}`;
  let ca: Buffer | undefined;
  try {
    ca = source.tls?.caFile === undefined ? undefined : fs.readFileSync(source.tls.caFile);
  } catch (error) {
    return Promise.resolve(`cannot read --tls-ca: ${(error as Error).message}`);
  }
  return new Promise((resolve) => {
    const socket = source.tls ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...(ca ? { ca } : {}) }) : net.connect({ host, port });
    const connected = source.tls ? 'secureConnect' : 'connect';
    const lines: string[] = [];
    let buffered = '';
    let awaitingAuth = password !== undefined;
    const finish = (failure: string | undefined): void => {
      socket.destroy();
      resolve(failure);
    };
    socket.setTimeout(10_000, () => finish(`no answer from ${where} within 10 s`));
    socket.on('error', (error) => finish(`cannot reach ${where}: ${error.message}${source.tls ? tlsHint(error, ca !== undefined) : ''}`));
    // A TLS server reads the plain request as a broken handshake and hangs up.
    socket.on('close', () => finish(`${where} closed the connection before the tree was read${source.tls ? '' : ' (does it serve TLS? try --tls)'}`));
    socket.on(connected, () => socket.write(`${password === undefined ? '' : `AUTH ${password}\r\n`}TREE\r\n`));
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\r\n')) !== -1) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (line.startsWith('ERROR')) return finish(`${where} answered: ${line}`);
        if (line === 'UNKNOWN COMMAND') return finish(`${where} does not know TREE (an older actor-kv?); use --observer`);
        if (awaitingAuth) awaitingAuth = false; // AUTH's OK
        else if (line === 'OK') {
          write(`${lines.join('\n')}\n`);
          return finish(undefined);
        } else lines.push(line);
      }
    });
  });
}

/** What to try when a TLS connection fails on the server's certificate. */
function tlsHint(error: Error, caGiven: boolean): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const untrusted = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code);
  return untrusted && !caGiven ? " (a certificate from your own CA? name it with --tls-ca)" : '';
}
