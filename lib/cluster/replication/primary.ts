// A bucket on its primary: every call for it is run here, one step at a time,
// in order. A step applies its operations to the local bucket actor, then has
// every other copy of the configuration apply the writes among them (in the
// same order, numbered), and only then answers: an acknowledged write is on
// every copy. A step of reads only is confirmed by the copies too (they
// refuse a primary they know was replaced), so a primary cut off from the
// others never serves a value older than one acknowledged elsewhere.
//
// A copy that missed steps gets a full copy of the bucket (install); a copy
// that cannot be reached is dropped from the configuration by a new epoch that
// a majority accepts, or the step fails with NOT_ENOUGH_REPLICAS. A copy that
// refuses the epoch means another node took over: this one stops serving.

import { failed, isRepeatable, isWrite, ok, type BucketOp, type Outcome, type StoredEntries } from '../../core/operations';
import { toErrorData, type ErrorData } from '../../errors';
import type { BucketConfig } from './config';
import { replicationErrors } from './errors';

/** What a step asks of the copies: the writes to apply (none: only confirm the epoch), or a bucket created or dropped. */
export type StepAction = { kind: 'ops'; ops: BucketOp[] } | { kind: 'create' } | { kind: 'drop' };

/** What a copy answers to a step: done, or why not. */
export type CopyAnswer = Outcome<unknown>;

/** The primary's links to the rest: its node's actors, the copies, the votes. */
export interface PrimaryEnv {
  self: string;
  /** Runs operations on the local bucket actor. */
  runLocal(bucket: string, ops: BucketOp[]): Promise<Outcome[]>;
  createLocal(bucket: string): Promise<void>;
  dropLocal(bucket: string): Promise<void>;
  /** Sends one replication step to a copy (under the primary's current configuration). */
  replicate(copy: string, bucket: string, seq: number, action: StepAction): Promise<CopyAnswer>;
  /** Sends a full copy of the bucket to a copy, as of step `seq` (null entries: the bucket was dropped). */
  install(copy: string, bucket: string, seq: number, entries: StoredEntries | null): Promise<CopyAnswer>;
  /** Has a majority accept a configuration with these copies (this node primary); the new config, or why not. */
  reconfigure(bucket: string, from: BucketConfig, copies: string[]): Promise<BucketConfig | ErrorData>;
  /** Called once when a copy says another node took over. */
  deposed(bucket: string): void;
}

/** A call's answer: one outcome per operation, or (this node no longer serves the bucket) NOT_PRIMARY for the whole call, which the caller retries elsewhere. */
export type StepAnswer = (result: Outcome[] | ErrorData) => void;

interface Waiting {
  action: StepAction;
  answer: StepAnswer;
}

export class PrimaryBucket {
  private queue: Waiting[] = [];
  private running = false;
  /** False once another node took over: every call is refused from then on. */
  serving = true;

  constructor(
    readonly bucket: string,
    public config: BucketConfig,
    /** The last step every copy applied. */
    public seq: number,
    private readonly env: PrimaryEnv,
  ) {}

  /** Runs `action` after the steps before it; `answer` gets one outcome per operation (one for create/drop), or NOT_PRIMARY. */
  run(action: StepAction, answer: StepAnswer): void {
    if (!this.serving) return answer(this.notPrimary());
    this.queue.push({ action, answer });
    if (!this.running) void this.drain();
  }

  /** Adds `copy` back, between two steps: a full copy of the bucket as of then, and a configuration that includes it. */
  repair(copy: string): Promise<boolean> {
    return new Promise((resolve) => {
      this.repairs.push({ copy, resolve });
      if (!this.running) void this.drain();
    });
  }

  private repairs: Array<{ copy: string; resolve: (done: boolean) => void }> = [];

  /**
   * Runs the queue. One step is replicated while the next is applied here,
   * so the bucket actor and the round trip to the copies overlap; the copies
   * still get the steps one at a time, in order. (A full copy made meanwhile
   * may hold the next step's writes already, and the copy then applies that
   * step again: harmless for a put or a delete, not for an incrBy or an
   * append, so a step holding one waits for the previous step to finish.)
   */
  private async drain(): Promise<void> {
    this.running = true;
    let replicating: Promise<void> = Promise.resolve();
    for (;;) {
      if (this.repairs.length > 0) {
        await replicating;
        await this.runRepairs();
        continue;
      }
      if (this.queue.length === 0) {
        await replicating;
        if (this.queue.length === 0 && this.repairs.length === 0) break;
        continue;
      }
      const steps = mergeSteps(this.queue);
      this.queue = [];
      for (const step of steps) {
        if (!isRepeatableAction(step.action)) await replicating;
        const applied = this.serving ? await this.applyHere(step.action) : undefined;
        await replicating;
        replicating = this.finish(step, applied);
      }
    }
    this.running = false;
  }

  /** Replicates a step applied here and answers its calls. */
  private async finish(step: Step, applied: Applied | undefined): Promise<void> {
    const outcomes = applied && this.serving ? await this.replicate(applied) : undefined;
    // Another node serves the bucket now: the callers try there (nothing of the step was acknowledged).
    if (!outcomes || !this.serving) {
      for (const { answer } of step.answers) answer(this.notPrimary());
      return;
    }
    let at = 0;
    for (const { count, answer } of step.answers) {
      answer(outcomes.slice(at, at + count));
      at += count;
    }
  }

  /** Applies a step on this node's bucket actor: its outcomes, and what the copies must apply (nothing when it failed here). */
  private async applyHere(action: StepAction): Promise<Applied> {
    try {
      if (action.kind !== 'ops') {
        await (action.kind === 'create' ? this.env.createLocal(this.bucket) : this.env.dropLocal(this.bucket));
        return { outcomes: [ok(undefined)], toCopies: action };
      }
      const outcomes = await this.env.runLocal(this.bucket, action.ops);
      return { outcomes, toCopies: { kind: 'ops', ops: action.ops.filter((op, index) => isWrite(op) && outcomes[index]!.ok) } };
    } catch (error) {
      return { outcomes: outcomesOf(action, failed(toErrorData(error))), toCopies: undefined };
    }
  }

  /** Has the copies apply a step applied here; its outcomes, failed if not every copy holds it. */
  private async replicate({ outcomes, toCopies }: Applied): Promise<Outcome[]> {
    if (!toCopies) return outcomes;
    const changes = toCopies.kind !== 'ops' || toCopies.ops.length > 0;
    const seq = changes ? this.seq + 1 : this.seq;
    const held = await this.toCopies(seq, toCopies);
    // The step happened here whatever the copies said: a copy that missed it
    // finds the next step's number out of order and gets a full copy, so no
    // copy is left without a write this primary may later serve.
    this.seq = seq;
    // Not on every copy: no call of the step is acknowledged (a write may still have been applied here; it is indeterminate).
    if (held !== true) return outcomes.map((outcome) => (outcome.ok ? failed(held) : outcome));
    return outcomes;
  }

  /**
   * Has every other copy apply the step; true, or the error for the callers.
   * A copy that refuses this epoch may have promised a newer one to a node
   * that then failed to win (a cut-off primary tries, alone): a new epoch
   * from a majority settles it, and the step is sent again. If that majority
   * accepted another primary meanwhile, this node steps down.
   */
  private async toCopies(seq: number, action: StepAction): Promise<true | ErrorData> {
    let pending = this.config.copies.filter((copy) => copy !== this.env.self);
    for (let round = 0; pending.length > 0; round++) {
      const answers = await Promise.all(pending.map((copy) => this.toCopy(copy, seq, action)));
      const lost = pending.filter((_copy, index) => answers[index] === 'lost');
      const refused = pending.filter((_copy, index) => answers[index] === 'refused');
      if (lost.length === 0 && refused.length === 0) return true;
      if (round === 2) return replicationErrors.notEnoughReplicas(this.bucket, [...lost, ...refused], 'the copies kept refusing this epoch').toData();
      const next = await this.env.reconfigure(this.bucket, this.config, this.config.copies.filter((copy) => !lost.includes(copy)));
      if ('code' in next) {
        if (next.code === 'NOT_PRIMARY') return this.depose();
        return replicationErrors.notEnoughReplicas(this.bucket, [...lost, ...refused], next.message).toData();
      }
      this.config = next;
      pending = refused;
    }
    return true;
  }

  /** One copy's step: applied ('held'), a newer epoch promised there ('refused'), or out of reach ('lost'). A copy that missed steps gets a full copy. */
  private async toCopy(copy: string, seq: number, action: StepAction): Promise<CopyResult> {
    const answer = await this.env.replicate(copy, this.bucket, seq, action);
    if (answer.ok) return 'held';
    if (answer.error.code === 'NOT_PRIMARY') return 'refused';
    if (answer.error.code !== 'OUT_OF_SYNC') return 'lost';
    return this.installOn(copy, seq);
  }

  private async installOn(copy: string, seq: number): Promise<CopyResult> {
    let entries: StoredEntries | null;
    try {
      const [dump] = await this.env.runLocal(this.bucket, [{ kind: 'dump' }]);
      // A dropped bucket (null): the copy drops its own too. Any other
      // failure (the bucket crashed or failed here, a timeout) says nothing of
      // its entries: an empty copy would pass for in sync and lose them all on a failover.
      if (!dump!.ok && dump!.error.code !== 'NOT_FOUND') return 'lost';
      entries = dump!.ok ? (dump!.value as StoredEntries) : null;
    } catch {
      return 'lost';
    }
    const answer = await this.env.install(copy, this.bucket, seq, entries);
    if (answer.ok) return 'held';
    return answer.error.code === 'NOT_PRIMARY' ? 'refused' : 'lost';
  }

  private depose(): ErrorData {
    if (this.serving) {
      this.serving = false;
      this.env.deposed(this.bucket);
    }
    return this.notPrimary();
  }

  private notPrimary(): ErrorData {
    return replicationErrors.notPrimary(this.env.self, this.bucket).toData();
  }

  /** Brings back copies of the preference list that this configuration lost. */
  private async runRepairs(): Promise<void> {
    const repairs = this.repairs;
    this.repairs = [];
    for (const { copy, resolve } of repairs) {
      if (!this.serving || this.config.copies.includes(copy)) {
        resolve(this.config.copies.includes(copy));
        continue;
      }
      let installed = await this.installOn(copy, this.seq);
      if (installed === 'refused') {
        // The copy promised a newer epoch (it tried to take over, alone): settle it with a majority first.
        const next = await this.env.reconfigure(this.bucket, this.config, this.config.copies);
        if ('code' in next) {
          if (next.code === 'NOT_PRIMARY') this.depose();
          resolve(false);
          continue;
        }
        this.config = next;
        installed = await this.installOn(copy, this.seq);
      }
      if (installed !== 'held') {
        resolve(false);
        continue;
      }
      const next = await this.env.reconfigure(this.bucket, this.config, [...this.config.copies, copy]);
      if ('code' in next) {
        if (next.code === 'NOT_PRIMARY') this.depose();
        resolve(false);
        continue;
      }
      this.config = next;
      resolve(true);
    }
  }
}

/** One outcome per operation of `action` (one for a create or drop), all `outcome`. */
export function outcomesOf(action: StepAction, outcome: Outcome): Outcome[] {
  return action.kind === 'ops' ? action.ops.map(() => outcome) : [outcome];
}

/** A step applied on the primary: its outcomes, and the writes the copies must apply (undefined: it failed here, nothing to send). */
interface Applied {
  outcomes: Outcome[];
  toCopies: StepAction | undefined;
}

/** What a copy did with a step: applied it, refused this epoch (it promised a newer one), or could not be reached. */
type CopyResult = 'held' | 'refused' | 'lost';

/** A step as run: its action, and the calls it answers with how many outcomes each. */
interface Step {
  action: StepAction;
  answers: Array<{ count: number; answer: StepAnswer }>;
}

/** Whether applying the step a second time leaves the bucket as the first time did (no INCRBY or APPEND in it). */
export function isRepeatableAction(action: StepAction): boolean {
  return action.kind !== 'ops' || action.ops.every(isRepeatable);
}

/** Consecutive operation calls merged into one step (one round trip to the copies for all); a create or drop alone. */
function mergeSteps(queue: readonly Waiting[]): Step[] {
  const steps: Step[] = [];
  for (const { action, answer } of queue) {
    const last = steps[steps.length - 1];
    if (action.kind === 'ops' && last?.action.kind === 'ops') {
      last.action.ops.push(...action.ops);
      last.answers.push({ count: action.ops.length, answer });
    } else {
      steps.push({ action: action.kind === 'ops' ? { kind: 'ops', ops: [...action.ops] } : action, answers: [{ count: action.kind === 'ops' ? action.ops.length : 1, answer }] });
    }
  }
  return steps;
}
