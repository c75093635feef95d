// stop() racing the registry: a create it cuts short rejects with STOPPED,
// as every call does once the store stops, never with what the stopping
// actors threw.

import { createStore } from '../lib';
import { MemoryStorage } from '../lib/storage/memory';
import { rejection } from './support/rejection';

/** A memory storage whose next createBucket waits until the test lets it go. */
class HeldCreates extends MemoryStorage {
  private release: (() => void) | undefined;
  /** Resolves once a createBucket is waiting. */
  readonly waiting: Promise<void>;
  private noteWaiting!: () => void;

  constructor() {
    super();
    this.waiting = new Promise((resolve) => (this.noteWaiting = resolve));
  }

  override async createBucket(name: string): Promise<void> {
    await new Promise<void>((resolve) => {
      this.release = resolve;
      this.noteWaiting();
    });
    return super.createBucket(name);
  }

  letGo(): void {
    this.release?.();
  }
}

test('a create still at work in the registry when stop() begins rejects with STOPPED', async () => {
  const storage = new HeldCreates();
  const store = await createStore({ storage });
  const created = rejection(store.create('late'));
  await storage.waiting;
  const stopped = store.stop();
  // The storage answers while the actors are stopping: the registry goes on to spawn under a stopped supervisor.
  storage.letGo();
  await stopped;
  expect(await created).toMatchObject({ code: 'STOPPED' });
});
