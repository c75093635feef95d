// The observer's HTTP plumbing: replies, request bodies, and what an action's
// body names. node:http only.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { KvError } from '../../errors';

/** Largest action body: a bucket name and a node name in JSON. */
const maxBodyBytes = 64 * 1024;

/** The bucket (and node) an action names; throws BAD_REQUEST. */
export function parseTarget(body: string): { bucket: string; node?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new KvError('BAD_REQUEST', 'the body must be JSON: {"bucket": "<name>", "node": "<node>"}');
  }
  const { bucket, node } = (parsed ?? {}) as { bucket?: unknown; node?: unknown };
  if (typeof bucket !== 'string' || bucket === '') throw new KvError('BAD_REQUEST', 'the body must name a bucket: {"bucket": "<name>"}');
  if (node !== undefined && typeof node !== 'string') throw new KvError('BAD_REQUEST', '"node" must be a node name');
  return node === undefined ? { bucket } : { bucket, node };
}

export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        request.destroy();
        return reject(new KvError('BAD_REQUEST', `the body is over ${maxBodyBytes} bytes`));
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** The HTTP status of a store error. */
export function statusOf(code: string): number {
  if (code === 'NOT_FOUND') return 404;
  if (code === 'BAD_REQUEST' || code === 'NO_ROUTE') return 400;
  return 503;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

export function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
