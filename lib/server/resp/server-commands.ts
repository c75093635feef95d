// Connection and server commands: PING, ECHO, SELECT, AUTH, HELLO, CLIENT,
// INFO, CONFIG GET, QUIT, RESET. HELLO 3 (node-redis 6 sends it first) switches
// the client to RESP3 as far as our replies differ: maps where Redis sends maps;
// the rest (RESP2 nulls included) every RESP3 client also reads.

import { packageVersionOf } from './version';
import { parseInt64 } from '../../core/arguments';
import { globMatcher } from '../../core/glob';
import { answerPromise, notInteger, syntaxError, wrongArity, type Answer, type CommandContext, type CommandSpec, type Session } from './command';
import { formatInfo, sectionsAsked } from './info';
import { array, bulk, error, integer, map, nil, ok, pong, simple } from './reply';

function ping(_context: CommandContext, args: readonly string[], answer: Answer): void {
  if (args.length > 2) return answer(wrongArity(args[0]!));
  answer(args.length === 2 ? bulk(args[1]!) : pong);
}

function select(_context: CommandContext, args: readonly string[], answer: Answer): void {
  const db = parseInt64(args[1]!);
  if (db === undefined) return answer(notInteger);
  answer(db === 0n ? ok : error('ERR', 'DB index is out of range (actor-kv has only db 0)'));
}

function auth(context: CommandContext, args: readonly string[], answer: Answer): void {
  if (args.length > 3) return answer(syntaxError);
  if (args.length === 3 && args[1] !== 'default') return answer(wrongPass);
  context.session.authenticate(args[args.length - 1]!, answer);
}

export const wrongPass = error('WRONGPASS', 'invalid username-password pair or user is disabled.');

/** HELLO [protover [AUTH username password] [SETNAME name]]. */
function hello(context: CommandContext, args: readonly string[], answer: Answer): void {
  if (args.length > 1) {
    const version = parseInt64(args[1]!);
    if (version === undefined) return answer(error('ERR', 'Protocol version is not an integer or out of range'));
    if (version !== 2n && version !== 3n) return answer(error('NOPROTO', 'unsupported protocol version'));
  }
  let password: string | undefined;
  let name: string | undefined;
  for (let at = 2; at < args.length; at++) {
    const word = args[at]!.toUpperCase();
    if (word === 'AUTH' && at + 2 < args.length) {
      if (args[at + 1] !== 'default') return answer(wrongPass);
      password = args[at + 2];
      at += 2;
    } else if (word === 'SETNAME' && at + 1 < args.length) name = args[++at];
    else return answer(error('ERR', `Syntax error in HELLO option '${args[at]}'`));
  }
  const protocol = args.length > 1 && args[1] === '3' ? 3 : context.session.protocol;
  const reply = () => {
    if (name !== undefined) context.session.name = name;
    context.session.protocol = protocol;
    return helloFields(context.session);
  };
  if (password === undefined) return answer(context.session.mustAuthenticate ? error('NOAUTH', 'HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time') : reply());
  context.session.authenticate(password, (authReply) => answer(authReply === ok ? reply() : authReply));
}

function helloFields(session: Session): string {
  return map([
    bulk('server'), bulk('redis'),
    bulk('version'), bulk('7.0.0'),
    bulk('proto'), integer(session.protocol),
    bulk('id'), integer(session.id),
    bulk('mode'), bulk('standalone'),
    bulk('role'), bulk('master'),
    bulk('modules'), array([]),
  ], session.protocol);
}

/** CLIENT INFO's line for a session, in Redis's field names. */
function clientLine(session: Session): string {
  const age = Math.floor((Date.now() - session.connectedAt) / 1000);
  return `id=${session.id} addr=${session.remote} laddr=${session.local} name=${session.name} age=${age} db=0 cmd=${session.lastCommand} resp=${session.protocol}\n`;
}

function client(context: CommandContext, args: readonly string[], answer: Answer): void {
  const sub = args[1]!.toUpperCase();
  const { session } = context;
  switch (sub) {
    case 'SETNAME':
      if (args.length !== 3) return answer(wrongArity('client|setname'));
      if (/[\x00-\x20\x7f-\xff]/.test(args[2]!)) return answer(error('ERR', 'Client names cannot contain spaces, newlines or special characters.'));
      session.name = args[2]!;
      return answer(ok);
    case 'GETNAME':
      return answer(session.name === '' ? nil : bulk(session.name));
    case 'ID':
      return answer(integer(session.id));
    case 'INFO':
      return answer(bulk(clientLine(session)));
    case 'LIST':
      return answer(bulk([...context.listener.sessions()].map(clientLine).join('')));
    case 'SETINFO':
      // Client libraries announce their name and version; nothing to keep.
      return answer(args.length === 4 ? ok : wrongArity('client|setinfo'));
    default:
      return answer(error('ERR', `unknown subcommand '${args[1]}'. Try CLIENT HELP.`));
  }
}

function info(context: CommandContext, args: readonly string[], answer: Answer): void {
  const { store, listener } = context;
  answerPromise(
    (async () => {
      const [tree, names] = await Promise.all([store.tree(), store.bucketsBuffer()]);
      const strings = tree.buckets.find((bucket) => bucket.name === context.options.stringsBucket)?.keys ?? 0;
      const hashes = names.filter((name) => name.toString('latin1') !== context.options.stringsBucket).length;
      const sessions = [...listener.sessions()].length;
      return bulk(
        formatInfo(
          {
            version: packageVersionOf(),
            node: store.node,
            port: listener.port,
            uptimeSeconds: Math.floor((Date.now() - listener.startedAt) / 1000),
            connectedClients: sessions,
            maxClients: listener.maxClients,
            ...listener.stats,
            keys: hashes + strings,
            tree,
            peers: store.clusterStatus()?.peers ?? {},
          },
          sectionsAsked(args.slice(1)),
        ),
      );
    })(),
    answer,
  );
}

/** CONFIG GET for the few settings tools ask about (redis-benchmark reads save and appendonly). */
function config(context: CommandContext, args: readonly string[], answer: Answer): void {
  if (args[1]!.toUpperCase() !== 'GET' || args.length < 3) return answer(error('ERR', 'actor-kv supports CONFIG GET only; its settings are its command-line flags'));
  const settings: Record<string, string> = {
    'maxclients': String(context.listener.maxClients),
    'proto-max-bulk-len': String(context.options.maxBulkBytes),
    'save': '',
    'appendonly': 'no',
    'databases': '1',
  };
  const found = new Map<string, string>();
  for (const pattern of args.slice(2)) {
    const matches = globMatcher(pattern.toLowerCase());
    for (const [key, value] of Object.entries(settings)) if (matches(key)) found.set(key, value);
  }
  answer(map([...found].flat().map(bulk), context.session.protocol));
}

function quit(context: CommandContext, _args: readonly string[], answer: Answer): void {
  answer(ok);
  context.session.quit();
}

function reset(context: CommandContext, _args: readonly string[], answer: Answer): void {
  context.session.name = '';
  context.session.reset();
  answer(simple('RESET'));
}

const connection = ['fast', 'noauth', 'loading', 'stale'];

export const serverCommands: Record<string, CommandSpec> = {
  ping: { arity: -1, flags: ['fast', 'stale'], run: ping },
  echo: { arity: 2, flags: ['fast'], run: (_c, a, answer) => answer(bulk(a[1]!)) },
  select: { arity: 2, flags: ['loading', 'stale', 'fast'], run: select },
  auth: { arity: -2, flags: [...connection, 'no_auth'], run: auth },
  hello: { arity: -1, flags: [...connection, 'no_auth'], run: hello },
  client: { arity: -2, flags: ['loading', 'stale'], run: client },
  info: { arity: -1, flags: ['loading', 'stale'], run: info },
  config: { arity: -2, flags: ['admin', 'loading', 'stale'], run: config },
  quit: { arity: -1, flags: [...connection, 'no_auth'], run: quit },
  reset: { arity: 1, flags: [...connection, 'no_auth'], run: reset },
};
