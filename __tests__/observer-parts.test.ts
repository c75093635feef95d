// The observer's pure parts, as tables: the event ring, SSE framing, the
// picture from a cluster tree, what changed between two pictures, who may
// press the buttons, the terminal tree, and the metrics' plain counters.

import type { ClusterTree } from '../lib/cluster/cluster';
import { histogramSamples, OperationCounts } from '../lib/core/metrics';
import type { BucketInfo } from '../lib/core/tree';
import { hostAllowed, refuseAction, type ActionRequest } from '../lib/server/observer/actions';
import { changesBetween } from '../lib/server/observer/changes';
import { EventRing } from '../lib/server/observer/event-ring';
import { observe, type Observed, type ObservedBucket } from '../lib/server/observer/observed';
import { sseComment, sseFrame, sseRetry } from '../lib/server/observer/sse';
import { treeTarget } from '../lib/cli/tree-command';
import { treeText } from '../lib/server/observer/tree-text';

describe('the event ring', () => {
  const ring = new EventRing(3, 'run1');
  for (const n of [1, 2, 3, 4, 5]) ring.push('bucket', { n });
  const ids = (events: ReturnType<EventRing['since']>) => events?.map((event) => event.id);

  test.each<[string, string, string[] | undefined]>([
    ['the newest id: nothing missed', 'run1.5', []],
    ['one behind', 'run1.4', ['run1.5']],
    ['the oldest held is the one just before what it returns', 'run1.2', ['run1.3', 'run1.4', 'run1.5']],
    ['older than what is held: start over', 'run1.1', undefined],
    ['from the future (another run that got further)', 'run1.6', undefined],
    ['from another run of the node', 'run0.4', undefined],
    ['not an id', 'garbage', undefined],
    ['an empty id', '', undefined],
  ])('%s', (_name, lastId, expected) => {
    expect(ids(ring.since(lastId))).toEqual(expected);
  });

  test('the last id names the newest event, or none yet', () => {
    expect(ring.lastId).toBe('run1.5');
    const fresh = new EventRing(2, 'r');
    expect(fresh.lastId).toBe('r.0');
    expect(fresh.since('r.0')).toEqual([]);
    expect(fresh.push('node', {})).toEqual({ id: 'r.1', event: 'node', data: {} });
  });
});

test.each<[string, string, string]>([
  ['an event', sseFrame('a.1', 'bucket', { name: 'x\ny' }), 'id: a.1\nevent: bucket\ndata: {"name":"x\\ny"}\n\n'],
  ['a comment with a line break in it stays one comment', sseComment('heart\r\nbeat'), ': heart beat\n\n'],
  ['the retry delay', sseRetry(1000), 'retry: 1000\n\n'],
])('SSE framing: %s', (_name, frame, expected) => {
  expect(frame).toBe(expected);
});

const info = (name: string, changes: Partial<BucketInfo> = {}): BucketInfo => ({ name, supervisor: 'buckets-0', status: 'running', restarts: 0, lastCrash: null, lastCrashAt: null, keys: 0, mailbox: 0, ...changes });
const nodeTree = (node: string, buckets: BucketInfo[]) => ({ node, reachable: true as const, storage: 'memory', registry: { status: 'running' as const }, supervisors: ['buckets-0'], buckets });

describe('the picture from a cluster tree', () => {
  const now = 1_000_000;
  const tree: ClusterTree = {
    nodes: [
      nodeTree('bar', [info('fresh'), info('crashed', { restarts: 2, lastCrash: 'boom', lastCrashAt: now - 1000 }), info('old', { restarts: 1, lastCrash: 'boom', lastCrashAt: now - 6000 }), info('dead', { status: 'failed', restarts: 3, lastCrashAt: now - 10 })]),
      { node: 'baz', reachable: false, reason: 'node baz unavailable' },
      { ...nodeTree('foo', [info('legacy', { lastCrashAt: undefined, mailbox: undefined } as never)]) },
    ],
  };
  const picture = observe('foo', tree, { address: null, peers: { bar: 'up', baz: 'down' } }, now, 5000);
  const status = (name: string) => picture.buckets.find((bucket) => bucket.name === name)?.status;

  test.each<[string, string, string]>([
    ['never crashed: running', 'fresh', 'running'],
    ['crashed within the window: restarting', 'crashed', 'restarting'],
    ['crashed before the window: running again', 'old', 'running'],
    ['failed stays failed, however recent', 'dead', 'failed'],
  ])('%s', (_name, bucket, expected) => {
    expect(status(bucket)).toBe(expected);
  });

  test('nodes: the unreachable one with its reason, links on this node only, and plain JSON', () => {
    expect(picture.nodes.map(({ node, self, reachable, reason, links }) => ({ node, self, reachable, reason, links }))).toEqual([
      { node: 'bar', self: false, reachable: true, reason: null, links: {} },
      { node: 'baz', self: false, reachable: false, reason: 'node baz unavailable', links: {} },
      { node: 'foo', self: true, reachable: true, reason: null, links: { bar: 'up', baz: 'down' } },
    ]);
    expect(picture.buckets.find((bucket) => bucket.name === 'legacy')).toMatchObject({ node: 'foo', lastCrashAt: null, mailbox: null });
    expect(JSON.parse(JSON.stringify(picture))).toEqual(picture);
  });
});

describe('what changed between two pictures', () => {
  const bucket = (name: string, changes: Partial<ObservedBucket> = {}): ObservedBucket => ({ node: 'foo', name, supervisor: 'buckets-0', status: 'running', restarts: 0, lastCrash: null, lastCrashAt: null, keys: 0, mailbox: 0, ...changes });
  const node = (name: string, reachable = true) => ({ node: name, self: name === 'foo', reachable, reason: reachable ? null : 'gone', storage: reachable ? 'memory' : null, supervisors: reachable ? ['buckets-0'] : [], links: {} });
  const picture = (buckets: ObservedBucket[], nodes = [node('foo')]): Observed => ({ self: 'foo', at: 0, nodes, buckets });
  const base = picture([bucket('a'), bucket('b')]);

  test.each<[string, Observed, Array<[string, unknown]>]>([
    ['nothing', picture([bucket('a'), bucket('b')]), []],
    ['keys and mailbox alone are no change', picture([bucket('a', { keys: 5, mailbox: 3 }), bucket('b')]), []],
    ['a new bucket', picture([bucket('a'), bucket('b'), bucket('c')]), [['bucket', 'c']]],
    ['a restart', picture([bucket('a', { restarts: 1, status: 'restarting', lastCrash: 'x', lastCrashAt: 1 }), bucket('b')]), [['bucket', 'a']]],
    ['a bucket gone', picture([bucket('b')]), [['bucketRemoved', 'a']]],
    ['a new node', picture([bucket('a'), bucket('b')], [node('foo'), node('bar')]), [['node', 'bar']]],
    ['a node gone unreachable: its buckets are not each reported', picture([], [node('foo', false)]), [['node', 'foo']]],
  ])('%s', (_name, after, expected) => {
    expect(changesBetween(base, after).map((change) => [change.event, 'name' in change.data ? change.data.name : change.data.node])).toEqual(expected);
  });
});

describe('who may press the crash and revive buttons', () => {
  const good = { host: '127.0.0.1:4041', 'x-actor-kv': '1', 'content-type': 'application/json' };
  const local = { password: undefined, isLocalAddress: (address: string) => address === '127.0.0.1' };
  const withPassword = { password: 'sesame', isLocalAddress: () => false };
  const ask = (headers: Record<string, string>, remote = '127.0.0.1', policy: Parameters<typeof refuseAction>[1] = local) => refuseAction({ headers, remote } as ActionRequest, policy)?.status;

  test.each<[string, Record<string, string>, string, Parameters<typeof refuseAction>[1], number | undefined]>([
    ['the page itself, from loopback', { ...good, origin: 'http://127.0.0.1:4041', 'sec-fetch-site': 'same-origin' }, '127.0.0.1', local, undefined],
    ['curl from loopback (no Origin, no Sec-Fetch-Site)', good, '127.0.0.1', local, undefined],
    ['a form post: no custom header', { host: good.host, 'content-type': 'application/x-www-form-urlencoded' }, '127.0.0.1', local, 403],
    ['the header but a form body', { ...good, 'content-type': 'text/plain' }, '127.0.0.1', local, 415],
    ['the browser says another site sent it', { ...good, 'sec-fetch-site': 'cross-site' }, '127.0.0.1', local, 403],
    ['the browser says a sibling site sent it', { ...good, 'sec-fetch-site': 'same-site' }, '127.0.0.1', local, 403],
    ['an Origin that is not this host', { ...good, origin: 'http://evil.example' }, '127.0.0.1', local, 403],
    ['an Origin of "null" (a sandboxed page)', { ...good, origin: 'null' }, '127.0.0.1', local, 403],
    ['beyond loopback without a password', good, '10.0.0.7', local, 403],
    ['beyond loopback with the password', { ...good, authorization: 'Bearer sesame' }, '10.0.0.7', withPassword, undefined],
    ['a wrong password', { ...good, authorization: 'Bearer sesamE' }, '10.0.0.7', withPassword, 401],
    ['no password where one is set, even from loopback', good, '127.0.0.1', withPassword, 401],
    ['from loopback without a password, but by a rebound DNS name', { ...good, host: 'evil.example:4041', origin: 'http://evil.example:4041', 'sec-fetch-site': 'same-origin' }, '127.0.0.1', local, 403],
  ])('%s', (_name, headers, remote, policy, expected) => {
    expect(ask(headers, remote, policy)).toBe(expected);
  });

  test.each<[string | undefined, boolean, boolean]>([
    ['127.0.0.1:4041', true, true],
    ['localhost:4041', true, true],
    ['[::1]:4041', true, true],
    ['127.0.0.1', true, true],
    ['evil.example:4041', true, false],
    ['127.0.0.1.evil.example', true, false],
    [undefined, true, false],
    ['kv.internal:4041', false, true],
  ])('Host %s, bound to loopback %s: %s', (host, boundLoopback, expected) => {
    expect(hostAllowed(host, boundLoopback)).toBe(expected);
  });
});

describe('actor-kv tree', () => {
  test.each<[string, string[], Record<string, string>, unknown]>([
    ['a URL', ['--observer', 'http://127.0.0.1:4041'], {}, { url: 'http://127.0.0.1:4041/api/tree' }],
    ['a URL with a path', ['--observer', 'http://proxy/kv/'], {}, { url: 'http://proxy/kv/api/tree' }],
    ['the port from the environment', [], { ACTOR_KV_OBSERVER_PORT: '4041' }, { url: 'http://127.0.0.1:4041/api/tree' }],
    ['nothing: the text server on its default address', [], {}, { host: '127.0.0.1', port: 4040 }],
    ['the text server', ['--host', '::1', '--port', '4041'], { ACTOR_KV_OBSERVER_PORT: '4042' }, { host: '::1', port: 4041 }],
    ['the text server from the environment, with its password', [], { ACTOR_KV_HOST: '10.0.0.2', ACTOR_KV_PORT: '4050', ACTOR_KV_PASSWORD: 'pw' }, { host: '10.0.0.2', port: 4050, password: 'pw' }],
    ['the text server over TLS, trusting the system', ['--tls'], {}, { host: '127.0.0.1', port: 4040, tls: {} }],
    ['the text server over TLS, trusting a CA (which implies --tls)', ['--tls-ca', 'ca.pem', '--port', '4041'], { ACTOR_KV_OBSERVER_PORT: '4042' }, { host: '127.0.0.1', port: 4041, tls: { caFile: 'ca.pem' } }],
    ['a bad port', ['--port', '70000'], {}, { error: '--port: "70000" is not a port from 1 to 65535' }],
    ['a bad port over TLS', ['--port', '0', '--tls'], {}, { error: '--port: "0" is not a port from 1 to 65535' }],
    ['both ways', ['--observer', 'http://h:1', '--port', '4040'], {}, { error: expect.stringContaining('--observer and --host/--port/--tls exclude each other') }],
    ['the observer over TLS', ['--observer', 'http://h:1', '--tls'], {}, { error: expect.stringContaining('--observer and --host/--port/--tls exclude each other') }],
    ['not a URL', ['--observer', '4041'], {}, { error: '--observer: "4041" is not a URL; expected http://host:port' }],
    ['https', ['--observer', 'https://h'], {}, { error: '--observer: "https://h" is not an http:// URL' }],
    ['an unknown flag', ['--bogus', '1'], {}, { error: expect.stringMatching(/^tree: Unknown option '--bogus'/) }],
    ['help', ['--help'], {}, { help: true }],
  ])('%s', (_name, argv, env, expected) => {
    expect(treeTarget(argv, env)).toEqual(expected);
  });

  test('the text: node, registry, supervisors with buckets, and unreachable nodes', () => {
    const picture = observe('foo', {
      nodes: [
        { node: 'bar', reachable: false, reason: 'node bar unavailable' },
        { ...nodeTree('foo', [info('a'), info('b', { status: 'failed', restarts: 3, lastCrash: 'boom', lastCrashAt: Date.UTC(2026, 0, 1) })]), supervisors: ['buckets-0', 'buckets-1'] },
      ],
    }, { address: null, peers: { bar: 'down' } }, Date.UTC(2026, 0, 1, 1), 5000);
    expect(treeText(picture)).toBe([
      'node bar: unreachable: node bar unavailable',
      'node foo (this node, memory), links: bar down',
      '└─ registry: 2 bucket supervisors, 2 buckets',
      '   └─ buckets-0',
      '      ├─ a [running] restarts 0, keys 0',
      '      └─ b [failed] restarts 3, keys 0, last crash: boom at 2026-01-01T00:00:00.000Z',
      '',
    ].join('\n'));
  });
});

test('operation counts: by verb and result, and a cumulative latency histogram', () => {
  const counts = new OperationCounts();
  counts.record('get', undefined, 0.05);
  counts.record('get', undefined, 3);
  counts.record('get', 'NOT_FOUND', 0.2);
  counts.record('put', undefined, 10_000);
  expect(counts.rows()).toEqual([
    { verb: 'get', result: 'ok', count: 2 },
    { verb: 'get', result: 'NOT_FOUND', count: 1 },
    { verb: 'put', result: 'ok', count: 1 },
  ]);
  const samples = histogramSamples('h', counts);
  const bucket = (le: number | string) => samples.find((sample) => sample.metricName === 'h_bucket' && sample.labels?.le === le)?.value;
  expect([bucket(0.0001), bucket(0.00025), bucket(0.0025), bucket(0.005), bucket(5), bucket('+Inf')]).toEqual([1, 2, 2, 3, 3, 4]);
  expect(samples.find((sample) => sample.metricName === 'h_count')?.value).toBe(4);
  expect(samples.find((sample) => sample.metricName === 'h_sum')?.value).toBeCloseTo(10.00325, 6);
});
