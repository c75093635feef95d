// Work that should run once the actors have handled the messages just sent.
//
// nact runs each message's handler in its own setImmediate callback. A log
// writer that groups the appends of many buckets into one write(2) would, by
// queueing its own setImmediate from inside a handler, land in the next loop
// iteration: every acknowledgement one iteration late, which in a closed loop
// halves throughput. Instead, whoever sends messages arms a turn end: one
// setImmediate queued after the burst of dispatches (from a microtask, so it
// is behind all of them), in the same check phase as their handlers. The
// writer's group then leaves at the end of that phase, as Redis writes its
// AOF buffer before it goes back to sleep.

let armPending = false;
/** Turn-end callbacks queued and not yet run. */
let queued = 0;
let waiting: Array<() => void> = [];

/** Notes that a message was dispatched: a turn end is queued behind it (once per burst). */
export function noteDispatch(): void {
  if (armPending) return;
  armPending = true;
  queueMicrotask(arm);
}

/**
 * Runs `work` at the next turn end already queued (after the handlers of the
 * messages sent before it), or in the next loop iteration if none is.
 */
export function atTurnEnd(work: () => void): void {
  waiting.push(work);
  if (queued === 0) queue();
}

function arm(): void {
  armPending = false;
  queue();
}

function queue(): void {
  queued++;
  setImmediate(run);
}

function run(): void {
  queued--;
  if (waiting.length === 0) return;
  const due = waiting;
  waiting = [];
  for (const work of due) work();
}
