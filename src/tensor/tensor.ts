/**
 * Tensor: a shape over float32 storage held by the current backend, plus the autograd fields (requiresGrad,
 * grad, and the node that produced it). Storage is always contiguous and row-major, as every kernel expects;
 * reshaping shares storage (a view) and everything else that rearranges data copies.
 *
 * Integer inputs (token ids, targets) are not tensors: they are `Ids`, an Int32Array with a shape, because no
 * kernel differentiates through them and the backends take them as host arrays.
 */
import type { Backend, Storage } from './backend.js';
import { getBackend } from './backends/index.js';
import type { GradNode } from './autograd.js';
import { runBackward } from './autograd.js';
import type { Rng } from './random.js';
import { setOwnedCheck, track, untrackDisposed } from './scope.js';
import { activeStoragePool, type StoragePool } from './storage-pool.js';

export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

export function formatShape(shape: readonly number[]): string {
  return `(${shape.join(',')})`;
}

/** The number of elements of a valid shape; throws naming `what` on a size that is not a non-negative integer. */
function checkShape(shape: readonly number[], what: string): number {
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: invalid shape ${formatShape(shape)}: sizes must be non-negative integers`);
    size *= d;
  }
  return size;
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  /** When true, backward() computes a gradient for this tensor. */
  requiresGrad = false;
  /** The accumulated gradient (same shape), for leaves that require grad; null until the first backward. */
  grad: Tensor | null = null;
  /** The recorded operation that produced this tensor (null for leaves and for tensors made without grad). */
  node: GradNode | null = null;
  private data: Storage | null;
  private readonly owner: Backend;
  /** The pool the storage came from (storage-pool.ts), told when this tensor lets go of it. */
  private readonly pool: StoragePool | null;

  /** Wraps storage from the current backend. Prefer the factories (`tensor`, `zeros`, ...) and ops. */
  constructor(storage: Storage, shape: readonly number[], backend: Backend = getBackend()) {
    this.size = checkShape(shape, 'Tensor');
    this.shape = Object.freeze([...shape]);
    if (storage.length < this.size) {
      throw new Error(`Tensor: storage of ${storage.length} elements is too small for shape ${formatShape(shape)}`);
    }
    this.data = storage;
    this.owner = backend;
    const pool = activeStoragePool();
    this.pool = pool !== null && pool.retain(storage) ? pool : null;
    track(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.data === null;
  }

  /** The backing storage; throws if the tensor was disposed. */
  get storage(): Storage {
    if (this.data === null) throw new Error(`tensor ${formatShape(this.shape)} was used after dispose()`);
    return this.data;
  }

  /** The backend that allocated the storage. */
  get backend(): Backend {
    return this.owner;
  }

  /** A tensor of another shape over the same storage (no copy, no autograd: see the `reshape` op for that). */
  view(shape: readonly number[]): Tensor {
    checkShape(shape, 'view');
    if (shapeSize(shape) !== this.size) {
      throw new Error(`view: cannot view ${formatShape(this.shape)} (${this.size} elements) as ${formatShape(shape)}`);
    }
    return new Tensor(this.storage, shape, this.owner);
  }

  /** Drops this tensor's reference to its storage (freed once no view holds it), its graph and its grad.
   * Idempotent. */
  dispose(): void {
    if (this.data === null) return;
    this.pool?.release(this.data);
    this.data = null;
    // The node stays (released) so that a backward reaching this tensor reports it instead of treating it as a leaf.
    this.node?.release();
    if (this.grad !== null) {
      this.grad.dispose();
      this.grad = null;
    }
    untrackDisposed(this);
  }

  /** A copy of the data as a host Float32Array. */
  toArray(): Float32Array {
    return new Float32Array(this.backend.download(this.storage).subarray(0, this.size));
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor ${formatShape(this.shape)} has ${this.size} elements, expected 1`);
    return this.backend.download(this.storage)[0]!;
  }

  /** Nested arrays, for printing and tests. */
  toNested(): unknown {
    const data = this.toArray();
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return data[offset]!;
      const stride = shapeSize(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** Reverse-mode differentiation from this tensor: grads accumulate into `.grad` of every leaf that requires
   * grad. Without a seed the tensor must be a scalar (seed 1). The graph is released afterwards. */
  backward(seed?: Tensor): void {
    runBackward(this, seed);
  }

  /** Marks this leaf as needing a gradient; returns this. */
  requireGrad(flag = true): this {
    if (this.node !== null) throw new Error('requireGrad: only leaf tensors (not results of ops) can be marked');
    this.requiresGrad = flag;
    return this;
  }

  /** A new leaf over the same storage, cut off from the graph. */
  detach(): Tensor {
    return this.view(this.shape);
  }

  toString(): string {
    return `Tensor${formatShape(this.shape)}`;
  }
}

setOwnedCheck((v: unknown): v is Tensor => v instanceof Tensor);

/** Token ids, targets and other integer inputs: host Int32Array data with a shape. */
export interface Ids {
  readonly data: Int32Array;
  readonly shape: readonly number[];
}

export function ids(data: ArrayLike<number>, shape: readonly number[] = [data.length]): Ids {
  checkShape(shape, 'ids');
  if (shapeSize(shape) !== data.length) {
    throw new Error(`ids: ${data.length} values do not fill shape ${formatShape(shape)}`);
  }
  const array = data instanceof Int32Array ? data : Int32Array.from(data, (v) => {
    if (!Number.isInteger(v)) throw new Error(`ids: value ${v} is not an integer`);
    return v;
  });
  return { data: array, shape: Object.freeze([...shape]) };
}

/** An uninitialised tensor (contents are whatever the backend allocates); ops overwrite it. */
export function empty(shape: readonly number[]): Tensor {
  const size = checkShape(shape, 'empty');
  const backend = getBackend();
  const pool = activeStoragePool();
  return new Tensor(pool !== null && pool.backend === backend ? pool.take(size) : backend.allocUninitialized(size), shape, backend);
}

export function full(shape: readonly number[], value: number): Tensor {
  const t = empty(shape);
  t.backend.fill(t.storage, value);
  return t;
}

export function zeros(shape: readonly number[]): Tensor {
  checkShape(shape, 'zeros');
  const backend = getBackend();
  // Backend.alloc returns zeroed storage; a fill would only touch every page a second time.
  return new Tensor(backend.alloc(shapeSize(shape)), shape, backend);
}

export function ones(shape: readonly number[]): Tensor {
  return full(shape, 1);
}

/** A tensor from host data (a number is a scalar of shape []). */
export function tensor(data: ArrayLike<number> | number, shape?: readonly number[]): Tensor {
  const values = typeof data === 'number' ? Float32Array.of(data) : data instanceof Float32Array ? data : Float32Array.from(data);
  const s = shape ?? (typeof data === 'number' ? [] : [values.length]);
  checkShape(s, 'tensor');
  if (shapeSize(s) !== values.length) {
    throw new Error(`tensor: ${values.length} values do not fill shape ${formatShape(s)} (${shapeSize(s)} elements)`);
  }
  const backend = getBackend();
  return new Tensor(backend.upload(values), s, backend);
}

/** Normal samples with the given standard deviation. */
export function randn(shape: readonly number[], rng: Rng, std = 1): Tensor {
  checkShape(shape, 'randn');
  const values = new Float32Array(shapeSize(shape));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal() * std;
  return tensor(values, shape);
}

/** Uniform samples in [low, high). */
export function uniform(shape: readonly number[], rng: Rng, low = 0, high = 1): Tensor {
  checkShape(shape, 'uniform');
  const values = new Float32Array(shapeSize(shape));
  for (let i = 0; i < values.length; i++) values[i] = low + (high - low) * rng.uniform();
  return tensor(values, shape);
}
