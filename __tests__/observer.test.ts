// The observer over real HTTP on 127.0.0.1: the tree as JSON, its changes as
// Server-Sent Events (resumable), the health check, Prometheus metrics, and
// the crash and revive buttons with their guards against other sites and hosts.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createStore, startObserver, startServer, type Observer, type ObserverOptions, type Store, type StoreOptions } from '../lib';
import { SseSubscriber } from '../lib/server/observer/sse';
import { startNodes, stopAll } from './support/cluster-nodes';
import { waitUntil } from './support/deadlines';
import { actionHeaders, EventStream, parsePrometheus, press, request, sampleValue } from './support/observer-client';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function observed(storeOptions: StoreOptions = {}, options: ObserverOptions = {}): Promise<{ store: Store; observer: Observer }> {
  const store = await createStore(storeOptions);
  cleanups.push(() => store.stop());
  const observer = await startObserver(store, { port: 0, ...options });
  cleanups.push(() => observer.close());
  return { store, observer };
}

async function tree(observer: Observer) {
  const response = await request(`${observer.url}api/tree`);
  expect(response.status).toBe(200);
  return JSON.parse(response.body) as { self: string; lastEventId: string; nodes: Array<{ node: string; reachable: boolean; links: Record<string, string> }>; buckets: Array<{ name: string; node: string; status: string; restarts: number; lastCrash: string | null; keys: number; mailbox: number }> };
}

async function stream(observer: Observer): Promise<EventStream> {
  const { lastEventId } = await tree(observer);
  const events = await EventStream.open(`${observer.url}events?after=${lastEventId}`);
  cleanups.push(() => events.close());
  return events;
}

const bucketEvent = (name: string, check: (data: Record<string, unknown>) => boolean = () => true) => (event: { event: string; data: unknown }) =>
  event.event === 'bucket' && (event.data as { name: string }).name === name && check(event.data as Record<string, unknown>);

test('/api/tree has every bucket with its status, restarts, last crash, keys and mailbox', async () => {
  const { store, observer } = await observed();
  await store.create('shopping');
  await store.put('shopping', 'milk', '1');
  await store.create('apples');
  await store.crashBucket('apples', 'test crash');
  const picture = await tree(observer);
  expect(picture.self).toBe('local');
  expect(picture.nodes).toEqual([expect.objectContaining({ node: 'local', self: true, reachable: true, storage: 'memory' })]);
  expect(picture.buckets).toEqual([
    expect.objectContaining({ node: 'local', name: 'apples', status: 'restarting', restarts: 1, lastCrash: 'test crash', lastCrashAt: expect.any(Number), keys: 0, mailbox: 0 }),
    expect.objectContaining({ node: 'local', name: 'shopping', status: 'running', restarts: 0, lastCrash: null, keys: 1, mailbox: 0 }),
  ]);
});

test('/events: a created bucket, each restart, a crash loop that fails it, and its revival, as they happen', async () => {
  const { store, observer } = await observed({ supervision: { maxRestarts: 2, withinMs: 60_000 } });
  const events = await stream(observer);
  await store.create('shopping');
  await events.next(bucketEvent('shopping', (data) => data.status === 'running'), 'the new bucket');
  await store.crashBucket('shopping', 'first');
  await events.next(bucketEvent('shopping', (data) => data.restarts === 1 && data.status === 'restarting' && data.lastCrash === 'first'), 'the first restart');
  await store.crashBucket('shopping');
  await store.crashBucket('shopping', 'one too many');
  await events.next(bucketEvent('shopping', (data) => data.status === 'failed' && data.lastCrash === 'one too many'), 'the bucket failed');
  await store.create('shopping');
  await events.next(bucketEvent('shopping', (data) => data.status !== 'failed' && events.events.some(bucketEvent('shopping', (old) => old.status === 'failed'))), 'the bucket revived');
  const ids = events.events.map((event) => Number(event.id!.split('.')[1]));
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
});

test('/events opened straight away, without reading /api/tree first, still reports the next change', async () => {
  const { store, observer } = await observed();
  const events = await EventStream.open(`${observer.url}events`);
  cleanups.push(() => events.close());
  await store.create('shopping');
  await events.next(bucketEvent('shopping'), 'the new bucket');
});

test('a client that comes back with Last-Event-ID gets what it missed; one too far behind is told to reset', async () => {
  const { store, observer } = await observed({}, { eventBuffer: 2 });
  const { lastEventId } = await tree(observer);
  await store.create('a');
  await tree(observer); // a redraw: the change is an event now
  const back = await EventStream.open(`${observer.url}events`, { 'last-event-id': lastEventId });
  cleanups.push(() => back.close());
  expect((await back.next(bucketEvent('a'), 'the missed event')).id).not.toBe(lastEventId);
  await store.create('b');
  await store.create('c');
  await tree(observer);
  await store.create('d');
  await tree(observer);
  const late = await EventStream.open(`${observer.url}events`, { 'last-event-id': lastEventId });
  cleanups.push(() => late.close());
  await late.next((event) => event.event === 'reset', 'a reset');
});

test('a stream client that does not read is dropped once it holds too many unsent bytes', () => {
  const writes: string[] = [];
  let destroyed = false;
  const response = { writableLength: 0, destroyed: false, writableEnded: false, write: (text: string) => writes.push(text), destroy: () => (destroyed = true) };
  const subscriber = new SseSubscriber(response as never, 100);
  subscriber.send('a');
  response.writableLength = 100;
  subscriber.send('b');
  expect([writes, destroyed]).toEqual([['a', 'b'], false]);
  response.writableLength = 101;
  subscriber.send('c');
  expect([writes, destroyed]).toEqual([['a', 'b'], true]);
});

test('/healthz: 503 while the store starts, 200 while it serves, 503 once it stops', async () => {
  let provide!: (store: Store) => void;
  const observer = await startObserver(new Promise<Store>((resolve) => (provide = resolve)), { port: 0 });
  cleanups.push(() => observer.close());
  expect(await request(`${observer.url}healthz`)).toMatchObject({ status: 503, body: '{"status":"starting"}' });
  expect((await request(`${observer.url}api/tree`)).status).toBe(503);
  const store = await createStore();
  cleanups.push(() => store.stop());
  provide(store);
  await waitUntil(async () => (await request(`${observer.url}healthz`)).status === 200, undefined, '/healthz to say 200');
  const stopping = store.stop();
  expect(await request(`${observer.url}healthz`)).toMatchObject({ status: 503, body: '{"status":"stopping"}' });
  await stopping;
  expect(await request(`${observer.url}api/tree`)).toMatchObject({ status: 503, body: expect.stringContaining('STOPPED') });
});

test('/metrics is Prometheus text, and its counters move with traffic', async () => {
  const metrics = new Registry();
  const { store, observer } = await observed({ metrics }, { metrics });
  const server = await startServer(store, { port: 0, metrics });
  cleanups.push(() => server.close());
  const scrape = async () => {
    const response = await request(`${observer.url}metrics`);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(response.body).samples;
  };
  const before = await scrape();
  expect(sampleValue(before, 'actor_kv_commands_total', { verb: 'put' })).toBeUndefined();
  await store.create('shopping');
  for (let i = 0; i < 5; i++) await store.put('shopping', `k${i}`, 'v');
  await expect(store.get('nothing', 'x')).rejects.toThrow();
  await store.crashBucket('shopping');
  const client = net.connect(server.port, '127.0.0.1');
  cleanups.push(() => client.destroy());
  await waitUntil(() => server.connections === 1);
  const after = await scrape();
  expect(sampleValue(after, 'actor_kv_commands_total', { verb: 'put', result: 'ok' })).toBe(5);
  expect(sampleValue(after, 'actor_kv_commands_total', { verb: 'create', result: 'ok' })).toBe(1);
  expect(sampleValue(after, 'actor_kv_commands_total', { verb: 'get', result: 'NOT_FOUND' })).toBe(1);
  expect(sampleValue(after, 'actor_kv_command_duration_seconds_count')).toBe(8);
  expect(sampleValue(after, 'actor_kv_command_duration_seconds_bucket', { le: '+Inf' })).toBe(8);
  expect(sampleValue(after, 'actor_kv_buckets', { status: 'running' })).toBe(1);
  expect(sampleValue(after, 'actor_kv_bucket_restarts_total')).toBe(1);
  expect(sampleValue(after, 'actor_kv_connections', { protocol: 'text' })).toBe(1);
  expect(sampleValue(after, 'actor_kv_connections', { protocol: 'observer' })).toBe(0);
});

test('/metrics: with file storage, the time batches wait for their flush, and the bytes they stored', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actor-kv-observer-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const metrics = new Registry();
  const { store, observer } = await observed({ metrics, storage: { type: 'file', dir, fsync: 'always' } }, { metrics });
  await store.create('shopping');
  await Promise.all([store.put('shopping', 'milk', '1'), store.put('shopping', 'eggs', '6')]);
  await store.put('shopping', 'tea', '2');
  const { samples, types } = parsePrometheus((await request(`${observer.url}metrics`)).body);
  expect(types.get('actor_kv_storage_flush_seconds')).toBe('histogram');
  // Two batches (the first two puts travel together): two flushes waited for.
  expect(sampleValue(samples, 'actor_kv_storage_flush_seconds_count')).toBe(2);
  expect(sampleValue(samples, 'actor_kv_storage_flush_seconds_bucket', { le: '+Inf' })).toBe(2);
  expect(types.get('actor_kv_storage_flush_bytes_total')).toBe('counter');
  expect(sampleValue(samples, 'actor_kv_storage_flush_bytes_total')).toBe('milk1eggs6tea2'.length);
});

test('a registry serves one store: a second gets a clear error; an observer without one answers 404 at /metrics', async () => {
  const metrics = new Registry();
  const { observer } = await observed({ metrics });
  await expect(createStore({ metrics })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('already has a metric actor_kv_commands_total') });
  expect((await request(`${observer.url}metrics`)).status).toBe(404);
});

describe('the crash and revive buttons', () => {
  test('crash restarts the bucket; revive brings back a failed one, with its data', async () => {
    const { store, observer } = await observed({ supervision: { maxRestarts: 1, withinMs: 60_000 } });
    await store.create('shopping');
    await store.put('shopping', 'milk', '1');
    expect(await press(observer.url, 'crash', { bucket: 'shopping', node: 'local' })).toMatchObject({ status: 200 });
    expect((await store.tree()).buckets[0]).toMatchObject({ restarts: 1, lastCrash: 'crashed from the observer' });
    expect((await press(observer.url, 'crash', { bucket: 'shopping' })).status).toBe(200);
    expect((await store.tree()).buckets[0]!.status).toBe('failed');
    expect((await press(observer.url, 'revive', { bucket: 'shopping' })).status).toBe(200);
    expect(await store.get('shopping', 'milk')).toBe('1');
  });

  test('bad requests: no such bucket, no bucket named, not JSON, an unknown page', async () => {
    const { observer } = await observed();
    expect(await press(observer.url, 'crash', { bucket: 'nothing' })).toMatchObject({ status: 404, body: expect.stringContaining('NOT_FOUND') });
    expect((await press(observer.url, 'crash', {})).status).toBe(400);
    expect((await request(`${observer.url}api/crash`, { method: 'POST', headers: actionHeaders, body: '{' })).status).toBe(400);
    expect((await request(`${observer.url}api/nothing`)).status).toBe(404);
  });

  test('refused from beyond loopback without a password; allowed with it', async () => {
    const notLocal = () => false;
    const { store, observer } = await observed({}, { isLocalAddress: notLocal });
    await store.create('shopping');
    expect(await press(observer.url, 'crash', { bucket: 'shopping' })).toMatchObject({ status: 403, body: expect.stringContaining('loopback only') });
    const guarded = await startObserver(store, { port: 0, isLocalAddress: notLocal, password: 'sesame' });
    cleanups.push(() => guarded.close());
    expect((await press(guarded.url, 'crash', { bucket: 'shopping' })).status).toBe(401);
    expect((await press(guarded.url, 'crash', { bucket: 'shopping' }, { ...actionHeaders, authorization: 'Bearer sesame' })).status).toBe(200);
    expect((await store.tree()).buckets[0]!.restarts).toBe(1);
  });

  test('bound beyond loopback without a password: a DNS name rebound to 127.0.0.1 cannot press them through a browser on this machine', async () => {
    const { store, observer } = await observed({}, { host: '0.0.0.0' });
    await store.create('shopping');
    // What the victim's browser sends once evil.example resolves to 127.0.0.1: a same-origin request, from loopback.
    const rebound = { ...actionHeaders, host: `evil.example:${observer.port}`, origin: `http://evil.example:${observer.port}`, 'sec-fetch-site': 'same-origin' };
    expect((await press(`http://127.0.0.1:${observer.port}/`, 'crash', { bucket: 'shopping' }, rebound)).status).toBe(403);
    expect((await store.tree()).buckets[0]!.restarts).toBe(0);
    expect((await press(`http://127.0.0.1:${observer.port}/`, 'crash', { bucket: 'shopping' })).status).toBe(200);
  });

  test('refused when another site sends it: a form post, a foreign Origin, a rebound DNS name', async () => {
    const { store, observer } = await observed();
    await store.create('shopping');
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' };
    expect((await request(`${observer.url}api/crash`, { method: 'POST', headers: form, body: 'bucket=shopping' })).status).toBe(403);
    expect((await press(observer.url, 'crash', { bucket: 'shopping' }, { ...actionHeaders, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await press(observer.url, 'crash', { bucket: 'shopping' }, { ...actionHeaders, host: `evil.example:${observer.port}` })).status).toBe(421);
    expect((await request(`${observer.url}api/tree`, { headers: { host: 'evil.example' } })).status).toBe(421);
    expect((await store.tree()).buckets[0]!.restarts).toBe(0);
  });
});

test('a cluster: every node appears, and a peer that stops is shown unreachable, in the page and the metrics', async () => {
  const metrics = new Registry();
  const nodes = await startNodes(['foo', 'bar'], (name) => (name === 'foo' ? { metrics } : {}));
  cleanups.push(() => stopAll(nodes));
  const foo = nodes.get('foo')!;
  const observer = await startObserver(foo, { port: 0, pollMs: 50, metrics });
  cleanups.push(() => observer.close());
  const scrape = async () => parsePrometheus((await request(`${observer.url}metrics`)).body).samples;
  const linked = await scrape();
  expect(sampleValue(linked, 'actor_kv_peer_up', { peer: 'bar' })).toBe(1);
  expect(sampleValue(linked, 'actor_kv_peer_rtt_seconds', { peer: 'bar' })).toBeGreaterThan(0);
  const picture = await tree(observer);
  expect(picture.nodes.map((node) => [node.node, node.reachable])).toEqual([['bar', true], ['foo', true]]);
  expect(picture.nodes.find((node) => node.node === 'foo')!.links).toEqual({ bar: 'up' });
  const events = await stream(observer);
  await nodes.get('bar')!.stop();
  await events.next((event) => event.event === 'node' && (event.data as { node: string }).node === 'bar' && !(event.data as { reachable: boolean }).reachable, 'bar unreachable');
  await events.next((event) => event.event === 'node' && (event.data as { node: string; links: Record<string, string> }).node === 'foo' && (event.data as { links: Record<string, string> }).links.bar !== 'up', "foo's link to bar down");
  const cut = await scrape();
  expect(sampleValue(cut, 'actor_kv_peer_up', { peer: 'bar' })).toBe(0);
  expect(sampleValue(cut, 'actor_kv_peer_rtt_seconds', { peer: 'bar' })).toBeUndefined();
});
