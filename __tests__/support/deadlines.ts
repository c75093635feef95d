// How tests wait: never a sleep, always a deadline. waitUntil polls a check;
// waitFor is woken by the thing it waits on (a socket, a process, a logger).

/** How long a test waits for a line, an event or a condition before it fails. */
export const deadlineMs = 5000;

/** Polls `check` every few milliseconds until it holds; fails after `timeoutMs`, naming `what`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = deadlineMs, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Resolves once `ready()` holds, re-checked each time the caller runs its
 * `waiters`; rejects with `timedOut()` after `deadlineMs`, or with `ended()`'s
 * message as soon as it returns one (the thing waited on is gone).
 */
export function waitFor(waiters: Array<() => void>, ready: () => boolean, timedOut: () => string, ended: () => string | undefined = () => undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(timedOut())), deadlineMs);
    const check = () => {
      if (ready()) {
        clearTimeout(timer);
        return resolve();
      }
      const gone = ended();
      if (gone === undefined) return void waiters.push(check);
      clearTimeout(timer);
      reject(new Error(gone));
    };
    check();
  });
}
