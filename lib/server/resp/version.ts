// actor-kv's version for INFO, read once from its package.json (two folders up
// from lib/server/resp in the sources, and from dist/server/resp once built).

import { readFileSync } from 'node:fs';
import path from 'node:path';

let version: string | undefined;

export function packageVersionOf(): string {
  if (version === undefined) {
    try {
      version = String((JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown');
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
