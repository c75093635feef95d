// Command-line flags as data: each flag is one entry (type, environment
// variable, default, help), so the CLI's parser, its --help text and its
// tests all come from one table. Pure: nothing here reads argv or env.

/** One flag's description and how its text becomes a value. */
export interface Flag<T> {
  /** How node:util parseArgs reads it. */
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
  /** Turns the given texts (one, or several for a list) into the value; throws a message on bad input. */
  readonly parse: (raw: readonly string[]) => T;
}

/** What a flag table declares, in the builders' common words. */
interface Declared<T> {
  env?: string;
  default: T;
  help: string;
}

/** Bad input for a flag: the message says what was expected. */
export class FlagError extends Error {}

function single<T>(placeholder: string, spec: Declared<T>, parseOne: (raw: string) => T): Flag<T> {
  return { type: 'string', multiple: false, env: spec.env, default: spec.default, help: spec.help, placeholder, parse: (raw) => parseOne(raw[raw.length - 1]!) };
}

/** A non-empty text value. */
export function text(spec: Declared<string>, placeholder = '<text>'): Flag<string> {
  return single(placeholder, spec, (raw) => {
    if (raw === '') throw new FlagError('must not be empty');
    return raw;
  });
}

/** A text value with no default. */
export function optionalText(spec: Omit<Declared<undefined>, 'default'>, placeholder = '<text>'): Flag<string | undefined> {
  return single<string | undefined>(placeholder, { ...spec, default: undefined }, (raw) => raw);
}

/** A whole number within [min, max]. */
export function integer(spec: Declared<number> & { min: number; max?: number }, placeholder = '<n>'): Flag<number> {
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  return single(placeholder, spec, (raw) => {
    const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < spec.min || value > max) {
      throw new FlagError(`${JSON.stringify(raw)} is not a whole number from ${spec.min} to ${max}`);
    }
    return value;
  });
}

/** One of a fixed set of words. */
export function choice<const W extends string>(words: readonly W[], spec: Declared<W>): Flag<W> {
  return single(`<${words.join('|')}>`, spec, (raw) => {
    if (!(words as readonly string[]).includes(raw)) throw new FlagError(`${JSON.stringify(raw)} is not one of ${words.join(', ')}`);
    return raw as W;
  });
}

/** A switch: `--flag` on the command line; 1/true/yes or 0/false/no in the environment. */
export function boolean(spec: Declared<boolean>): Flag<boolean> {
  const words: Record<string, boolean> = { '1': true, true: true, yes: true, '0': false, false: false, no: false };
  return {
    ...single('', spec, (raw) => {
      const value = words[raw.toLowerCase()];
      if (value === undefined) throw new FlagError(`${JSON.stringify(raw)} is not one of 1, true, yes, 0, false, no`);
      return value;
    }),
    type: 'boolean',
  };
}

/** A repeatable flag; in the environment, the items are separated by commas. */
export function list<T>(item: Flag<T>, spec: Omit<Declared<T[]>, 'default'> & { default?: T[] }): Flag<T[]> {
  const parseItem = (raw: string) => item.parse([raw]);
  return { type: 'string', multiple: true, env: spec.env, default: spec.default ?? [], help: spec.help, placeholder: item.placeholder, parse: (raw) => raw.map(parseItem) };
}
