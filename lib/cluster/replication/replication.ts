// Replication on one node (docs/replication.md): the store's handle for every
// bucket when each has R > 1 copies, and this node's part in the others' work.
//
// - As the node a call entered: sends it to the bucket's primary as this node
//   last knew it; follows a NOT_PRIMARY hint; when the primary cannot be
//   reached, asks the next copy to take over (`claim`).
// - As a primary: runs the bucket's calls through its PrimaryBucket.
// - As a copy: applies a primary's numbered steps in order, refusing a primary
//   whose epoch is older than one it promised; asks for a full copy when it
//   missed a step.
// - As a voter: promises and accepts epochs (votes.ts). A node takes over a
//   bucket only with a majority's votes, and only if the newest configuration
//   that majority accepted lists it as a copy, which holds every acknowledged write.

import type { Logger } from '../../core/logger';
import type { NodeHandle } from '../../core/node-handle';
import { failed, ok, type BucketOp, type Outcome, type StoredEntries } from '../../core/operations';
import type { Settle } from '../../core/settle';
import type { NodeTree } from '../../core/tree';
import { KvError, toErrorData, type ErrorData } from '../../errors';
import type { NodeRequest } from '../protocol';
import type { Preferences } from '../router';
import { TurnBatcher } from '../turn-batcher';
import { initialConfig, majority, newer, nextEpoch, type BucketConfig } from './config';
import { replicationErrors } from './errors';
import { isRepeatableAction, outcomesOf, PrimaryBucket, type StepAction } from './primary';
import type { AcceptAnswer, PrepareAnswer, VoteBook } from './votes';

export interface ReplicationEnv {
  self: string;
  /** Every node of the cluster, this one included. */
  nodes: readonly string[];
  preferences: Preferences;
  /** This node's own actors. */
  local: NodeHandle;
  /** Whether this node's buckets survive its restart (a data directory): a restarted copy may then take over. */
  durable: boolean;
  votes: VoteBook;
  /** Sends a request to another node; failures are outcomes. */
  send(node: string, request: NodeRequest, timeoutMs?: number): Promise<Outcome<unknown>>;
  /** Whether the link to `node` is up. */
  linkUp(node: string): boolean;
  requestTimeoutMs: number;
  logger: Logger;
}

/** A copy's place in its primary's order: the last step it applied, under which epoch. */
interface CopyState {
  epoch: number;
  seq: number;
}

/** How many times a call follows a hint or tries another copy before it gives up. */
const maxHops = 5;

/** NOT_PRIMARY with the node this one believes is primary, if any: the caller's next stop. */
type NotPrimary = ErrorData & { primary?: string };

export class Replication implements NodeHandle {
  private readonly primaries = new Map<string, PrimaryBucket>();
  private readonly copies = new Map<string, CopyState>();
  /** Where each bucket's calls went last, successfully. */
  private readonly hints = new Map<string, string>();
  /** The epoch at which this node learned it no longer serves a bucket. */
  private readonly deposedAt = new Map<string, number>();
  private readonly claims = new Map<string, Promise<PrimaryBucket | ErrorData>>();
  /** Repairs under way, as copy and bucket. */
  private readonly repairing = new Set<string>();
  private readonly batcher = new TurnBatcher((bucket, ops, answer) => this.submitBatch(bucket, ops, answer));
  private readonly repairTimer: NodeJS.Timeout;

  constructor(private readonly env: ReplicationEnv) {
    // Copies lost by a configuration are brought back when they can be reached again.
    this.repairTimer = setInterval(() => this.repairAll(), Math.max(200, env.requestTimeoutMs / 2));
    this.repairTimer.unref();
  }

  stop(): void {
    clearInterval(this.repairTimer);
  }

  /** Once no request can come (the transport stopped): waits for the votes being kept and closes their file. */
  close(): Promise<void> {
    return this.env.votes.close();
  }

  // --- the store's calls ---------------------------------------------------

  async create(bucket: string): Promise<void> {
    const [outcome] = await this.call(bucket, { kind: 'create' });
    if (!outcome!.ok) throw KvError.fromData(outcome!.error);
  }

  async drop(bucket: string): Promise<void> {
    const [outcome] = await this.call(bucket, { kind: 'drop' });
    if (!outcome!.ok) throw KvError.fromData(outcome!.error);
  }

  submit(bucket: string, op: BucketOp, settle: Settle): void {
    this.batcher.submit(bucket, op, settle);
  }

  submitBatch(bucket: string, ops: BucketOp[], answer: (outcomes: Outcome[]) => void): void {
    void this.call(bucket, { kind: 'ops', ops }).then(answer);
  }

  async exists(bucket: string): Promise<boolean> {
    const [outcome] = await this.call(bucket, { kind: 'ops', ops: [{ kind: 'size' }] });
    if (outcome!.ok) return true;
    if (outcome!.error.code === 'NOT_FOUND') return false;
    throw KvError.fromData(outcome!.error);
  }

  buckets(): string[] | Promise<string[]> {
    return this.env.local.buckets();
  }

  async tree(): Promise<NodeTree> {
    const tree = await this.env.local.tree();
    return { ...tree, replication: tree.buckets.map(({ name }) => this.describe(name)) };
  }

  /** What this node knows of a bucket's replication, for tree(). */
  private describe(bucket: string): NonNullable<NodeTree['replication']>[number] {
    const primary = this.primaries.get(bucket);
    const config = primary?.serving ? primary.config : this.knownConfig(bucket);
    const role = primary?.serving ? 'primary' : config.copies.includes(this.env.self) ? 'copy' : 'none';
    const preference = [...this.env.preferences(bucket)];
    const outOfSync = preference.filter((node) => !config.copies.includes(node));
    return { bucket, preference, primary: config.primary, epoch: config.epoch, inSync: config.copies, outOfSync, role };
  }

  /**
   * Sends the call to the primary, following hints and taking over from an
   * unreachable primary. A call that adds (INCRBY, APPEND) and went unanswered
   * may have been applied and copied there: it is not run again elsewhere,
   * where it would be applied twice. Its caller gets that error (the outcome
   * is unknown), once the takeover has run with nothing to apply.
   */
  private async call(bucket: string, action: StepAction): Promise<Outcome[]> {
    const tried = new Set<string>();
    let target = this.hints.get(bucket) ?? this.knownConfig(bucket).primary;
    let claim = false;
    let last: ErrorData | undefined;
    let unknown: ErrorData | undefined;
    let sending = action;
    for (let hop = 0; hop < maxHops; hop++) {
      // A link already down refuses at once: the call was never sent.
      const sent = target === this.env.self || this.env.linkUp(target);
      const outcome = target === this.env.self ? await this.serveClient(bucket, sending, claim) : await this.env.send(target, { kind: 'client', bucket, action: sending, claim });
      if (outcome.ok) {
        this.hints.set(bucket, target);
        return unknown ? outcomesOf(action, failed(unknown)) : (outcome.value as Outcome[]);
      }
      last = outcome.error;
      tried.add(target);
      if (sent && isUnreachable(outcome.error) && !isRepeatableAction(sending)) {
        unknown = outcome.error;
        sending = { kind: 'ops', ops: [] };
      }
      const hint = (outcome.error as NotPrimary).primary;
      if (outcome.error.code === 'NOT_PRIMARY' && hint !== undefined && hint !== target && !tried.has(hint)) {
        target = hint;
        claim = false;
        continue;
      }
      if (!isUnreachable(outcome.error) && outcome.error.code !== 'NOT_PRIMARY') break;
      const next = this.candidates(bucket).find((node) => !tried.has(node));
      if (next === undefined) break;
      target = next;
      claim = true;
    }
    this.hints.delete(bucket);
    // Built only here: a KvError captures a stack, too dear for every call.
    return outcomesOf(action, failed(unknown ?? last ?? replicationErrors.unavailable(bucket, 'no copy answered').toData()));
  }

  /** Who may serve the bucket, most likely first: the known configuration's copies, then the preference list. */
  private candidates(bucket: string): string[] {
    return [...new Set([...this.knownConfig(bucket).copies, ...this.env.preferences(bucket)])];
  }

  /** The newest configuration this node knows: accepted by its votes, or the preference list's. */
  private knownConfig(bucket: string): BucketConfig {
    return newer(initialConfig(this.env.preferences(bucket)), this.env.votes.accepted(bucket))!;
  }

  // --- a call for which this node may be the primary ------------------------

  /** Runs a call as the bucket's primary, takes over if asked to and the primary is gone, or names the primary. */
  async serveClient(bucket: string, action: StepAction, claim: boolean): Promise<Outcome<Outcome[]>> {
    const primary = await this.primaryFor(bucket, claim);
    if ('code' in primary) return failed(primary);
    return new Promise((resolve) => primary.run(action, (result) => resolve(Array.isArray(result) ? ok(result) : failed(result))));
  }

  private async primaryFor(bucket: string, claim: boolean): Promise<PrimaryBucket | ErrorData> {
    const serving = this.primaries.get(bucket);
    if (serving?.serving) return serving;
    const config = this.knownConfig(bucket);
    const deposed = this.deposedAt.get(bucket) ?? -1;
    if (config.primary === this.env.self && config.epoch > deposed) return this.become(bucket, config, this.copies.get(bucket)?.seq ?? 0);
    if (!claim) return this.notPrimary(bucket, config.primary);
    const claiming = this.claims.get(bucket) ?? this.claim(bucket).finally(() => this.claims.delete(bucket));
    this.claims.set(bucket, claiming);
    return claiming;
  }

  /** Takes the bucket over from a primary neither the caller nor this node can reach. */
  private async claim(bucket: string): Promise<PrimaryBucket | ErrorData> {
    const config = this.knownConfig(bucket);
    if (!config.copies.includes(this.env.self) || !this.holdsData(bucket)) return this.notPrimary(bucket, config.primary);
    if (config.primary !== this.env.self && (await this.reachable(config.primary))) return this.notPrimary(bucket, config.primary);
    const next = await this.propose(bucket, config, [this.env.self], true);
    if ('code' in next) return next;
    this.env.logger.warn({ bucket, primary: this.env.self, epoch: next.epoch, previous: config.primary }, 'replication: took over a bucket whose primary was unreachable');
    const primary = this.become(bucket, next, this.copies.get(bucket)?.seq ?? 0);
    this.repair(primary);
    return primary;
  }

  private become(bucket: string, config: BucketConfig, seq: number): PrimaryBucket {
    const primary: PrimaryBucket = new PrimaryBucket(bucket, config, seq, {
      self: this.env.self,
      runLocal: (name, ops) => new Promise((resolve) => this.env.local.submitBatch(name, ops, resolve)),
      createLocal: (name) => this.env.local.create(name),
      dropLocal: (name) => this.env.local.drop(name),
      replicate: (copy, name, step, action): Promise<Outcome<unknown>> => this.env.send(copy, { kind: 'replicate', bucket: name, config: primary.config, seq: step, action }),
      install: (copy, name, step, entries): Promise<Outcome<unknown>> =>
        this.env.send(copy, { kind: 'install', bucket: name, config: primary.config, seq: step, entries: entries ?? [], ...(entries ? {} : { dropped: true as const }) }),
      reconfigure: (name, from, copies) => this.propose(name, from, copies, false),
      deposed: (name) => this.forgetPrimary(name, primary.config.epoch),
    });
    this.primaries.set(bucket, primary);
    this.copies.delete(bucket);
    this.deposedAt.delete(bucket);
    return primary;
  }

  private forgetPrimary(bucket: string, epoch: number): void {
    this.env.logger.warn({ bucket, epoch }, 'replication: another node took over this bucket; no longer serving it');
    this.primaries.delete(bucket);
    this.deposedAt.set(bucket, epoch);
  }

  /** A copy may take over only if it holds the data: it applied the primary's steps in this run, or keeps its buckets on disk. */
  private holdsData(bucket: string): boolean {
    return this.copies.has(bucket) || this.primaries.has(bucket) || this.env.durable;
  }

  /** Whether `node` answers within a fraction of the request timeout (a paused node's link stays up). */
  private async reachable(node: string): Promise<boolean> {
    if (!this.env.linkUp(node)) return false;
    const answer = await this.env.send(node, { kind: 'ping' }, Math.max(100, this.env.requestTimeoutMs / 4));
    return answer.ok;
  }

  private notPrimary(bucket: string, primary: string): NotPrimary {
    const hint = primary === this.env.self ? undefined : primary;
    return { ...replicationErrors.notPrimary(this.env.self, bucket, hint).toData(), ...(hint ? { primary: hint } : {}) };
  }

  // --- proposing a configuration (Paxos's two phases, over every node) -------

  /**
   * Has a majority of the nodes accept a configuration with this node primary
   * and `copies`. `claim`: taking over, so `copies` is this node alone and the
   * newest accepted configuration must list it as a copy. Fails with
   * NOT_PRIMARY (another node serves the bucket now) or NOT_ENOUGH_REPLICAS (no majority).
   */
  private async propose(bucket: string, from: BucketConfig, copies: string[], claim: boolean): Promise<BucketConfig | ErrorData> {
    const { nodes, self, votes } = this.env;
    const needed = majority(nodes.length);
    const proposer = [...nodes].sort().indexOf(self);
    let above = Math.max(votes.promised(bucket), from.epoch);
    // A refusal names the epoch promised instead: bid above it, a few times at most.
    for (let attempt = 0; ; attempt++) {
      const epoch = nextEpoch(above, proposer);
      const promises = await gather<PrepareAnswer>(nodes, needed, (node) =>
        node === self ? votes.prepare(bucket, epoch) : this.ask<PrepareAnswer>(node, { kind: 'prepare', bucket, epoch }),
        (answer) => answer.promised,
      );
      const granted = promises.filter((answer): answer is Extract<PrepareAnswer, { promised: true }> => answer.promised);
      if (granted.length < needed) {
        const outbid = Math.max(...promises.map((answer) => ('above' in answer ? answer.above : 0)));
        if (outbid > epoch && attempt < 2) {
          above = outbid;
          continue;
        }
        return this.noMajority(bucket, granted.length, needed, nodes.length, promises);
      }
      const newest = granted.reduce<BucketConfig>((config, answer) => newer(config, answer.accepted)!, initialConfig(this.env.preferences(bucket)));
      // What a majority may have accepted is the truth from now on, here too.
      await votes.learn(bucket, newest);
      const mine = newest.epoch <= from.epoch || newest.primary === self;
      if (claim ? !newest.copies.includes(self) : !mine) return this.notPrimary(bucket, newest.primary);
      const config: BucketConfig = { epoch, primary: self, copies };
      const accepts = await gather<AcceptAnswer>(nodes, needed, (node) =>
        node === self ? votes.accept(bucket, config) : this.ask<AcceptAnswer>(node, { kind: 'accept', bucket, config }),
        (answer) => answer.accepted,
      );
      const accepted = accepts.filter((answer) => answer.accepted).length;
      if (accepted < needed) return this.noMajority(bucket, accepted, needed, nodes.length, accepts);
      return config;
    }
  }

  private noMajority(bucket: string, got: number, needed: number, of: number, answers: ReadonlyArray<PrepareAnswer | AcceptAnswer>): ErrorData {
    // A refusal names a newer epoch: another node is at work on this bucket.
    const outbid = answers.some((answer) => 'above' in answer);
    const why = replicationErrors.noMajority(got, needed, of) + (outbid ? ' (another node proposed a newer epoch)' : '');
    return replicationErrors.unavailable(bucket, why).toData();
  }

  private async ask<T>(node: string, request: NodeRequest): Promise<T | undefined> {
    const answer = await this.env.send(node, request);
    return answer.ok ? (answer.value as T) : undefined;
  }

  // --- this node as a copy and a voter ---------------------------------------

  /** A step from the bucket's primary. */
  async serveReplicate(bucket: string, config: BucketConfig, seq: number, action: StepAction): Promise<Outcome<unknown>> {
    const refused = await this.checkPrimary(bucket, config);
    if (refused) return failed(refused);
    const state = this.copies.get(bucket);
    const changes = action.kind !== 'ops' || action.ops.length > 0;
    if (!state || state.seq !== (changes ? seq - 1 : seq)) return failed(replicationErrors.outOfSync(bucket).toData());
    if (changes) {
      const applied = await this.applyStep(bucket, action);
      if (!applied) {
        this.copies.delete(bucket);
        return failed(replicationErrors.outOfSync(bucket).toData());
      }
    }
    this.copies.set(bucket, { epoch: config.epoch, seq });
    return ok(null);
  }

  /** A full copy of the bucket from its primary, as of step `seq`; `dropped`: the primary has no such bucket. */
  async serveInstall(bucket: string, config: BucketConfig, seq: number, entries: StoredEntries, dropped: boolean): Promise<Outcome<unknown>> {
    const refused = await this.checkPrimary(bucket, config);
    if (refused) return failed(refused);
    this.copies.delete(bucket);
    // An empty bucket made here would still be listed, and served after a failover, though it was dropped.
    if (dropped) {
      if (!(await this.applyStep(bucket, { kind: 'drop' }))) return failed(replicationErrors.outOfSync(bucket).toData());
      this.copies.set(bucket, { epoch: config.epoch, seq });
      return ok(null);
    }
    try {
      await this.env.local.create(bucket);
    } catch (error) {
      return failed(toErrorData(error));
    }
    const [outcome] = await new Promise<Outcome[]>((resolve) => this.env.local.submitBatch(bucket, [{ kind: 'replace', entries }], resolve));
    if (!outcome!.ok) return outcome!;
    this.copies.set(bucket, { epoch: config.epoch, seq });
    return ok(null);
  }

  servePrepare(bucket: string, epoch: number): Promise<PrepareAnswer> {
    return this.env.votes.prepare(bucket, epoch);
  }

  async serveAccept(bucket: string, config: BucketConfig): Promise<AcceptAnswer> {
    const answer = await this.env.votes.accept(bucket, config);
    if (answer.accepted && config.primary !== this.env.self) this.stepDown(bucket, config.epoch);
    return answer;
  }

  /** Refuses a primary older than an epoch this node promised; learns a newer one (and steps down if it was primary). */
  private async checkPrimary(bucket: string, config: BucketConfig): Promise<ErrorData | undefined> {
    if (config.epoch < this.env.votes.promised(bucket)) return this.notPrimary(bucket, this.knownConfig(bucket).primary);
    await this.env.votes.learn(bucket, config);
    if (config.primary !== this.env.self) this.stepDown(bucket, config.epoch);
    return undefined;
  }

  private stepDown(bucket: string, epoch: number): void {
    const primary = this.primaries.get(bucket);
    if (!primary || primary.config.epoch >= epoch) return;
    primary.serving = false;
    this.forgetPrimary(bucket, primary.config.epoch);
  }

  private async applyStep(bucket: string, action: StepAction): Promise<boolean> {
    try {
      if (action.kind === 'create') await this.env.local.create(bucket);
      else if (action.kind === 'drop') await this.env.local.drop(bucket).catch((error: unknown) => {
        if (toErrorData(error).code !== 'NOT_FOUND') throw error;
      });
      else {
        const outcomes = await new Promise<Outcome[]>((resolve) => this.env.local.submitBatch(bucket, action.ops, resolve));
        return outcomes.every((outcome) => outcome.ok);
      }
      return true;
    } catch {
      return false;
    }
  }

  // --- bringing lost copies back ---------------------------------------------

  private repairAll(): void {
    for (const primary of this.primaries.values()) this.repair(primary);
  }

  /** Asks `primary` to add back each node of the preference list its configuration lacks and that can be reached, one repair at a time per copy. */
  private repair(primary: PrimaryBucket): void {
    if (!primary.serving) return;
    for (const node of this.env.preferences(primary.bucket)) {
      const key = `${node}\n${primary.bucket}`;
      if (primary.config.copies.includes(node) || !this.env.linkUp(node) || this.repairing.has(key)) continue;
      this.repairing.add(key);
      // A link can stay up to a node that does not answer (paused, cut off): ask first, so that a
      // repair, which holds the bucket's calls while it copies, starts only towards a live node.
      void this.reachable(node)
        .then((live) => live && primary.repair(node))
        .then((added) => {
          this.repairing.delete(key);
          if (added) this.env.logger.info({ bucket: primary.bucket, copy: node, epoch: primary.config.epoch }, 'replication: a copy caught up and is in sync again');
        });
    }
  }
}

/** Asks every node; resolves once `enough` answered yes, or all answered (no answer counts as no). */
function gather<T>(nodes: readonly string[], enough: number, ask: (node: string) => Promise<T | undefined>, yes: (answer: T) => boolean): Promise<T[]> {
  return new Promise((resolve) => {
    const answers: T[] = [];
    let pending = nodes.length;
    let granted = 0;
    let done = false;
    for (const node of nodes) {
      void ask(node).then((answer) => {
        pending--;
        if (answer !== undefined) answers.push(answer);
        if (answer !== undefined && yes(answer)) granted++;
        if (!done && (granted >= enough || pending === 0)) {
          done = true;
          resolve(answers);
        }
      });
    }
  });
}

function isUnreachable(error: ErrorData): boolean {
  return error.code === 'NODE_UNAVAILABLE' || error.code === 'TIMEOUT' || error.code === 'NOT_ENOUGH_REPLICAS';
}

