// Command-line flags as data: each flag is one entry (type, environment
// variable, default, help), so the CLI's parser, its --help text and its
// tests all come from one table. Pure: nothing here reads argv or env.

/** One flag's description and how its text becomes a value. */
export interface Flag<T> {
  /** How the command line reads it: a switch, or a flag followed by a value. */
  readonly type: 'string' | 'boolean';
  /** Whether it may be given more than once (its value is then a list). */
  readonly multiple: boolean;
  /** The environment variable read when the flag is absent. */
  readonly env: string | undefined;
  /** The value when neither flag nor environment variable is given. */
  readonly default: T;
  /** One line for --help. */
  readonly help: string;
  /** The placeholder shown in --help after the flag, e.g. `<port>`. */
  readonly placeholder: string;
  /** For a list: how its environment variable splits into items (default: at every comma). */
  readonly envItems?: (value: string) => string[];
  /** Turns the given texts (one, or several for a list) into the value; throws a FlagError on bad input. */
  readonly parse: (raw: readonly string[]) => T;
}

/** What a flag table declares, in the builders' common words. */
interface Declared<T> {
  env?: string;
  default: T;
  help: string;
}

/** A further rule for a text value: throws a FlagError saying what is wrong. */
type Check = (value: string) => void;

/** Bad input for a flag: the message says what was expected (the caller prefixes the flag's name). */
export class FlagError extends Error {}

function single<T>(placeholder: string, spec: Declared<T>, parseOne: (raw: string) => T): Flag<T> {
  return { type: 'string', multiple: false, env: spec.env, default: spec.default, help: spec.help, placeholder, parse: (raw) => parseOne(raw[raw.length - 1]!) };
}

function nonEmpty(raw: string, check: Check | undefined): string {
  if (raw === '') throw new FlagError('must not be empty');
  check?.(raw);
  return raw;
}

/** A non-empty text value, optionally with a further check. */
export function text(spec: Declared<string> & { check?: Check }, placeholder = '<text>'): Flag<string> {
  return single(placeholder, spec, (raw) => nonEmpty(raw, spec.check));
}

/** A non-empty text value with no default. */
export function optionalText(spec: Omit<Declared<undefined>, 'default'> & { check?: Check }, placeholder = '<text>'): Flag<string | undefined> {
  return single<string | undefined>(placeholder, { ...spec, default: undefined }, (raw) => nonEmpty(raw, spec.check));
}

/** Parses a whole number within [min, max]. */
function wholeNumber(raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new FlagError(`${JSON.stringify(raw)} is not a whole number from ${min} to ${max}`);
  return value;
}

/** A whole number within [min, max]. */
export function integer(spec: Declared<number> & { min: number; max?: number }, placeholder = '<n>'): Flag<number> {
  return single(placeholder, spec, (raw) => wholeNumber(raw, spec.min, spec.max ?? Number.MAX_SAFE_INTEGER));
}

/** A whole number within [min, max], with no default. */
export function optionalInteger(spec: Omit<Declared<undefined>, 'default'> & { min: number; max: number }, placeholder = '<n>'): Flag<number | undefined> {
  return single<number | undefined>(placeholder, { ...spec, default: undefined }, (raw) => wholeNumber(raw, spec.min, spec.max));
}

function oneOf<W extends string>(words: readonly W[], raw: string): W {
  if (!(words as readonly string[]).includes(raw)) throw new FlagError(`${JSON.stringify(raw)} is not one of ${words.join(', ')}`);
  return raw as W;
}

/** One of a fixed set of words. */
export function choice<const W extends string>(words: readonly W[], spec: Declared<W>): Flag<W> {
  return single(`<${words.join('|')}>`, spec, (raw) => oneOf(words, raw));
}

/** One of a fixed set of words, with no default (the command decides; its help line says how). */
export function optionalChoice<const W extends string>(words: readonly W[], spec: Omit<Declared<undefined>, 'default'>): Flag<W | undefined> {
  return single<W | undefined>(`<${words.join('|')}>`, { ...spec, default: undefined }, (raw) => oneOf(words, raw));
}

/** A repeatable flag; in the environment, the items are separated by commas. */
export function list<T>(item: Flag<T>, spec: Omit<Declared<T[]>, 'default'> & { default?: T[]; envItems?: (value: string) => string[] }): Flag<T[]> {
  const parseItem = (raw: string) => item.parse([raw]);
  return { type: 'string', multiple: true, env: spec.env, default: spec.default ?? [], help: spec.help, placeholder: item.placeholder, parse: (raw) => raw.map(parseItem), ...(spec.envItems ? { envItems: spec.envItems } : {}) };
}
