/**
 * A caching allocator for passes that run again and again with the same shapes (generation: one decode step after
 * another). Inside `withStoragePool`, `empty()` takes its storage from the pool, and once every tensor over a pooled
 * storage is disposed the storage goes back to the pool for the next op of the same size. A decode step then writes
 * into memory that is mapped and warm in cache, instead of fresh pages that the garbage collector returns only
 * later: without it, the generation pass of the S model spent half again as long in its matmuls.
 */
import type { Backend, Storage } from './backend.js';
import { poisonUninitialized } from './backends/host-memory.js';
import { ScopedValue } from '../util/scoped-value.js';

export class StoragePool {
  private readonly free = new Map<number, Storage[]>();
  /** Live tensors per storage handed out and not yet returned. */
  private readonly users = new Map<Storage, number>();

  constructor(readonly backend: Backend) {}

  /** A storage of `length` floats whose contents are undefined (NaN under TOOLKEN_POISON_UNINITIALIZED=1). */
  take(length: number): Storage {
    const reused = this.free.get(length)?.pop();
    const storage = reused ?? this.backend.allocUninitialized(length);
    if (reused !== undefined && poisonUninitialized) this.backend.fill(storage, Number.NaN);
    this.users.set(storage, 0);
    return storage;
  }

  /** A tensor now holds `storage`; false when the pool did not hand it out. */
  retain(storage: Storage): boolean {
    const count = this.users.get(storage);
    if (count === undefined) return false;
    this.users.set(storage, count + 1);
    return true;
  }

  /** A tensor holding `storage` was disposed; the last one returns it to the pool. */
  release(storage: Storage): void {
    const count = this.users.get(storage);
    if (count === undefined) return;
    if (count > 1) {
      this.users.set(storage, count - 1);
      return;
    }
    this.users.delete(storage);
    const list = this.free.get(storage.length);
    if (list === undefined) this.free.set(storage.length, [storage]);
    else list.push(storage);
  }
}

const active = new ScopedValue<StoragePool | null>(null);

/** The pool `empty()` takes from now, if any. */
export function activeStoragePool(): StoragePool | null {
  return active.value;
}

/** Runs fn with `empty()` taking from `pool`; scopes nest, the innermost pool wins. */
export function withStoragePool<T>(pool: StoragePool, fn: () => T): T {
  return active.run(pool, fn);
}
