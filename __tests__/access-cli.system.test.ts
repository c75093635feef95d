// Protected mode and AUTH through the command line: the startup warning for a
// listener beyond loopback without a password, and a password from the
// environment that clients must AUTH with and that never reaches the logs.

import { LineClient } from './support/server-helpers';
import { CliProcess } from './support/server-process';

let node: CliProcess;
afterEach(async () => {
  node.kill('SIGKILL');
  await node.exited;
});

test('bound to 0.0.0.0 without a password, the node warns at start that only loopback clients are served', async () => {
  node = CliProcess.start(['--port', '0', '--host', '0.0.0.0', '--log-format', 'json']);
  await node.port();
  await node.logged('the text server listens beyond loopback without a password; protected mode serves loopback clients only (set --password)');
  const client = await LineClient.connect(await node.port());
  client.write('PING\r\n');
  expect(await client.lines(1)).toEqual(['PONG']);
  client.destroy();
});

test('with ACTOR_KV_PASSWORD, clients AUTH first, and the password appears in no log line, even at debug level', async () => {
  const password = 'tr0ub4dor-and-3';
  node = CliProcess.start(['--port', '0', '--host', '0.0.0.0', '--log-level', 'debug', '--log-format', 'json'], { ACTOR_KV_PASSWORD: password });
  const client = await LineClient.connect(await node.port());
  client.write(`CREATE b\r\nAUTH wrong\r\nAUTH ${password}\r\nCREATE b\r\n`);
  expect(await client.lines(4)).toEqual(['ERROR authentication required', 'ERROR invalid password', 'OK', 'OK']);
  await node.logged('client AUTH failed');
  client.destroy();
  expect(node.stderr).not.toContain(password);
  expect(node.stdout).not.toContain(password);
  expect(node.stderr).not.toContain('listens beyond loopback without a password');
});
