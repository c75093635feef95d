// Awaits a promise that must reject with a KvError, and returns the error.

import { KvError } from '../../lib';

export async function rejection(promise: Promise<unknown>): Promise<KvError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KvError);
    return error as KvError;
  }
  throw new Error('expected a rejection');
}
