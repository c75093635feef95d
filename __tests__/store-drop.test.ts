// Dropping a bucket when the storage cannot forget it: the drop fails and
// the bucket is back as it was, so no later create or restart finds data a
// caller was told is gone.

import { createStore } from '../lib';
import { MemoryStorage } from '../lib/storage/memory';
import { rejection } from './support/rejection';

class FailingDrops extends MemoryStorage {
  failNext = false;
  override async dropBucket(name: string): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    return super.dropBucket(name);
  }
}

test('a drop the storage refuses fails, and the bucket serves its data as before', async () => {
  const storage = new FailingDrops();
  const store = await createStore({ storage });
  try {
    await store.create('b');
    await store.put('b', 'k', 'old');
    storage.failNext = true;
    expect(await rejection(store.drop('b'))).toMatchObject({ message: expect.stringContaining('disk full') });
    expect(await store.get('b', 'k')).toBe('old');
    await store.put('b', 'k', 'new');
    expect(await store.get('b', 'k')).toBe('new');
    await store.drop('b');
    await store.create('b');
    expect(await store.get('b', 'k')).toBeUndefined();
  } finally {
    await store.stop();
  }
});
