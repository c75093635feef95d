// The version --version prints: read from package.json at run time, two
// folders up from this file both in the repository (lib/cli/, dist/cli/) and
// in an installed package (node_modules/actor-kv/dist/cli/).

import * as fs from 'node:fs';
import * as path from 'node:path';

/** The `version` of the package this file belongs to. */
export function packageVersion(packageJson = path.join(__dirname, '..', '..', 'package.json')): string {
  const { version } = JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string') throw new Error(`${packageJson} has no version`);
  return version;
}
