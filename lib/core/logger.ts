// The library's log sink. It logs nothing unless given one.

/**
 * Structured log sink, shaped as pino's methods (fields first, then the message),
 * so `createStore({ logger: pino() })` works as it is. The library is silent unless given one.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const silent = (): void => {};

/** The logger used when none is given: says nothing. */
export const silentLogger: Logger = { debug: silent, info: silent, warn: silent, error: silent };
