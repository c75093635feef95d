// The pure pieces of the cluster transport: frames, the handshake's proofs and
// messages, the envelope, backoff and the cluster options.

import { backoffDelay } from '../lib/cluster/backoff';
import { encodeFrame, FrameDecoder, FrameTooLarge } from '../lib/cluster/frame';
import * as hs from '../lib/cluster/handshake';
import { parseAddress, resolveClusterOptions } from '../lib/cluster/options';
import { encodeEnvelope, encodeRequest, frameRequest, parseEnvelope, requestProblem, splitBatch } from '../lib/cluster/protocol';
import { encodeReply } from '../lib/cluster/reply';
import { serveRequest } from '../lib/cluster/serve';
import type { Outcome } from '../lib/core/operations';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('frames', () => {
  const frames = [bytes('hello'), bytes(''), bytes('x'.repeat(300)), Buffer.from([0, 255, 10, 13])];
  const stream = Buffer.concat(frames.map(encodeFrame));

  test.each([1, 2, 3, 4, 5, 7, 64, stream.length])('survive any chunking (chunks of %i bytes)', (size) => {
    const decoder = new FrameDecoder(1024);
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length; at += size) out.push(...decoder.pushAll(stream.subarray(at, at + size)));
    expect(out.map(String)).toEqual(frames.map(String));
    expect(decoder.pending).toBe(0);
  });

  test.each([
    ['a 4 GiB claim', 0xffffffff],
    ['one byte over', 1025],
  ])('%s is refused from the header alone, before the body arrives', (_name, length) => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(length, 0);
    const decoder = new FrameDecoder(1024);
    expect(() => decoder.pushAll(header)).toThrow(FrameTooLarge);
    expect(decoder.pending).toBe(0);
  });

  test('a frame of exactly the maximum passes', () => {
    expect(new FrameDecoder(8).pushAll(encodeFrame(Buffer.alloc(8)))).toHaveLength(1);
  });

  test('the maximum may be raised between frames of one chunk', () => {
    const decoder = new FrameDecoder(4);
    const seen: number[] = [];
    decoder.push(Buffer.concat([encodeFrame(bytes('ok')), encodeFrame(Buffer.alloc(100))]), (body) => {
      seen.push(body.length);
      decoder.maxBody = 1000;
    });
    expect(seen).toEqual([2, 100]);
  });
});

describe('handshake proofs', () => {
  const transcript: hs.HandshakeTranscript = { dialer: 'foo', acceptor: 'bar', dialerNonce: Buffer.alloc(32, 1), acceptorNonce: Buffer.alloc(32, 2) };
  const proof = hs.proof('s3cret', 'dialer', transcript);

  test('are HMAC-SHA256: 32 bytes, the same for the same inputs', () => {
    expect(proof).toHaveLength(32);
    expect(hs.proof('s3cret', 'dialer', transcript).equals(proof)).toBe(true);
  });

  test.each([
    ['another secret', () => hs.proof('s3creT', 'dialer', transcript)],
    ['the other role', () => hs.proof('s3cret', 'acceptor', transcript)],
    ['swapped names', () => hs.proof('s3cret', 'dialer', { ...transcript, dialer: 'bar', acceptor: 'foo' })],
    ['names split elsewhere', () => hs.proof('s3cret', 'dialer', { ...transcript, dialer: 'foob', acceptor: 'ar' })],
    ['another dialer nonce', () => hs.proof('s3cret', 'dialer', { ...transcript, dialerNonce: Buffer.alloc(32, 3) })],
    ['another acceptor nonce', () => hs.proof('s3cret', 'dialer', { ...transcript, acceptorNonce: Buffer.alloc(32, 3) })],
  ])('differ with %s', (_name, other) => {
    expect(hs.proofMatches(proof, other())).toBe(false);
  });

  test('a proof of the wrong length is refused without throwing', () => {
    expect(hs.proofMatches(proof, proof.subarray(0, 31))).toBe(false);
    expect(hs.proofMatches(proof, Buffer.alloc(0))).toBe(false);
    expect(hs.proofMatches(proof, Buffer.from(proof))).toBe(true);
  });

  test('nonces are 32 random bytes', () => {
    expect(hs.newNonce()).toHaveLength(32);
    expect(hs.newNonce().equals(hs.newNonce())).toBe(false);
  });
});

describe('handshake messages', () => {
  const nonce = Buffer.alloc(32, 7);
  const hello = hs.encodeMessage({ name: 'foo', nonce });

  test('round-trip and fit the 512-byte handshake budget with the longest name', () => {
    expect(hs.parseHello(hello)).toEqual({ name: 'foo', nonce });
    const longest = hs.encodeMessage({ name: 'n'.repeat(hs.maxNodeNameLength), nonce });
    expect(hs.parseChallenge(longest)?.name).toHaveLength(64);
    expect(longest.length + hs.encodeMessage({ verdict: 'duplicate', proof: Buffer.alloc(32) }).length + 8).toBeLessThan(hs.handshakeByteLimit);
    expect(hello.length + hs.encodeMessage({ proof: Buffer.alloc(32) }).length + 8).toBeLessThan(hs.handshakeByteLimit);
  });

  test.each([
    ['not JSON', bytes('\x00\xff garbage')],
    ['an array', bytes('[1,2]')],
    ['a short nonce', hs.encodeMessage({ name: 'foo', nonce: Buffer.alloc(31) })],
    ['an upper-case hex nonce', bytes(JSON.stringify({ name: 'foo', nonce: 'AB'.repeat(32) }))],
    ['a name with a space', hs.encodeMessage({ name: 'f o', nonce })],
    ['a name too long', hs.encodeMessage({ name: 'n'.repeat(65), nonce })],
    ['a missing name', hs.encodeMessage({ nonce })],
  ])('a hello that is %s is refused', (_name, body) => {
    expect(hs.parseHello(body)).toBeNull();
  });

  test('verdicts are ok or duplicate, nothing else, and always carry the acceptor proof', () => {
    const proof = Buffer.alloc(32, 9);
    expect(hs.parseVerdict(hs.encodeMessage({ verdict: 'ok', proof }))).toEqual({ verdict: 'ok', proof });
    expect(hs.parseVerdict(hs.encodeMessage({ verdict: 'duplicate', proof }))).toEqual({ verdict: 'duplicate', proof });
    expect(hs.parseVerdict(hs.encodeMessage({ verdict: 'yes', proof }))).toBeNull();
    expect(hs.parseVerdict(hs.encodeMessage({ verdict: 'ok' }))).toBeNull();
    expect(hs.parseVerdict(hs.encodeMessage({ verdict: 'ok', proof: Buffer.alloc(31) }))).toBeNull();
  });
});

describe('envelopes', () => {
  test.each([
    [{ i: 1, q: { kind: 'buckets' } }],
    [{ i: 2, q: { kind: 'batch', bucket: 'b', ops: [{ kind: 'put', key: 'k', value: 'v' }] } }],
    [{ i: 3, r: { ok: true, value: 'v' } }],
    [{ i: 4, r: { ok: false, error: { code: 'NOT_FOUND', message: 'bucket b does not exist' } } }],
  ] as const)('round-trip %j', (envelope) => {
    expect(parseEnvelope(encodeEnvelope(envelope as never))).toEqual(envelope);
  });

  test.each([[''], ['nope'], ['null'], ['{"i":"1","q":{}}'], ['{"i":1.5,"q":{}}'], ['{"i":1}'], ['{"i":1,"q":[]}']])('%j is a bad frame', (text) => {
    expect(parseEnvelope(bytes(text))).toBeNull();
  });

  test.each([
    [{ kind: 'tree' }, null],
    [{ kind: 'create', bucket: 'b' }, null],
    [{ kind: 'create' }, 'bucket must be a string'],
    [{ kind: 'batch', bucket: 'b', ops: [{ kind: 'get', key: 'k' }] }, null],
    [{ kind: 'batch', bucket: 'b', ops: [{ kind: 'put', key: 'k' }] }, 'ops must be bucket operations'],
    [{ kind: 'batch', bucket: 'b', ops: [{ kind: 'eval', key: 'k' }] }, 'ops must be bucket operations'],
    [{ kind: 'batch', bucket: 'b', ops: [{ kind: 'toString' }] }, 'ops must be bucket operations'],
    [{ kind: 'drop', bucket: 'b' }, null],
    [{ kind: 'drop' }, 'bucket must be a string'],
    [{ kind: 'batch', bucket: 'b', ops: [{ kind: 'keys', cursor: 0, count: 10, match: 'a*' }, { kind: 'putMany', entries: [['k', 'v']] }] }, null],
    [{ kind: 'batch', bucket: 'b', ops: [{ kind: 'keys', cursor: -1, count: 10 }] }, 'ops must be bucket operations'],
    [{ kind: 'batch', bucket: 'b', ops: [{ kind: 'putMany', entries: [['k']] }] }, 'ops must be bucket operations'],
    [{ kind: 'flush' }, 'unknown request kind "flush"'],
  ])('request %j: %s', (request, problem) => {
    expect(requestProblem(request)).toBe(problem);
  });
});

describe('replies over the frame limit', () => {
  // What JSON.stringify does past V8's longest string, without building 512 MiB.
  const unencodable = { toJSON: () => { throw new RangeError('Invalid string length'); } };

  test('a reply that cannot be encoded at all becomes an error reply naming the option, never a throw', () => {
    const body = encodeReply(7, { ok: true, value: unencodable }, false, 1024);
    expect(JSON.parse(String(body))).toEqual({ i: 7, r: { ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('cluster.maxFrameBytes') } } });
  });

  test('a batch keeps the outcomes that fit and marks the largest as left out', () => {
    const outcomes: Outcome<unknown>[] = [{ ok: true, value: undefined }, { ok: true, value: 'a'.repeat(600) }, { ok: true, value: unencodable }, { ok: true, value: 'b'.repeat(300) }];
    const body = encodeReply(8, { ok: true, value: outcomes }, true, 1024);
    expect(body.length).toBeLessThanOrEqual(1024);
    const value = JSON.parse(String(body)).r.value as Array<Record<string, unknown>>;
    expect(value[0]).toEqual({ ok: true });
    expect(value[1]).toEqual({ ok: false, error: expect.objectContaining({ tooLarge: true, message: expect.stringContaining('cluster.maxFrameBytes') }) });
    expect(value[2]).toEqual({ ok: false, error: expect.objectContaining({ tooLarge: true }) });
    expect(value[3]).toEqual({ ok: true, value: 'b'.repeat(300) });
  });

  test('a batch is split into consecutive parts that each fit, in order, each encoded once', () => {
    const ops = Array.from({ length: 37 }, (_, index) => ({ kind: 'put' as const, key: `k${index}`, value: 'v'.repeat(100) }));
    const parts = splitBatch('b', ops, 1024);
    expect(parts.flatMap((part) => part.ops)).toEqual(ops);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      const envelope = { i: Number.MAX_SAFE_INTEGER, q: { kind: 'batch', bucket: 'b', ops: part.ops } } as const;
      expect(encodeEnvelope(envelope).length).toBeLessThanOrEqual(1024);
      expect(part.request!.bytes).toBe(encodeEnvelope(envelope).length);
      expect(frameRequest(Number.MAX_SAFE_INTEGER, part.request!)).toEqual(encodeEnvelope(envelope));
    }
    expect(splitBatch('b', [{ kind: 'put', key: 'k', value: 'v'.repeat(2000) }], 1024)).toHaveLength(1);
  });

  test('a request framed with its id is what the peer parses, for ids short and long', () => {
    const request = { kind: 'create', bucket: 'shopping ✓' } as const;
    for (const id of [1, 42, Number.MAX_SAFE_INTEGER]) expect(parseEnvelope(frameRequest(id, encodeRequest(request)!))).toEqual({ i: id, q: request });
  });
});

describe('requests served for a peer', () => {
  const created: string[] = [];
  const local = { create: async (bucket: string) => void created.push(bucket), submit: () => {}, submitBatch: () => {}, exists: () => true, buckets: () => [], tree: () => ({ node: 'bar', buckets: [] }) } as never;

  test.each([['a b'], [''], ['tab\there']])('a bad bucket name %j is BAD_REQUEST and creates nothing', async (bucket) => {
    const outcome = await serveRequest('bar', () => ['bar'], local, undefined, { kind: 'create', bucket });
    expect(outcome).toEqual({ ok: false, error: expect.objectContaining({ code: 'BAD_REQUEST' }) });
    expect(created).toEqual([]);
  });
});

describe('reconnect backoff', () => {
  const options = { initialMs: 100, maxMs: 2000 };
  test.each([
    [0, 0, 50],
    [0, 0.999999, 100],
    [1, 0, 100],
    [3, 0.5, 600],
    [4, 0, 800],
    [5, 0.999999, 2000],
    [50, 0, 1000],
  ])('attempt %i with random %d waits %i ms', (attempt, random, delay) => {
    expect(backoffDelay(attempt, options, () => random)).toBe(delay);
  });
});

describe('cluster options', () => {
  const secret = 'sixteen bytes ok';
  test('fill in defaults', () => {
    const resolved = resolveClusterOptions('foo', { secret, listen: 0, peers: { bar: '127.0.0.1:5041', baz: null }, routes: ['a-m=foo', 'n-z=bar'] });
    expect(resolved).toMatchObject({
      listen: { host: '127.0.0.1', port: 0 },
      requestTimeoutMs: 2000,
      handshakeTimeoutMs: 2000,
      reconnect: { initialMs: 100, maxMs: 2000 },
      replicas: 1,
      routes: [
        { from: 0x61, to: 0x6d, nodes: ['foo'] },
        { from: 0x6e, to: 0x7a, nodes: ['bar'] },
      ],
    });
    expect([...resolved.peers]).toEqual([
      ['bar', { host: '127.0.0.1', port: 5041 }],
      ['baz', null],
    ]);
  });

  test.each([
    ['no secret', 'foo', { secret: '' }, 'cluster.secret'],
    ['a secret of 15 bytes', 'foo', { secret: 'fifteen bytes!!' }, 'option `cluster.secret` (--secret) must be at least 16 bytes, got 15'],
    ['a route object with a byte over 255', 'foo', { secret: 'x'.repeat(16), routes: [{ from: 0, to: 256, node: 'foo' }] }, 'cluster.routes'],
    ['a route object ending before it starts', 'foo', { secret: 'x'.repeat(16), routes: [{ from: 9, to: 3, node: 'foo' }] }, 'cluster.routes'],
    ['a route object with a fractional byte', 'foo', { secret: 'x'.repeat(16), routes: [{ from: 1.5, to: 3, node: 'foo' }] }, 'cluster.routes'],
    ['a route object that is null', 'foo', { secret: 'x'.repeat(16), routes: [null] }, 'cluster.routes'],
    ['a route object listing a node twice', 'foo', { secret: 'x'.repeat(16), peers: { bar: null }, routes: [{ from: 0, to: 9, nodes: ['foo', 'foo'] }] }, 'cluster.routes'],
    ['more replicas than nodes', 'foo', { secret: 'x'.repeat(16), peers: { bar: null }, replicas: 3 }, 'option `cluster.replicas` is 3, but the cluster has only 2 node(s)'],
    ['a route with fewer nodes than replicas', 'foo', { secret: 'x'.repeat(16), peers: { bar: null }, replicas: 2, routes: ['a-m=foo,bar', 'n-z=bar'] }, 'route n-z=bar lists 1 node(s), but each bucket has 2 copies'],
    ['replicas of zero', 'foo', { secret: 'x'.repeat(16), replicas: 0 }, 'cluster.replicas'],
    ['a peer named like this node', 'foo', { secret: 'x'.repeat(16), peers: { foo: null } }, 'itself'],
    ['a peer name with a space', 'foo', { secret: 'x'.repeat(16), peers: { 'b r': null } }, 'peer name'],
    ['a bad node name', 'f o', { secret: 'x'.repeat(16) }, 'node'],
    ['a bad address', 'foo', { secret: 'x'.repeat(16), peers: { bar: 'nowhere' } }, 'cluster.peers.bar'],
    ['a bad port', 'foo', { secret: 'x'.repeat(16), listen: 70000 }, 'cluster.listen'],
    ['a zero timeout', 'foo', { secret: 'x'.repeat(16), requestTimeoutMs: 0 }, 'cluster.requestTimeoutMs'],
    ['a timeout longer than a timer can wait', 'foo', { secret: 'x'.repeat(16), handshakeTimeoutMs: 2 ** 31 }, 'cluster.handshakeTimeoutMs'],
    ['a reconnect delay longer than a timer can wait', 'foo', { secret: 'x'.repeat(16), reconnect: { initialMs: 100, maxMs: 2 ** 31 } }, 'cluster.reconnect.maxMs'],
    ['a bad route', 'foo', { secret: 'x'.repeat(16), routes: ['a-m'] }, 'a-m'],
  ])('%s is refused, naming the option', (_name, self, options, mention) => {
    expect(() => resolveClusterOptions(self, options as never)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining(mention) }));
  });

  test.each([
    ['127.0.0.1:5041', { host: '127.0.0.1', port: 5041 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
    ['[::1]:5041', { host: '::1', port: 5041 }],
    [{ port: 7 }, { host: '127.0.0.1', port: 7 }],
  ] as const)('address %j', (text, address) => {
    expect(parseAddress(text, 'x')).toEqual(address);
  });
});
