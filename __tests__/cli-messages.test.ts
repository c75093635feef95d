// What the command prints when it refuses or fails: in the command line's
// words (flags, not library options), one line each.

import { KvError } from '../lib/errors';
import { flagFor, inFlagTerms, startFailureDetails, startFailureText, usageErrorText } from '../lib/cli/messages';

describe('library option names become flags', () => {
  test.each([
    ['the cluster port in use', 'the cluster port 127.0.0.1:5040 is already in use (see option `cluster.listen`)', 'the cluster port 127.0.0.1:5040 is already in use (--cluster-port)'],
    ['the text port in use', 'the text server 127.0.0.1:4040 is already in use (see options `host` and `port`)', 'the text server 127.0.0.1:4040 is already in use (--host, --port)'],
    ['a listen failure', 'the text server cannot listen on nowhere:4040 (see options `host` and `port`): getaddrinfo ENOTFOUND nowhere', 'the text server cannot listen on nowhere:4040 (--host, --port): getaddrinfo ENOTFOUND nowhere'],
    ['an option with its flag already given', 'option `cluster.secret` (--secret) must be at least 16 bytes, got 9', '--secret must be at least 16 bytes, got 9'],
    ['an option', 'option `storage.url` must be a redis:// or rediss:// URL, got "http://h"', '--redis-url must be a redis:// or rediss:// URL, got "http://h"'],
    ['a peer', 'option `cluster.peers.bar` must be host:port, got "x"', '--peer bar must be host:port, got "x"'],
    ['a quoted name', '`cluster.peers` names this node (foo) itself', '--peer names this node (foo) itself'],
    ['a bare hint', 'node bar did not answer within 2000 ms (see cluster.requestTimeoutMs)', 'node bar did not answer within 2000 ms (--cluster-timeout-ms)'],
    ['a hint at a setting the command line does not have is dropped', 'Redis (redis://h:1) could not be reached: connect ECONNREFUSED (see the redis storage\'s commandTimeoutMs)', 'Redis (redis://h:1) could not be reached: connect ECONNREFUSED'],
    ['an unknown option is left as it is', 'option `supervision.withinMs` must be a positive integer', 'option `supervision.withinMs` must be a positive integer'],
    ['a message without options', 'data directory /d is in use by process 12; stop it or choose another --data-dir', 'data directory /d is in use by process 12; stop it or choose another --data-dir'],
  ])('%s', (_name, message, expected) => {
    expect(inFlagTerms(message)).toBe(expected);
  });

  test('each option a flag sets', () => {
    expect([flagFor('cluster.requestTimeoutMs'), flagFor('storage.prefix'), flagFor('callTimeoutMs')]).toEqual(['--cluster-timeout-ms', '--redis-prefix', undefined]);
  });
});

describe('the lines printed', () => {
  test('a usage error: what is wrong, then where to look', () => {
    expect(usageErrorText('unknown flag --bogus')).toBe("actor-kv: unknown flag --bogus\ntry 'actor-kv --help'\n");
  });

  test('a known startup failure: one plain line in flag terms, no stack', () => {
    const cause = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:5040'), { code: 'EADDRINUSE' });
    const error = new KvError('ADDRESS_IN_USE', 'the cluster port 127.0.0.1:5040 is already in use (see option `cluster.listen`)', { cause });
    expect(startFailureText(error)).toBe('actor-kv: the cluster port 127.0.0.1:5040 is already in use (--cluster-port)\n');
    expect(startFailureDetails(error)).toEqual({ code: 'ADDRESS_IN_USE', cause: 'listen EADDRINUSE: address already in use 127.0.0.1:5040' });
  });

  test('a bug: its stack, to report', () => {
    const bug = new TypeError('x is undefined');
    expect(startFailureText(bug)).toBe(`actor-kv: ${bug.stack}\n`);
    expect(startFailureDetails(bug)).toEqual({});
  });
});
