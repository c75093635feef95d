// One node's actors: the nact system, the registry, the bucket supervisors and
// their buckets (the Elixir guide's KV.Supervisor tree), and the calls into them.

import { spawnStateless, start, stop, type Ref } from 'nact';
import { now } from '../core/clock';
import { emitNothing, type EmitEvent } from '../core/events';
import type { Logger } from '../core/logger';
import type { OperationCounts } from '../core/metrics';
import { failed, type BucketOp, type Outcome } from '../core/operations';
import { settleSafely, type Settle } from '../core/settle';
import type { NodeTree } from '../core/tree';
import { errors, KvError } from '../errors';
import type { Storage } from '../storage/storage';
import { Batcher, waiting, type BatchAnswer } from './batcher';
import { Calls } from './calls';
import type { BucketRecord, Directory } from './directory';
import type { BatchMsg, RegistryMsg, ReplyTo } from './messages';
import { ensureBucket, spawnRegistry, type BucketSupervisor, type RegistryEnv } from './registry';
import type { SupervisionOptions } from './restart-intensity';

/** What a node's actors need of the store's options (all filled in). */
export interface LocalNodeOptions {
  node: string;
  supervision: SupervisionOptions;
  callTimeoutMs: number;
  bucketSupervisors: number;
  logger: Logger;
  /** Where storage flush waits are counted (the store's metrics), if anywhere. */
  flushes?: OperationCounts;
  /** Where the store's calls on this node's buckets are counted (the store's metrics), if anywhere. */
  calls?: OperationCounts;
}

export class LocalNode {
  private readonly directory: Directory = new Map();
  private readonly calls: Calls;
  private readonly batcher: Batcher;
  private readonly system = start();
  private readonly supervisors: BucketSupervisor[];
  private readonly registry: Ref<RegistryMsg>;
  private readonly env: RegistryEnv;
  private stopped = false;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: LocalNodeOptions,
    private readonly storage: Storage,
    emit: EmitEvent,
  ) {
    this.calls = new Calls(options.callTimeoutMs);
    this.batcher = new Batcher(
      (bucket, ops, deadline, answer) => this.sendBatch(bucket, ops, deadline, answer),
      options.callTimeoutMs,
      (bucket) => errors.timeout(`bucket ${bucket}`, options.callTimeoutMs).toData(),
      options.calls,
    );
    this.supervisors = Array.from({ length: options.bucketSupervisors }, (_, index) => {
      const name = `buckets-${index}`;
      // Bucket supervisors handle no messages: each bucket's own onCrash decides its fate.
      return { name, ref: spawnStateless(this.system, () => {}, name) };
    });
    this.env = {
      directory: this.directory,
      retired: new Map(),
      supervisors: this.supervisors,
      storage,
      limits: options.supervision,
      logger: options.logger,
      emit,
      now, // monotonic: a clock step cannot stretch or shrink the restart window
      flushes: options.flushes,
    };
    this.registry = spawnRegistry(this.system, this.env);
  }

  /** Starts the actors and brings back the buckets the storage already holds. */
  static async start(options: LocalNodeOptions, storage: Storage, emit: EmitEvent = emitNothing): Promise<LocalNode> {
    const names = await storage.open();
    // Replayed buckets are not news: events start once the node is up.
    const node = new LocalNode(options, storage, emitNothing);
    try {
      for (const name of names) await ensureBucket(name, node.env);
    } catch (error) {
      await node.stop(); // releases the storage (its lock, its files) too
      throw error;
    }
    node.env.emit = emit;
    return node;
  }

  /** The bucket's record, or a rejection-ready KvError. */
  private lookup(bucket: string): BucketRecord | KvError {
    if (this.stopped) return errors.stopped();
    const record = this.directory.get(bucket);
    if (!record) return errors.notFound(bucket);
    if (record.status === 'failed' || !record.ref) return errors.bucketFailed(bucket);
    return record;
  }

  /** Creates the bucket, or revives it if it failed; idempotent. */
  create(bucket: string): Promise<void> {
    return this.askRegistry((replyTo) => ({ type: 'create', bucket, replyTo }));
  }

  /** Removes the bucket with its keys; NOT_FOUND if there is none. */
  drop(bucket: string): Promise<void> {
    return this.askRegistry((replyTo) => ({ type: 'drop', bucket, replyTo }));
  }

  /**
   * Sends the registry a create or drop. One that stop() cuts short fails with
   * whatever the stopping actors or the closing storage threw (nact's "Actor
   * has stopped", say), possibly before stop() answers it: it rejects with
   * STOPPED, as every other call does.
   */
  private askRegistry(build: (replyTo: ReplyTo<Outcome<null>>) => RegistryMsg): Promise<void> {
    if (this.stopped) return Promise.reject(errors.stopped());
    return this.calls.ask<RegistryMsg, null>(this.registry, build, 'the registry').then(
      () => undefined,
      (error: unknown) => {
        throw this.stopped ? errors.stopped() : error;
      },
    );
  }

  exists(bucket: string): boolean {
    return this.directory.has(bucket);
  }

  /** Runs one of the store's operations on the bucket, batched with others issued in the same turn (and counted in its metrics). */
  submit(bucket: string, op: BucketOp, settle: Settle): void {
    const record = this.lookup(bucket);
    if (record instanceof KvError) {
      this.options.calls?.record(op.kind, record.code, 0);
      return settleSafely(settle, failed(record.toData()));
    }
    this.batcher.submit(record.queue, op, settle, true);
  }

  /** Runs operations on the bucket in order; they join its queue at once, so they travel together. */
  submitBatch(bucket: string, ops: BucketOp[], answer: (outcomes: Outcome[]) => void): void {
    const record = this.lookup(bucket);
    if (record instanceof KvError) {
      const outcome = failed(record.toData());
      return answer(ops.map(() => outcome));
    }
    this.batcher.submitAll(record.queue, ops, answer);
  }

  private sendBatch(bucket: string, ops: BucketOp[], deadline: number, answer: BatchAnswer): void {
    const record = this.lookup(bucket);
    if (record instanceof KvError) return answer(failed(record.toData()));
    this.calls.send<BatchMsg, Outcome[]>(record.ref!, (replyTo) => ({ type: 'batch', ops, results: [], replyTo }), `bucket ${bucket}`, answer, deadline);
  }

  buckets(): string[] {
    return [...this.directory.keys()].sort();
  }

  tree(): NodeTree {
    return {
      node: this.options.node,
      storage: this.storage.kind,
      registry: { status: 'running' },
      supervisors: this.supervisors.map((supervisor) => supervisor.name),
      buckets: this.buckets().map((name) => {
        const record = this.directory.get(name)!;
        const { supervisor, status, restarts, lastCrash, lastCrashAt } = record;
        return { name, supervisor, status, restarts, lastCrash, lastCrashAt, keys: this.storage.table(name).size, mailbox: waiting(record.queue) };
      }),
    };
  }

  /**
   * Stops every actor, leaves first (nact's stop does not reach descendants),
   * answers every call still waiting with STOPPED, and closes the storage.
   */
  stop(): Promise<void> {
    // A second stop() waits for the first to finish, storage included.
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    for (const record of this.directory.values()) if (record.ref) stop(record.ref);
    for (const supervisor of this.supervisors) stop(supervisor.ref);
    stop(this.registry);
    // Stopped actors answer their mailboxes in a setImmediate (nact's afterStop).
    await new Promise((resolve) => setImmediate(resolve));
    this.calls.stop(errors.stopped().toData());
    stop(this.system);
    await this.storage.close();
  }
}
