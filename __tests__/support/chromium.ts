// Headless Chromium for the observer page's tests: Debian's `chromium` (CI
// installs it, see .ci/run), driven by playwright-core, which downloads no
// browser. When it is missing the tests are skipped with a printed reason,
// unless CI is set.

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the tests leave their screenshots (git-ignored). */
export const artifactsDir = path.join(__dirname, '..', '..', 'test-artifacts');

/** `describe`, or a skip with the reason printed; in CI a missing chromium fails. */
export function describeWithChromium(name: string, body: () => void): void {
  if (existsSync(chromiumPath)) return describe(name, body);
  if (process.env.CI) {
    return describe(name, () => test('needs chromium (CI installs it: see .ci/run)', () => {
      throw new Error(`${chromiumPath} is missing, and CI is set: the browser tests must run`);
    }));
  }
  console.log(`skipping "${name}": ${chromiumPath} is missing (apt-get install chromium; CI installs it)`);
  describe.skip(name, body);
}

/** A headless Chromium with a fresh profile, nothing fetched from the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The path of a screenshot named `name`, its folder created. */
export function artifact(name: string): string {
  mkdirSync(artifactsDir, { recursive: true });
  return path.join(artifactsDir, name);
}
