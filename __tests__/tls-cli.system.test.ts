// TLS through the command line: two nodes with mutual TLS serve the seeds'
// foo/bar scenario to a client that speaks TLS to foo's text listener, with
// certificates made at run time (openssl); `openssl s_client` works against
// the listener too.

import { execFile } from 'node:child_process';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { waitUntil } from './support/deadlines';
import { CliProcess } from './support/server-process';
import { TestCa } from './support/tls-certs';

jest.setTimeout(60_000);

const run = promisify(execFile);
const secret = 'a cluster secret for the TLS test';
let ca: TestCa;
const nodes: CliProcess[] = [];

beforeAll(() => {
  ca = TestCa.create();
});
afterAll(async () => {
  for (const node of nodes) node.kill('SIGKILL');
  await Promise.all(nodes.map((node) => node.exited));
  ca.remove();
});

function start(name: string, args: string[]): CliProcess {
  const files = ca.files(ca.issue(name), name);
  const listener = ca.files(ca.issue('localhost'), `${name}-listener`);
  const node = CliProcess.start(
    ['--node', name, '--port', '0', '--cluster-port', '0', '--route', 'a-m=foo', '--route', 'n-z=bar', '--cluster-tls-cert', files.cert, '--cluster-tls-key', files.key, '--cluster-tls-ca', files.ca, '--tls-cert', listener.cert, '--tls-key', listener.key, ...args],
    { ACTOR_KV_SECRET: secret },
  );
  nodes.push(node);
  return node;
}

test('two nodes with mutual TLS serve foo/bar to a TLS client; openssl s_client talks to the listener', async () => {
  const bar = start('bar', ['--peer', 'foo']);
  await bar.port();
  const barCluster = Number(/accepting peers on port (\d+)/.exec(bar.stdout)![1]);
  const foo = start('foo', ['--peer', `bar=127.0.0.1:${barCluster}`]);
  const port = await foo.port();
  const client = tls.connect({ port, host: '127.0.0.1', ca: ca.cert, servername: 'localhost' });
  let replies = '';
  client.setEncoding('utf8').on('data', (data: string) => (replies += data));
  await new Promise<void>((resolve) => client.once('secureConnect', () => resolve()));
  client.write('CREATE shopping\r\nPUT shopping eggs 6\r\nGET shopping eggs\r\nCREATE awesome-list\r\n');
  await waitUntil(() => replies.split('\r\n').length > 5, 10_000, 'the replies');
  // shopping lives on bar: the write crossed the TLS link between the nodes.
  expect(replies).toBe('OK\r\nOK\r\n6\r\nOK\r\nOK\r\n');
  client.end();
  const { stdout } = await run('sh', ['-c', `printf 'GET shopping eggs\\r\\nQUIT\\r\\n' | openssl s_client -quiet -connect 127.0.0.1:${port} -CAfile ${ca.files(ca.issue('unused'), 'unused').ca} -servername localhost 2>/dev/null`], { timeout: 10_000 });
  expect(stdout).toBe('6\r\nOK\r\nOK\r\n');
});
