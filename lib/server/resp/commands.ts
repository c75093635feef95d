// The command table: every command the RESP listener knows, by lower-case name,
// and COMMAND itself (COUNT, INFO, DOCS, LIST), which describes the table in
// Redis 7's shape so that redis-cli and redis-benchmark find what they look for.

import { array, bulk, bulks, error, integer, nil } from './reply';
import type { Answer, CommandContext, CommandSpec } from './command';
import { hashCommands } from './hash-commands';
import { expiryCommands } from './expiry-commands';
import { keyspaceCommands } from './keyspace-commands';
import { rangeCommands } from './range-commands';
import { serverCommands } from './server-commands';
import { setCommands } from './set-commands';
import { stringCommands } from './string-commands';

const table = new Map<string, CommandSpec>();

/** COMMAND INFO's entry: name, arity, flags, first key, last key, step, and Redis 7's four lists (empty here). */
function describe(name: string, spec: CommandSpec): string {
  const [first, last, step] = spec.keys ?? [0, 0, 0];
  const flags = array(spec.flags.map((flag) => `+${flag}\r\n`));
  return array([bulk(name), integer(spec.arity), flags, integer(first), integer(last), integer(step), array([]), array([]), array([]), array([])]);
}

function command(_context: CommandContext, args: readonly string[], answer: Answer): void {
  const sub = args[1]?.toUpperCase();
  const names = [...table.keys()];
  switch (sub) {
    case undefined:
      return answer(array(names.map((name) => describe(name, table.get(name)!))));
    case 'COUNT':
      return answer(integer(table.size));
    case 'LIST':
      return answer(bulks(names));
    case 'INFO': {
      const asked = args.length > 2 ? args.slice(2).map((name) => name.toLowerCase()) : names;
      return answer(array(asked.map((name) => (table.has(name) ? describe(name, table.get(name)!) : nil))));
    }
    case 'DOCS':
      // No docs: redis-cli then offers no hints, and works as usual.
      return answer(array([]));
    default:
      return answer(error('ERR', `unknown subcommand '${args[1]}'. Try COMMAND HELP.`));
  }
}

for (const group of [stringCommands, setCommands, rangeCommands, hashCommands, keyspaceCommands, expiryCommands, serverCommands]) {
  for (const [name, spec] of Object.entries(group)) table.set(name, spec);
}
table.set('command', { arity: -1, flags: ['loading', 'stale'], run: command });

/** Names as clients send them (`SET`, `set`), to the table's entry: a hit costs no lower-casing. */
const bySentName = new Map<string, CommandSpec & { name: string }>();
const maxSentNames = 1024;

/** The command called `name` (any case), with its lower-case name, or undefined. */
export function lookupCommand(name: string): (CommandSpec & { name: string }) | undefined {
  const cached = bySentName.get(name);
  if (cached !== undefined) return cached;
  const lower = name.toLowerCase();
  const spec = table.get(lower);
  if (spec === undefined) return undefined;
  const entry = { ...spec, name: lower };
  if (bySentName.size < maxSentNames) bySentName.set(name, entry);
  return entry;
}

/** Redis's error for a command it does not know, with the first arguments quoted. */
export function unknownCommand(args: readonly string[]): string {
  const shown = args.slice(1).map((arg) => `'${arg.slice(0, 128)}' `).join('');
  return error('ERR', `unknown command '${args[0]!.slice(0, 128)}', with args beginning with: ${shown}`);
}

/** Whether `args` has the number of arguments `spec.arity` asks for. */
export function arityFits(spec: CommandSpec, args: readonly string[]): boolean {
  return spec.arity >= 0 ? args.length === spec.arity : args.length >= -spec.arity;
}
