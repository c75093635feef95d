// The observer's page in a real browser (headless Chromium): buckets appear,
// restart, fail and revive on screen without a reload; its buttons work; a
// second node appears and a lost one is shown unreachable; 10,000 buckets
// stay usable. Screenshots go to test-artifacts/.

import type { Browser, Page } from 'playwright-core';
import { createStore, startObserver, type Observer, type Store, type StoreOptions } from '../lib';
import { artifact, describeWithChromium, launchChromium } from './support/chromium';
import { startNodes, stopAll } from './support/cluster-nodes';
import { waitUntil } from './support/deadlines';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** How long a test waits for the page to show something. */
const shownWithinMs = 5000;

describeWithChromium('the observer page', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(observer: Observer, viewport = { width: 1280, height: 800 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    cleanups.push(() => page.close());
    await page.goto(observer.url);
    await page.waitForSelector('#live[data-live="open"]', { timeout: shownWithinMs });
    // Set once: had the page reloaded, it would be gone. (Browser code is given as text: the tests compile without the DOM's types.)
    await page.evaluate('window.notReloaded = true');
    return page;
  }

  async function observed(options: StoreOptions = {}): Promise<{ store: Store; observer: Observer }> {
    const store = await createStore(options);
    cleanups.push(() => store.stop());
    const observer = await startObserver(store, { port: 0 });
    cleanups.push(() => observer.close());
    return { store, observer };
  }

  const row = (bucket: string, more = '') => `tr[data-bucket="${bucket}"]${more}`;
  const shown = (page: Page, selector: string) => page.waitForSelector(selector, { timeout: shownWithinMs });
  const notReloaded = (page: Page) => page.evaluate('window.notReloaded === true');

  test('a bucket created through the API appears; crashes change its restart count, then fail it, live', async () => {
    const { store, observer } = await observed({ supervision: { maxRestarts: 2, withinMs: 60_000 } });
    const page = await open(observer);
    await store.create('shopping');
    await store.put('shopping', 'milk', '1');
    await shown(page, row('shopping', '[data-status="running"]'));
    await store.crashBucket('shopping', 'crashBucket from the test');
    await shown(page, row('shopping', '[data-status="restarting"] [data-restarts="1"]'));
    await store.crashBucket('shopping');
    await shown(page, row('shopping', ' [data-restarts="2"]'));
    await store.crashBucket('shopping', 'the last straw');
    await shown(page, row('shopping', '[data-status="failed"]'));
    expect(await page.textContent(row('shopping'))).toContain('the last straw');
    expect(await notReloaded(page)).toBe(true);
    await page.screenshot({ path: artifact('observer-1280x800.png') });
  });

  test('the crash button restarts a bucket and the revive button brings a failed one back', async () => {
    const { store, observer } = await observed({ supervision: { maxRestarts: 1, withinMs: 60_000 } });
    await store.create('shopping');
    await store.put('shopping', 'milk', '1');
    const page = await open(observer);
    await page.click(`${row('shopping')} [data-action="crash"]`);
    await shown(page, row('shopping', ' [data-restarts="1"]'));
    expect((await store.tree()).buckets[0]).toMatchObject({ restarts: 1, lastCrash: 'crashed from the observer' });
    await page.click(`${row('shopping')} [data-action="crash"]`);
    await shown(page, row('shopping', '[data-status="failed"]'));
    await page.click(`${row('shopping')} [data-action="revive"]`);
    await shown(page, `${row('shopping')} [data-action="crash"]`);
    expect(await store.get('shopping', 'milk')).toBe('1');
    expect(await notReloaded(page)).toBe(true);
  });

  test('a second node appears; a node that stops is shown unreachable', async () => {
    const nodes = await startNodes(['foo', 'bar']);
    cleanups.push(() => stopAll(nodes));
    const observer = await startObserver(nodes.get('foo')!, { port: 0, pollMs: 100 });
    cleanups.push(() => observer.close());
    await nodes.get('bar')!.create('n-bucket');
    const page = await open(observer);
    await shown(page, '[data-node-card="bar"][data-reachable="true"]');
    await shown(page, '[data-node-card="foo"] [data-link="bar"][data-state="up"]');
    await nodes.get('bar')!.stop();
    await shown(page, '[data-node-card="bar"][data-reachable="false"]');
    await shown(page, '[data-node-card="foo"] [data-link="bar"]:not([data-state="up"])');
    expect(await notReloaded(page)).toBe(true);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: artifact('observer-cluster-dark.png') });
  });

  test('10,000 buckets: counted, filtered by name, never drawn all at once; readable on a phone', async () => {
    const { store, observer } = await observed();
    await Promise.all(Array.from({ length: 10_000 }, (_, index) => store.create(`bucket-${String(index).padStart(5, '0')}`)));
    await store.crashBucket('bucket-04242');
    const page = await open(observer, { width: 390, height: 844 });
    await shown(page, '[data-count="running"]');
    expect(await page.textContent('[data-bucket-count]')).toBe('(10,000)');
    expect(await page.locator('tr[data-bucket]').count()).toBeLessThanOrEqual(200);
    // The troubled bucket comes first.
    expect(await page.getAttribute('tr[data-bucket]', 'data-bucket')).toBe('bucket-04242');
    await page.fill('[data-filter]', 'bucket-0999');
    // Polled from here: a string predicate polled inside the page is eval'd there, which the page's CSP forbids.
    await waitUntil(async () => (await page.locator('tr[data-bucket]').count()) === 10, shownWithinMs, 'the filter to leave 10 rows');
    expect(await page.textContent('[data-bucket-count]')).toBe('(10 of 10,000)');
    // The page itself never scrolls sideways on a phone (the table may, inside its frame).
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: artifact('observer-phone-10000.png') });
  });
});
