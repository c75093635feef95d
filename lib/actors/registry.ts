// The registry (the Elixir guide's KV.Registry): one nact actor that creates buckets on
// demand, one at a time, and keeps the name -> bucket directory that every call
// reads directly. Buckets hang under bucket supervisors beside it, not under
// it: nact copies an actor's child map for every message it handles.

import { spawn, type Ref } from 'nact';
import { failed, ok } from '../core/operations';
import { errors, toErrorData } from '../errors';
import type { Storage } from '../storage/storage';
import { spawnBucket } from './bucket';
import type { SupervisionEnv } from './bucket-supervision';
import { newRecord, type Directory } from './directory';
import { dispatchMessage } from './nact';
import type { RegistryMsg } from './messages';

/** A bucket supervisor: a nact parent that buckets hang under. */
export interface BucketSupervisor {
  name: string;
  ref: Ref<unknown>;
}

export interface RegistryEnv extends SupervisionEnv {
  directory: Directory;
  /** The next generation of each dropped bucket's actor name, for a bucket created again under it. */
  retired: Map<string, number>;
  supervisors: readonly BucketSupervisor[];
  storage: Storage;
}

export function spawnRegistry(parent: Ref<unknown>, env: RegistryEnv): Ref<RegistryMsg> {
  return spawn(parent, (state: null, msg: RegistryMsg) => handleRegistryMsg(state, msg, env), 'registry', {
    initialState: null,
    // Its state lives in the directory, outside the actor: a reset loses nothing.
    onCrash: (msg, error, ctx) => {
      if (msg) msg.replyTo(failed(toErrorData(error)));
      env.logger.error({ error: toErrorData(error).message }, 'registry restarted');
      return ctx.reset;
    },
  });
}

async function handleRegistryMsg(state: null, msg: RegistryMsg, env: RegistryEnv): Promise<null> {
  try {
    if (msg.type === 'create') await ensureBucket(msg.bucket, env);
    else await dropBucket(msg.bucket, env);
    msg.replyTo(ok(null));
  } catch (thrown) {
    msg.replyTo(failed(toErrorData(thrown)));
  }
  return state;
}

/** Makes `name` exist and run: creates it, or revives it after it failed. */
export async function ensureBucket(name: string, env: RegistryEnv): Promise<void> {
  let record = env.directory.get(name);
  if (record?.status === 'running') return;
  const reviving = record !== undefined;
  if (!record) {
    await env.storage.createBucket(name);
    const supervisor = env.supervisors[env.directory.size % env.supervisors.length]!.name;
    record = newRecord(name, supervisor, env.retired.get(name));
    env.retired.delete(name);
    env.directory.set(name, record);
    env.emit('bucketCreated', { bucket: name });
  }
  // Spawn first: if nact refuses, the record stays failed and a later create retries.
  record.ref = spawnBucket(supervisorRef(record.supervisor, env), record, env);
  record.status = 'running';
  record.recentCrashes = [];
  if (reviving) env.emit('bucketRevived', { bucket: name });
}

/**
 * Removes a bucket: new calls find no bucket at once, calls still in its
 * mailbox answer NOT_FOUND, and the storage forgets it durably. Run by the
 * registry, so a create of the same name waits until it is done. A call
 * answered before the drop was a call made before it.
 */
async function dropBucket(name: string, env: RegistryEnv): Promise<void> {
  const record = env.directory.get(name);
  if (!record) throw errors.notFound(name);
  env.directory.delete(name);
  record.dropped = true;
  const ref = record.ref;
  record.ref = undefined;
  // Through its mailbox, not nact's stop: a stop loses a message the actor has
  // been sent but not yet begun.
  if (ref) await new Promise<null>((replyTo) => dispatchMessage(ref, { type: 'retire', replyTo }));
  try {
    await env.storage.dropBucket(name);
  } catch (thrown) {
    // Not dropped: the bucket is back as it was, so no later create or restart finds data it was told is gone.
    record.dropped = false;
    env.directory.set(name, record);
    if (ref) record.ref = spawnBucket(supervisorRef(record.supervisor, env), record, env);
    throw thrown;
  }
  env.retired.set(name, record.generation);
  env.emit('bucketDropped', { bucket: name });
}

function supervisorRef(name: string, env: RegistryEnv): Ref<unknown> {
  return env.supervisors.find((supervisor) => supervisor.name === name)!.ref;
}
