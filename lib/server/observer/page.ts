// The observer's page: one static HTML file beside this one (copied into
// dist/ by the build), read once.

import { readFileSync } from 'node:fs';
import path from 'node:path';

let page: string | undefined;

/** The page's HTML. */
export function pageHtml(): string {
  page ??= readFileSync(path.join(__dirname, 'page.html'), 'utf8');
  return page;
}
